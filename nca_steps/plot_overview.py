"""Step ``plot_overview``: targets beside grown results; a row per target, a column per run."""

from __future__ import annotations

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from PIL import Image  # noqa: E402

from nca_steps.cli import run_step  # noqa: E402
from nca_steps.errors import StepError  # noqa: E402
from nca_steps.files import atomic_path  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m nca_steps.plot_overview", description=__doc__)
    p.add_argument("--targets", nargs="+", required=True, help="target names, one per row")
    p.add_argument("--combinations", nargs="+", required=True, help="one per column")
    p.add_argument("--previews", nargs="+", required=True, help="target preview PNGs, by row")
    p.add_argument("--grown", nargs="+", required=True, help="grown PNGs, row by row")
    p.add_argument("--png-out", required=True)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    rows, cols = len(args.targets), len(args.combinations)
    if len(args.previews) != rows or len(args.grown) != rows * cols:
        raise StepError(
            f"got {len(args.previews)} previews and {len(args.grown)} grown pictures; "
            f"{rows} targets x {cols} combinations need {rows} and {rows * cols}"
        )
    fig, axes = plt.subplots(
        rows, cols + 1, figsize=(1.8 * (cols + 1), 1.9 * rows), squeeze=False, layout="constrained"
    )
    for r, name in enumerate(args.targets):
        pictures = [args.previews[r], *args.grown[r * cols : (r + 1) * cols]]
        for c, path in enumerate(pictures):
            ax = axes[r, c]
            ax.imshow(Image.open(path))
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title("target" if c == 0 else args.combinations[c - 1], fontsize=9)
        axes[r, 0].set_ylabel(name, fontsize=9)
    with atomic_path(args.png_out) as tmp:
        fig.savefig(tmp, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    run_step(main)
