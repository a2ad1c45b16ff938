"""Step ``summarize``: one CSV row per run (target, combination, seed) with its headline
numbers, and one per (target, combination) with their mean and standard deviation over seeds.
An imported model's row says where it came from and leaves its training numbers blank."""

from __future__ import annotations

import argparse
import csv
import statistics
from collections.abc import Iterable
from itertools import groupby

from nca_steps.cli import parser, run_step
from nca_steps.evaluation import SUMMARY_COLUMNS, load_evaluation, summary_values
from nca_steps.files import atomic_path
from nca_steps.metrics import imported_from, read_metrics

RUN = ("target", "combination", "seed")
SOURCE = "source"  # trained here, or the URL of an imported model
MEASURED = (
    "generations",
    "final_training_loss",
    "evaluation_loss",
    "empty_grid_loss",
    "evaluation_vs_empty",
    *SUMMARY_COLUMNS,
    "wall_seconds",
)
COLUMNS = (*RUN, SOURCE, *MEASURED)
AGGREGATED_COLUMNS = (
    "target",
    "combination",
    "seeds",
    *(f"{column}_{stat}" for column in MEASURED for stat in ("mean", "std")),
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = parser("nca_steps.steps.summarize", __doc__)
    p.add_argument(
        "--run",
        nargs=5,
        action="append",
        required=True,
        metavar=("TARGET", "COMBINATION", "SEED", "METRICS_CSV", "EVALUATION_JSON"),
    )
    p.add_argument("--csv-out", required=True, help="one row per run")
    p.add_argument(
        "--aggregated-out", required=True, help="one row per (target, combination): mean, std"
    )
    return p.parse_args(argv)


def summary_row(
    target: str, combination: str, seed: str, metrics_csv: str, evaluation_json: str
) -> dict:
    m = read_metrics(metrics_csv)
    e = load_evaluation(evaluation_json)
    source = imported_from(metrics_csv)
    return {
        "target": target,
        "combination": combination,
        "seed": seed,
        SOURCE: source or "trained",
        "generations": 0 if source else len(m["generation"]),
        "final_training_loss": "" if source else m["center_loss"][-1],
        "evaluation_loss": e["loss"],
        "empty_grid_loss": e["empty_grid_loss"],
        "evaluation_vs_empty": e["loss_vs_empty"],
        **summary_values(e),
        "wall_seconds": "" if source else m["seconds"][-1],
    }


def aggregated_rows(rows: list[dict]) -> Iterable[dict]:
    """Mean and sample standard deviation of each number over a (target, combination)'s seeds;
    the deviation is blank for one seed, and both are blank where a run has no number."""
    key = lambda r: (r["target"], r["combination"])  # noqa: E731
    for (target, combination), group in groupby(sorted(rows, key=key), key):
        group = list(group)
        row = {"target": target, "combination": combination, "seeds": len(group)}
        for column in MEASURED:
            values = [r[column] for r in group]
            numbers = all(isinstance(v, int | float) for v in values)
            row[f"{column}_mean"] = float(statistics.fmean(values)) if numbers else ""
            row[f"{column}_std"] = statistics.stdev(values) if numbers and len(values) > 1 else ""
        yield row


def write_csv(path: str, columns: tuple[str, ...], rows: Iterable[dict]) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, columns, lineterminator="\n")
            w.writeheader()
            for r in rows:
                w.writerow({k: f"{v:.6g}" if isinstance(v, float) else v for k, v in r.items()})


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    rows = [summary_row(*run) for run in args.run]
    write_csv(args.csv_out, COLUMNS, rows)
    write_csv(args.aggregated_out, AGGREGATED_COLUMNS, aggregated_rows(rows))
    print(f"{len(rows)} runs -> {args.csv_out}, {args.aggregated_out}")


if __name__ == "__main__":
    run_step(main)
