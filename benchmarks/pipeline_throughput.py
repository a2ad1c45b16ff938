"""Whole-run throughput: does `snakemake --cores N` keep every core busy without oversubscribing?

Runs the workflow in a fresh folder, then compares its wall time with the CPU seconds of all
jobs (from the rules' ``benchmark:`` files) divided by the cores, and each training job's
seconds per generation with those of the same job run alone.

    python benchmarks/pipeline_throughput.py                       # the shipped config.yaml
    python benchmarks/pipeline_throughput.py --configfile my.yaml --cores 2
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from settings import run_settings

ROOT = Path(__file__).resolve().parents[1]
SECONDS_PER_GEN = re.compile(r"([\d.]+) s/gen")


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--configfile", default=str(ROOT / "config.yaml"))
    p.add_argument("--cores", type=int, default=os.cpu_count())
    p.add_argument("--alone-generations", type=int, default=300)
    return p.parse_args()


def benchmark_rows(workdir: Path) -> list[tuple[str, dict[str, str]]]:
    rows = []
    for tsv in sorted((workdir / "results" / "benchmarks").rglob("*.tsv")):
        with open(tsv, newline="") as f:
            rows += [(str(tsv.relative_to(workdir)), r) for r in csv.DictReader(f, delimiter="\t")]
    return rows


def last_seconds_per_generation(log: Path) -> float:
    return float(SECONDS_PER_GEN.findall(log.read_text())[-1])


def main() -> None:
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="nca-throughput-"))
    cmd = [
        sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--directory",
        str(workdir), "--configfile", args.configfile, "--replace-workflow-config",
        "--cores", str(args.cores), "--quiet",
    ]  # fmt: skip
    start = time.perf_counter()
    subprocess.run(cmd, check=True)
    wall = time.perf_counter() - start

    rows = benchmark_rows(workdir)
    cpu = sum(float(r["cpu_time"]) for _, r in rows)
    print(f"workflow in {workdir}: {len(rows)} jobs with benchmark files")
    print(f"wall {wall:.1f} s; CPU of all jobs {cpu:.1f} s = {cpu / args.cores:.1f} s per core")
    print(f"wall / (CPU per core) = {wall / (cpu / args.cores):.3f}  (1.0: every core busy)")
    for path, r in rows:
        if "/train/" in path:
            print(
                f"  {path}: {float(r['s']):.1f} s wall, {float(r['cpu_time']):.1f} s CPU, "
                f"peak RSS {float(r['max_rss']):.0f} MB"
            )

    run = run_settings(args.configfile)
    threads, target, combo, hp = (
        run["threads"],
        run["target"],
        run["combination"],
        run["hyperparameters"],
    )
    hp["generations"] = args.alone_generations
    hp.pop("algorithm", None)
    flags = [f"--{k.replace('_', '-')}={v}" for k, v in sorted(hp.items())]
    alone_log = workdir / "alone.log"
    with open(alone_log, "w") as log:
        subprocess.run(
            [
                sys.executable, "-m", "nca_steps.steps.train",
                "--target", str(workdir / "results" / "targets" / target / "target.npy"),
                "--params-out", str(workdir / "alone.npy"),
                "--metrics-out", str(workdir / "alone.csv"),
                "--checkpoint", str(workdir / "alone.ckpt.npz"),
                "--threads", str(threads), "--log-every", "50", *flags,
            ],
            check=True, stderr=log,
        )  # fmt: skip
    alone = last_seconds_per_generation(alone_log)
    busy_log = workdir / "logs" / "train" / target / combo / f"seed{hp['seed']}.log"
    busy = last_seconds_per_generation(busy_log)
    print(
        f"{target}/{combo}: {busy:.3f} s/gen in the workflow, {alone:.3f} s/gen alone "
        f"({threads} thread(s) of {args.cores} cores), ratio {busy / alone:.2f}"
    )


if __name__ == "__main__":
    main()
