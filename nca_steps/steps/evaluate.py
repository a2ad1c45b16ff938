"""Step ``evaluate``: grow the trained center from several random keys for longer than training.

Writes the loss per step and summary numbers (JSON: the training-style loss, the MSE at 1, 3
and 10 x the training steps), the first rollout's RGBA frames (for the
GIF) and its picture at the training horizon (for the overview). Works on any flat parameter
vector, including one saved from the notebook.
"""

from __future__ import annotations

import argparse

import jax
import numpy as np
from PIL import Image

from nca_steps import hyperparameters
from nca_steps.cli import NON_NEGATIVE_INT, POSITIVE_INT, load_npy, parser, run_step
from nca_steps.evaluation import mse_at_horizons
from nca_steps.files import atomic_path, write_json
from nca_steps.images import to_rgb, to_uint8
from nca_steps.model import rollout
from nca_steps.runtime import use_cpu_threads


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = parser("nca_steps.steps.evaluate", __doc__)
    p.add_argument("--params", required=True, help="flat parameter vector (.npy)")
    p.add_argument("--target", required=True, help="padded target (.npy)")
    p.add_argument(
        "--horizon", type=POSITIVE_INT.parse, default=10, help="evaluate for this many x steps"
    )
    p.add_argument(
        "--rollouts", type=POSITIVE_INT.parse, default=8, help="random keys to grow from"
    )
    p.add_argument("--seed", type=NON_NEGATIVE_INT.parse, default=0, help="evaluation keys' seed")
    p.add_argument("--threads", type=POSITIVE_INT.parse, default=1)
    p.add_argument("--metrics-out", required=True, help=".json")
    p.add_argument("--frames-out", required=True, help=".npz with the first rollout's RGBA")
    p.add_argument("--grown-out", required=True, help=".png of the first rollout at --steps")
    hyperparameters.add_arguments(p, hyperparameters.ROLLOUT)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    hyperparameters.from_args(args, hyperparameters.ROLLOUT)
    params = load_npy(args.params, "parameter vector", ndim=1)
    target = load_npy(args.target, "target", ndim=3, last=4)
    use_cpu_threads(args.threads)
    height, width = target.shape[:2]
    total = args.horizon * args.steps
    grow = jax.jit(
        jax.vmap(
            lambda key: rollout(
                params,
                key,
                total,
                height=height,
                width=width,
                channels=args.channels,
                fire_rate=args.fire_rate,
            )[..., :4]
        )
    )
    keys = jax.random.split(jax.random.PRNGKey(args.seed), args.rollouts)
    rgba = np.asarray(grow(keys))  # (rollouts, total + 1, H, W, 4)
    mse = np.square(rgba - target).mean(axis=(2, 3, 4))  # (rollouts, total + 1)
    loss_steps = np.arange(args.loss_every, args.steps + 1, args.loss_every)
    training_style = mse[:, loss_steps].sum(axis=1)
    empty_mse = float(np.square(target).mean())
    empty = empty_mse * len(loss_steps)
    write_json(
        args.metrics_out,
        {
            "loss": float(training_style.mean()),
            "loss_std": float(training_style.std()),
            "empty_grid_loss": empty,
            "loss_vs_empty": float(training_style.mean() / empty),
            "mse_at": mse_at_horizons(mse, args.steps),
            "empty_grid_mse": empty_mse,
            "finite": bool(np.isfinite(rgba).all()),
            "steps": args.steps,
            "horizon_steps": total,
            "rollouts": args.rollouts,
            "mse_per_step": mse.mean(axis=0).round(7).tolist(),
        },
    )
    with atomic_path(args.frames_out) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, rgba=rgba[0].astype(np.float16))
    with atomic_path(args.grown_out) as tmp:
        Image.fromarray(to_uint8(to_rgb(rgba[0, args.steps]), 4)).save(tmp, "PNG")
    print(f"loss {training_style.mean():.5f} (empty grid {empty:.5f})")


if __name__ == "__main__":
    run_step(main)
