"""Step ``summarize``: one CSV row per run (target, combination) with its headline numbers."""

from __future__ import annotations

import argparse
import csv

from nca_steps.cli import parser, run_step
from nca_steps.evaluation import SUMMARY_COLUMNS, load_evaluation, summary_values
from nca_steps.files import atomic_path
from nca_steps.metrics import read_metrics

COLUMNS = (
    "target",
    "combination",
    "generations",
    "final_training_loss",
    "evaluation_loss",
    "empty_grid_loss",
    "evaluation_vs_empty",
    *SUMMARY_COLUMNS,
    "wall_seconds",
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = parser("nca_steps.steps.summarize", __doc__)
    p.add_argument(
        "--run",
        nargs=4,
        action="append",
        required=True,
        metavar=("TARGET", "COMBINATION", "METRICS_CSV", "EVALUATION_JSON"),
    )
    p.add_argument("--csv-out", required=True)
    return p.parse_args(argv)


def summary_row(target: str, combination: str, metrics_csv: str, evaluation_json: str) -> dict:
    m = read_metrics(metrics_csv)
    e = load_evaluation(evaluation_json)
    return {
        "target": target,
        "combination": combination,
        "generations": len(m["generation"]),
        "final_training_loss": m["center_loss"][-1],
        "evaluation_loss": e["loss"],
        "empty_grid_loss": e["empty_grid_loss"],
        "evaluation_vs_empty": e["loss_vs_empty"],
        **summary_values(e),
        "wall_seconds": m["seconds"][-1],
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    rows = [summary_row(*run) for run in args.run]
    with atomic_path(args.csv_out) as tmp:
        with open(tmp, "w", newline="") as f:
            w = csv.DictWriter(f, COLUMNS, lineterminator="\n")
            w.writeheader()
            for r in rows:
                w.writerow({k: f"{v:.6g}" if isinstance(v, float) else v for k, v in r.items()})
    print(f"{len(rows)} runs -> {args.csv_out}")


if __name__ == "__main__":
    run_step(main)
