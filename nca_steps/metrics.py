"""The per-generation metrics table: written by the train step, read by the curve and summary.

A model imported rather than trained (the Distill article's, ``import_reference``) gets a
table of one row, generation 0 with no losses, and a last column :data:`IMPORTED` giving
where it came from, so that every run folder has the same files and says what it holds.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from nca_steps.cli import read_text
from nca_steps.errors import StepError
from nca_steps.files import atomic_path

COLUMNS = ("generation", "best_loss", "mean_loss", "center_loss", "stdev_mean", "seconds")
IMPORTED = "imported_from"


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


def write_imported_metrics(path: str | os.PathLike, source: str) -> None:
    """The table of a model imported from ``source`` (a URL): generation 0, no losses."""
    with atomic_path(path) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow((*COLUMNS, IMPORTED))
            w.writerow([0, *["nan"] * (len(COLUMNS) - 2), 0, source])


def imported_from(path: str | os.PathLike) -> str | None:
    """Where the model of a metrics table was imported from; None for a trained one."""
    rows = csv.DictReader(io.StringIO(read_text(path, "metrics"), newline=""))
    return next(rows, {}).get(IMPORTED) or None


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
