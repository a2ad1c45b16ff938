"""Run a benchmark and append its whole output to benchmarks/RESULTS.md, stamped with the date,
the commit and the machine, so that every figure the docs quote can be traced to a run.

    python benchmarks/record.py python benchmarks/fitness_speed.py --repeats 5
"""

from __future__ import annotations

import datetime
import os
import platform
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "RESULTS.md"


CODE = ["nca_steps", "workflow", "Snakefile", "config.yaml", "pyproject.toml", "benchmarks/*.py"]


def commit() -> str:
    """The commit the code came from, marked ``-dirty`` when the code that runs (not this
    results file or the docs) differs from it."""
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "rev-parse", "--short=10", "HEAD"], capture_output=True, text=True)
    changed = subprocess.run(
        [*git, "status", "--porcelain", "--", *CODE], capture_output=True, text=True
    )
    return head.stdout.strip() + ("-dirty" if changed.stdout.strip() else "")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    names = [line for line in cpuinfo.read_text().splitlines() if line.startswith("model name")]
    if names:
        cpu = names[0].split(":", 1)[1].strip()
    gpus = ""
    if shutil.which("nvidia-smi"):
        query = ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"]
        gpus = subprocess.run(query, capture_output=True, text=True).stdout.strip()
    return f"{cpu}, {len(os.sched_getaffinity(0))} cores" + (
        f", GPU {gpus}" if gpus else ", no GPU"
    )


def main() -> None:
    command = sys.argv[1:]
    if not command:
        raise SystemExit("usage: python benchmarks/record.py COMMAND [ARGS...]")
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = f"commit {commit()}, {stamp}, {machine()}"
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)
    if proc.returncode:
        raise SystemExit(
            f"error: {shlex.join(command)} exited with {proc.returncode}; not recorded"
        )
    entry = f"\n### `{shlex.join(command)}`\n\n{header}\n\n```\n{proc.stdout.rstrip()}\n```\n"
    with open(RESULTS, "a", encoding="utf-8") as f:
        f.write(entry)
    print(f"recorded in {RESULTS.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
