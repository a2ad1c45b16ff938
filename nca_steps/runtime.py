"""What a job's JAX runs on and how: exactly the CPU threads Snakemake gave it, XLA's CPU
compile level, and the environment a checkpoint records.

Threads: XLA sizes its CPU thread pool from the process's CPU affinity when the backend starts, and
ignores thread-count flags. So the affinity is narrowed to ``threads`` CPUs while the backend
starts, then widened again for every thread: the pool keeps ``threads`` workers, and the
operating system may still run them on any core (two 1-thread jobs do not share one core).
The CPU backend also gets one device per thread (as many as divide the population), so the
population is sharded and each device grows its own slice.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import math
import os

# LLVM's -O2 for XLA's CPU code instead of its default -O3. Measured on the 2-core Zen 4
# (2026-12-01, docs/benchmarks.md "Compile level"): the same bits for every algorithm and
# experiment tried, about half the compile time (a tiny regenerating fitness: 3.9 -> 2.0 CPU
# seconds), and code no slower (the default settings' generation: 0.077 -> 0.071 s).
CPU_COMPILE_LEVEL = "--xla_backend_optimization_level=2"


def accelerator_installed() -> bool:
    """A JAX plugin for a GPU or TPU is installed (so JAX may run on it): its compiler has not
    been measured at another level, so it keeps XLA's default."""
    return bool(importlib.metadata.entry_points(group="jax_plugins")) or any(
        importlib.util.find_spec(name) is not None for name in ("jax_plugins", "libtpu")
    )


def use_cpu_compile_level() -> None:
    """Add :data:`CPU_COMPILE_LEVEL` to ``XLA_FLAGS`` where JAX runs on the CPU only (no
    accelerator plugin, or ``JAX_PLATFORMS=cpu``) and no level is given there already. Call
    before the first JAX computation (XLA reads its flags when its backend starts); the
    processes this one starts inherit it."""
    flags = os.environ.get("XLA_FLAGS", "")
    cpu_only = os.environ.get("JAX_PLATFORMS", "").strip() == "cpu" or not accelerator_installed()
    if cpu_only and "xla_backend_optimization_level" not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} {CPU_COMPILE_LEVEL}".strip()


def use_cpu_threads(threads: int, pop_size: int | None = None) -> None:
    """Call before the first JAX computation (importing JAX and nca_steps is fine); sets the
    compile level too (:func:`use_cpu_compile_level`)."""
    import jax

    use_cpu_compile_level()
    if not hasattr(os, "sched_setaffinity"):
        return
    all_cpus = os.sched_getaffinity(0)
    threads = max(1, min(threads, len(all_cpus)))
    devices = math.gcd(threads, pop_size) if pop_size else 1
    if "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
        jax.config.update("jax_num_cpu_devices", devices)
    os.sched_setaffinity(0, sorted(all_cpus)[:threads])
    try:
        jax.devices()
    finally:
        for tid in os.listdir("/proc/self/task"):
            try:
                os.sched_setaffinity(int(tid), all_cpus)
            except OSError:  # a thread that ended meanwhile
                pass


def environment() -> dict[str, str | int]:
    """What a computation's bits depend on besides its inputs: the JAX and jaxlib versions, the
    backend, the device kind and count, and the float32 matrix-product precision
    (``jax_default_matmul_precision``; "default" is TF32 on recent NVIDIA GPUs, exact float32
    on a CPU). Resume is bit-identical only where all of these are the same."""
    import jax
    import jaxlib

    devices = jax.devices()
    return {
        "jax": jax.__version__,
        "jaxlib": jaxlib.__version__,
        "backend": devices[0].platform,
        "device": devices[0].device_kind,
        "devices": len(devices),
        "matmul_precision": str(jax.config.jax_default_matmul_precision or "default"),
    }


def environment_change(before: dict | None, now: dict) -> str | None:
    """A warning line when a checkpoint written in ``before`` resumes in ``now`` (None when
    they agree, or ``before`` is unknown: a checkpoint from before this was recorded)."""
    if before is None or before == now:
        return None
    changed = ", ".join(
        f"{key} {before.get(key)} -> {now.get(key)}"
        for key in sorted(before.keys() | now.keys())
        if before.get(key) != now.get(key)
    )
    return (
        f"the checkpoint was written elsewhere ({changed}): the run goes on, but its results "
        "will not be bit-identical to a run never stopped"
    )
