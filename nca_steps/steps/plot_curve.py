"""Step ``plot_curve``: one run's training curve (best, mean and center loss per generation)."""

from __future__ import annotations

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from nca_steps.cli import parser, run_step  # noqa: E402
from nca_steps.errors import StepError  # noqa: E402
from nca_steps.files import atomic_path  # noqa: E402
from nca_steps.metrics import imported_from, read_metrics  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = parser("nca_steps.steps.plot_curve", __doc__)
    p.add_argument("--metrics", required=True, help="metrics CSV from the train step")
    p.add_argument("--title", default="")
    p.add_argument("--png-out", required=True)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    m = read_metrics(args.metrics)
    source = imported_from(args.metrics)
    if source:
        raise StepError(f"metrics {args.metrics} are of a model imported from {source}; "
                        "it was not trained here and has no training curve")  # fmt: skip
    fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
    for key, style in (("mean_loss", ":"), ("best_loss", "-"), ("center_loss", "--")):
        ax.plot(m["generation"], m[key], style, label=key.replace("_", " "))
    ax.set_yscale("log")
    ax.set_xlabel("generation")
    ax.set_ylabel("loss (sum of RGBA MSE)")
    ax.set_title(args.title)
    ax.legend()
    with atomic_path(args.png_out) as tmp:
        fig.savefig(tmp, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    run_step(main)
