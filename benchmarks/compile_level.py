"""CPU time and bits of a training job at each LLVM level XLA may compile CPU code at.

The steps compile at -O2 (``nca_steps.runtime.CPU_COMPILE_LEVEL``) instead of XLA's default
-O3. For each experiment, this trains config.yaml's first run (the shipped lizard, its settings)
for ``--generations`` at each level, one job at a time, and prints the job's CPU seconds (most
of it compiling, at this length) and whether its parameters are bit-identical across levels.

    python benchmarks/compile_level.py                      # levels 3 and 2, 40 generations
    python benchmarks/compile_level.py --levels 3 2 1 0 --generations 10
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import subprocess
import tempfile
import time
from pathlib import Path

from settings import prepare_lizard, run_settings, train_command

EXPERIMENTS = ("growing", "regenerating")


def child_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--levels", type=int, nargs="+", default=[3, 2])
    p.add_argument("--generations", type=int, default=40)
    args = p.parse_args()
    run = run_settings()
    tmp = Path(tempfile.mkdtemp(prefix="nca-compile-level-"))
    target = prepare_lizard(tmp, run)
    print(f"{run['target']}, {run['target_size']} px, {args.generations} generations, 1 thread")
    print("experiment    level  CPU s   wall s  parameters (SHA-256)")
    for experiment in EXPERIMENTS:
        hp = {**run["hyperparameters"], "experiment": experiment, "generations": args.generations}
        hp["warmup"] = min(hp["warmup"], args.generations // 2)
        digests = set()
        for level in args.levels:
            out = tmp / f"{experiment}-O{level}"
            env = {**os.environ, "XLA_FLAGS": f"--xla_backend_optimization_level={level}"}
            cpu, wall = child_cpu_seconds(), time.monotonic()
            subprocess.run(
                train_command(target, out, hp), env=env, check=True, stderr=subprocess.DEVNULL
            )
            cpu, wall = child_cpu_seconds() - cpu, time.monotonic() - wall
            digest = hashlib.sha256(Path(f"{out}.npy").read_bytes()).hexdigest()[:16]
            digests.add(digest)
            print(f"{experiment:13s} -O{level}  {cpu:6.1f}  {wall:6.1f}  {digest}", flush=True)
        print(f"{experiment}: {'the same bits' if len(digests) == 1 else 'DIFFERENT bits'}")


if __name__ == "__main__":
    main()
