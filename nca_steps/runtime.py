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
