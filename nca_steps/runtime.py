"""Make a job use exactly the CPU threads Snakemake gave it.

XLA sizes its CPU thread pool from the process's CPU affinity when the backend starts, and
ignores thread-count flags. So the affinity is narrowed to ``threads`` CPUs while the backend
starts, then widened again for every thread: the pool keeps ``threads`` workers, and the
operating system may still run them on any core (two 1-thread jobs do not share one core).
The CPU backend also gets one device per thread (as many as divide the population), so the
population is sharded and each device grows its own slice.
"""

from __future__ import annotations

import math
import os

import jax


def use_cpu_threads(threads: int, pop_size: int | None = None) -> None:
    """Call before the first JAX computation (importing JAX and nca_steps is fine)."""
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
