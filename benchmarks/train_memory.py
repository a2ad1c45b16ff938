"""Resident memory of one training job, sampled every second over 4N generations.

Prints the resident memory when the job passes generation N, 2N, ... 4N (from its progress
lines) and its peak; equal figures show that nothing grows with the number of generations.

    python benchmarks/train_memory.py --preset default    # config.yaml's settings
    python benchmarks/train_memory.py --preset notebook   # 40 px, population 128, 90 steps
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import tempfile
import time
from pathlib import Path

from settings import NOTEBOOK_CONFIG, SHIPPED_CONFIG, prepare_lizard, run_settings, train_command

PRESETS = {"default": SHIPPED_CONFIG, "notebook": NOTEBOOK_CONFIG}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_sampled(cmd: list[str], log: Path, every: int) -> None:
    """Run ``cmd``; print the RSS each time its log shows another ``every`` generations."""
    with open(log, "w") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        seen = 0
        while proc.poll() is None:
            time.sleep(1.0)
            done = [int(g) for g in re.findall(r"^gen (\d+)/", log.read_text(), re.M)]
            if done and done[-1] >= seen + every:
                seen = done[-1] - done[-1] % every
                try:
                    rss = rss_mb(proc.pid)
                except FileNotFoundError:
                    break
                if rss == 0.0:  # the job has ended; its memory is gone
                    break
                print(f"  generation {seen:6d}: RSS {rss:7.1f} MB", flush=True)
    if proc.wait() != 0:
        raise SystemExit(log.read_text())
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"  peak RSS of the job: {peak:.1f} MB")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--preset", choices=PRESETS, default="default")
    p.add_argument("--generations", type=int, default=None, help="N (default: 100, notebook 5)")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    run = run_settings(PRESETS[args.preset])
    n = args.generations or (5 if args.preset == "notebook" else 100)
    tmp = Path(tempfile.mkdtemp(prefix="nca-memory-"))
    target = prepare_lizard(tmp, run)
    hp = {**run["hyperparameters"], "generations": 4 * n}
    cmd = train_command(
        target, tmp / "run", hp, "--threads", str(args.threads), "--log-every", str(n)
    )
    print(f"{args.preset}: {4 * n} generations, {args.threads} thread(s)", flush=True)
    run_sampled(cmd, tmp / "train.log", n)


if __name__ == "__main__":
    main()
