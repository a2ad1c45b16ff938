"""Step ``evaluate``: grow the trained center from several random keys for longer than training.

Writes the loss per step and summary numbers (JSON: the training-style loss, the MSE at 1, 3
and 10 x the training steps, the damage and rotation tests and the target-free drift and
repair gap of nca_steps/evaluation.py), the
first rollout's RGBA frames of its growth and of its damage and repair (for the GIFs) and its
pictures at the training horizon and at the evaluation's (for the overview: what it grew, and
what it holds). Works on any flat parameter vector,
including one saved from the notebook.
"""

from __future__ import annotations

import argparse
import math
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from PIL import Image

from nca_steps import hyperparameters
from nca_steps.cli import POSITIVE_INT, Range, load_npy, parser, run_step
from nca_steps.damage import disc_radius, erase_quadrant_discs, quadrant_centres
from nca_steps.evaluation import (
    ROTATION_ANGLE,
    damage_report,
    drift,
    mse_at_horizons,
    mse_per_step,
    repair_gap,
    rotated,
)
from nca_steps.files import atomic_path, write_json
from nca_steps.images import to_rgb, to_uint8
from nca_steps.model import rollout_rgba, seed_grid
from nca_steps.runtime import use_cpu_threads

HORIZONS = Range(int, minimum=1, maximum=100)  # x the training steps
ROLLOUTS = Range(int, minimum=1, maximum=1024)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = parser("nca_steps.steps.evaluate", __doc__)
    p.add_argument("--params", required=True, help="flat parameter vector (.npy)")
    p.add_argument("--target", required=True, help="padded target (.npy)")
    p.add_argument(
        "--horizon", type=HORIZONS.parse, default=10, help="evaluate for this many x steps"
    )
    p.add_argument("--rollouts", type=ROLLOUTS.parse, default=8, help="random keys to grow from")
    p.add_argument(
        "--seed",
        type=hyperparameters.BY_NAME["seed"].range.parse,
        default=0,
        help="evaluation keys' seed",
    )
    p.add_argument("--threads", type=POSITIVE_INT.parse, default=1)
    p.add_argument("--metrics-out", required=True, help=".json")
    p.add_argument("--frames-out", required=True, help=".npz with the first rollout's RGBA")
    p.add_argument(
        "--damage-frames-out",
        required=True,
        help=".npz with the first rollout's RGBA: grown to the training steps, then that state "
        "damaged and its repair (2 x steps + 2 frames)",
    )
    p.add_argument("--grown-out", required=True, help=".png of the first rollout at --steps")
    p.add_argument(
        "--at-horizon-out", required=True, help=".png of the first rollout at --horizon x --steps"
    )
    hyperparameters.add_arguments(p, hyperparameters.ROLLOUT)
    return p.parse_args(argv)


def grow_all(
    params: np.ndarray, target: np.ndarray, args: argparse.Namespace
) -> dict[str, np.ndarray]:
    """Every rollout the evaluation needs, RGBA only: ``growth`` (seed to the horizon),
    ``damaged`` (from the damaged training-horizon state, as many steps again), ``undamaged``
    (the same from the state as it was: same keys, so the two differ by the damage alone) and
    ``rotated`` (turned seed to the training steps, with the perception turned, on the turned
    grid)."""
    height, width = target.shape[:2]
    grow = partial(
        rollout_rgba, params, channels=args.channels, hidden=args.hidden, fire_rate=args.fire_rate
    )
    turned_seed = rotated(seed_grid(height, width, args.channels))

    @jax.jit
    @jax.vmap
    def rollouts(key: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
        grown, first = grow(key, args.steps, height=height, width=width)
        _, rest = grow(
            jax.random.fold_in(key, 1), (args.horizon - 1) * args.steps,
            height=height, width=width, start=grown,
        )  # fmt: skip
        _, turned = grow(
            key, args.steps, angle=ROTATION_ANGLE, height=width, width=height, start=turned_seed
        )
        return grown, jnp.concatenate([first, rest[1:]]), turned

    @jax.jit
    @jax.vmap
    def repair(key: jax.Array, damaged: jax.Array) -> jax.Array:
        key = jax.random.fold_in(key, 1)
        return grow(key, args.steps, height=height, width=width, start=damaged)[1]

    keys = jax.random.split(jax.random.PRNGKey(args.seed), args.rollouts)
    grown, growth, turned = rollouts(keys)
    damaged = repair(keys, erase_quadrant_discs(grown, target))
    undamaged = repair(keys, grown)
    rgba = {"growth": growth, "damaged": damaged, "undamaged": undamaged, "rotated": turned}
    return {k: np.asarray(v) for k, v in rgba.items()}


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    hyperparameters.from_args(args, hyperparameters.ROLLOUT)
    params = load_npy(args.params, "parameter vector", ndim=1)
    target = load_npy(args.target, "target", ndim=3, last=4)
    use_cpu_threads(args.threads)
    rgba = grow_all(params, target, args)
    mse = mse_per_step(rgba["growth"], target)  # (rollouts, horizon steps + 1)
    damaged_mse = mse_per_step(rgba["damaged"], target)  # (rollouts, steps + 1)
    rotated_mse = mse_per_step(rgba["rotated"], rotated(target))[:, -1]
    loss_steps = np.arange(args.loss_every, args.steps + 1, args.loss_every)
    training_style = mse[:, loss_steps].sum(axis=1)
    empty_mse = float(np.square(target).mean())
    empty = empty_mse * len(loss_steps)
    unrotated = float(mse[:, args.steps].mean())
    write_json(
        args.metrics_out,
        {
            "loss": float(training_style.mean()),
            "loss_std": float(training_style.std()),
            "empty_grid_loss": empty,
            "loss_vs_empty": float(training_style.mean() / empty),
            "mse_at": mse_at_horizons(mse, args.steps),
            "empty_grid_mse": empty_mse,
            "damage": {
                **damage_report(mse[:, args.steps], damaged_mse[:, 0], damaged_mse[:, -1]),
                "step": args.steps,
                "radius": disc_radius(target),
                "centres": quadrant_centres(target),
            },
            "drift": drift(rgba["growth"], args.steps, empty_mse),
            "repair_gap": repair_gap(rgba["damaged"], rgba["undamaged"], 2 * args.steps, empty_mse),
            "rotation": {
                "angle": ROTATION_ANGLE,
                "mse": float(rotated_mse.mean()),
                "unrotated_mse": unrotated,
                "ratio": float(rotated_mse.mean()) / unrotated if unrotated else math.inf,
            },
            "finite": bool(all(np.isfinite(v).all() for v in rgba.values())),
            "steps": args.steps,
            "horizon_steps": args.horizon * args.steps,
            "rollouts": args.rollouts,
            "mse_per_step": mse.mean(axis=0).round(7).tolist(),
            "damaged_mse_per_step": damaged_mse.mean(axis=0).round(7).tolist(),
        },
    )
    first = rgba["growth"][0]
    save_frames(args.frames_out, first)
    save_frames(
        args.damage_frames_out, np.concatenate([first[: args.steps + 1], rgba["damaged"][0]])
    )
    for path, frame in ((args.grown_out, args.steps), (args.at_horizon_out, -1)):
        with atomic_path(path) as tmp:
            Image.fromarray(to_uint8(to_rgb(first[frame]), 4)).save(tmp, "PNG")
    print(f"loss {training_style.mean():.5f} (empty grid {empty:.5f})")


def save_frames(path: str, rgba: np.ndarray) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, rgba=rgba.astype(np.float16))


if __name__ == "__main__":
    run_step(main)
