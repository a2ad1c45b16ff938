"""The ES study: train every combination of a study config (workflow/configs/study.yaml: the
variants worth keeping, as grids, at equal CPU time through ``max_seconds``) on its targets and
seeds with the real workflow, two runs at a time, and write one table of what each grew.

    python benchmarks/es_study.py                      # run the study, then print its table
    python benchmarks/es_study.py --table-only         # the table of a study already run

Each row is one combination over every (target, seed): the MSE over the empty grid's at 1, 3 and
10 x the training steps (mean over seeds, per target, worst seed in brackets), the damage ratio
(1: fully repaired), dead seeds (nothing grown: the MSE at 1x at least 0.99 of the empty grid's),
generations reached and seconds per generation. Times depend on the CPU: the table names it.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEAD = 0.99  # MSE at 1x over the empty grid's at or above which a run grew nothing


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--config", default=str(ROOT / "workflow/configs/study.yaml"))
    p.add_argument("--out", default=str(ROOT / "study"), help="the study's working folder")
    p.add_argument("--cores", type=int, default=2, help="runs at a time (one thread each)")
    p.add_argument("--table-only", action="store_true", help="do not run; tabulate --out")
    p.add_argument("--table-out", help="also write the table (Markdown) to this file")
    return p.parse_args()


def run_study(config: str, out: str, cores: int) -> None:
    Path(out).mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--directory", out,
        "--configfile", config, "--replace-workflow-config", "--cores", str(cores),
        "results/summary.csv", "results/overview.png",
    ]  # fmt: skip
    print(" ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            name = line.split(":", 1)[1].strip()
            avx512 = "avx512f" in Path("/proc/cpuinfo").read_text()
            return f"{name}, {os.cpu_count()} cores, {'with' if avx512 else 'no'} AVX-512"
    return platform.processor() or "unknown CPU"


def table(summary: Path) -> str:
    with open(summary, newline="") as f:
        rows = list(csv.DictReader(f))
    by_combination: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_combination[r["combination"]].append(r)
    targets = sorted({r["target"] for r in rows})
    head = [
        "combination",
        *(f"{t} 1x" for t in targets),
        "3x",
        "10x",
        "damage ratio",
        "dead",
        "generations",
        "s/gen",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, runs in by_combination.items():
        cells = [name]
        for t in targets:
            values = [float(r["mse_1x_vs_empty"]) for r in runs if r["target"] == t]
            cells.append(f"{statistics.fmean(values):.3f} ({max(values):.3f})" if values else "")
        for column in ("mse_3x_vs_empty", "mse_10x_vs_empty", "damage_ratio"):
            cells.append(f"{statistics.median(number(r[column]) for r in runs):.3g}")
        dead = sum(number(r["mse_1x_vs_empty"]) >= DEAD for r in runs)
        generations = [number(r["generations"]) for r in runs]
        seconds = [number(r["wall_seconds"]) for r in runs]
        cells += [
            f"{dead}/{len(runs)}",
            f"{statistics.fmean(generations):.0f}",
            f"{sum(seconds) / sum(generations):.3f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    note = (
        f"\n{len(rows)} runs; 1x: mean over seeds (worst seed); 3x, 10x, damage ratio: median "
        f"over all runs; dead: MSE at 1x >= {DEAD} of the empty grid's. CPU: {cpu_name()}."
    )
    return "\n".join(lines) + note


def number(value: str) -> float:
    return float(value) if value not in ("", None) else float("nan")


def main() -> None:
    args = parse_args()
    if not args.table_only:
        run_study(args.config, args.out, args.cores)
    text = table(Path(args.out) / "results/summary.csv")
    print(text)
    if args.table_out:
        Path(args.table_out).write_text(text + "\n")


if __name__ == "__main__":
    main()
