"""Step ``plot_evaluation``: one run's evaluation as a figure, the MSE against the step of the
undamaged rollouts to the long horizon and of the damaged ones, the damage marked, the empty
grid's MSE and the turned pattern's MSE beside them."""

from __future__ import annotations

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from nca_steps.cli import parser, run_step  # noqa: E402
from nca_steps.evaluation import load_evaluation  # noqa: E402
from nca_steps.files import atomic_path  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = parser("nca_steps.steps.plot_evaluation", __doc__)
    p.add_argument("--evaluation", required=True, help="evaluation JSON from the evaluate step")
    p.add_argument("--title", default="")
    p.add_argument("--png-out", required=True)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    e = load_evaluation(args.evaluation)
    undamaged, damaged = np.array(e["mse_per_step"]), np.array(e["damaged_mse_per_step"])
    at, empty, rotated = e["damage"]["step"], e["empty_grid_mse"], e["rotation"]["mse"]
    fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
    ax.plot(np.arange(len(undamaged)), undamaged, label="undamaged")
    ax.plot(np.arange(at, at + len(damaged)), damaged, label="damaged")
    ax.axvline(at, color="grey", linestyle=":", label=f"damage (step {at})")
    ax.axhline(empty, color="black", linestyle="--", linewidth=1, label="empty grid")
    ax.plot([at], [rotated], "v", label="turned 90° at the training steps")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("RGBA MSE (mean over rollouts)")
    ax.set_title(args.title)
    ax.legend(fontsize="small")
    with atomic_path(args.png_out) as tmp:
        fig.savefig(tmp, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    run_step(main)
