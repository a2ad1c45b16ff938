"""The per-generation metrics table: written by the train step, read by the curve and summary."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from nca_steps.cli import read_text
from nca_steps.errors import StepError
from nca_steps.files import atomic_path

COLUMNS = ("generation", "best_loss", "mean_loss", "center_loss", "stdev_mean", "seconds")


def partial_metrics_path(metrics: str | os.PathLike) -> Path:
    """Where a running job keeps its metrics so far: ``metrics.partial.csv`` beside the final
    ``metrics.csv``, which appears only when the run is done (Snakemake's output)."""
    path = Path(metrics)
    return path.with_name(f"{path.stem}.partial{path.suffix}")


def write_metrics(path: str | os.PathLike, rows: list[tuple[float, ...]]) -> None:
    """One row per generation, in :data:`COLUMNS` order."""
    with atomic_path(path) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(COLUMNS)
            for r in rows:
                w.writerow([int(r[0]), *(f"{v:.8g}" for v in r[1:])])


def read_metrics(path: str | os.PathLike) -> dict[str, list[float]]:
    """Column name -> values; a missing, empty or foreign file is refused in one line."""
    rows = list(csv.DictReader(io.StringIO(read_text(path, "metrics"), newline="")))
    try:
        table = {k: [float(r[k]) for r in rows] for k in COLUMNS}
    except (KeyError, ValueError, TypeError) as err:
        raise StepError(
            f"metrics {path} is not a train step's table (columns: {', '.join(COLUMNS)})"
        ) from err
    if not rows:
        raise StepError(f"metrics {path} has no generations")
    return table
