"""Where a generation's time goes: each piece of an NCA step timed alone on a population.

Times, per generation (``steps`` updates of ``pop_size`` members on the full grid, without
growth windows), the perception, the MLP, the random fire mask and the two living masks, each
jitted by itself with the same batching as the fitness function, next to the whole step.

    python benchmarks/profile_step.py                        # the shipped config's grid and model
    python benchmarks/profile_step.py --size 40 --pop-size 128 --steps 90 --channels 16 --hidden 128
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
from settings import run_settings

from nca_steps.emoji_sources import SHIPPED_DIR
from nca_steps.images import prepare_target, read_rgba
from nca_steps.model import fire_mask, living_mask, param_count, perceive, residual, step, unflatten
from nca_steps.runtime import use_cpu_threads

SHIPPED = run_settings()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--size", type=int, default=SHIPPED["target_size"])
    p.add_argument("--pop-size", type=int, default=SHIPPED["hyperparameters"]["pop_size"])
    p.add_argument("--steps", type=int, default=SHIPPED["hyperparameters"]["steps"])
    p.add_argument("--channels", type=int, default=SHIPPED["hyperparameters"]["channels"])
    p.add_argument("--hidden", type=int, default=SHIPPED["hyperparameters"]["hidden"])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=2, help="members at once, as the fitness does")
    args = p.parse_args()
    use_cpu_threads(args.threads)

    h, w = prepare_target(read_rgba(SHIPPED_DIR / "emoji_u1f98e.png"), args.size, 4).shape[:2]
    keys = jax.random.split(jax.random.PRNGKey(0), args.pop_size)
    c, hidden = args.channels, args.hidden
    flats = 0.05 * jax.random.normal(jax.random.PRNGKey(1), (args.pop_size, param_count(c, hidden)))
    states = jax.random.uniform(jax.random.PRNGKey(2), (args.pop_size, h, w, c))

    # Each piece feeds the next iteration's state, so that XLA cannot hoist it out of the loop.
    pieces = {
        "whole step": lambda f, x, k: step(unflatten(f, c, hidden), x, k, 0.5),
        "perception": lambda f, x, k: 0.5 * (x + perceive(x)[..., c : 2 * c]),
        "MLP (with perception)": lambda f, x, k: x + residual(unflatten(f, c, hidden), x),
        "fire mask (random bits)": lambda f, x, k: x * fire_mask(k, (h, w), 0.5),
        "living mask (x2)": lambda f, x, k: x * living_mask(x) * living_mask(0.5 * x),
        "loop and state only": lambda f, x, k: 0.5 * x,
    }
    print(
        f"grid {h}x{w}, {c} channels, width {hidden}, population {args.pop_size}, "
        f"{args.steps} steps, {args.threads} thread(s)"
    )
    for name, piece in pieces.items():

        def member(f, x, k, piece=piece):
            def body(x, i):
                return piece(f, x, jax.random.fold_in(k, i)), None

            return jax.lax.scan(body, x, jnp.arange(args.steps))[0].sum()

        run = jax.jit(
            lambda f, x, k, m=member: jax.lax.map(lambda a: m(*a), (f, x, k), batch_size=args.batch)
        )
        run(flats, states, keys).block_until_ready()
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            run(flats, states, keys).block_until_ready()
            best = min(best, time.perf_counter() - start)
        print(f"  {name:26s} {best * 1000:8.1f} ms per generation")


if __name__ == "__main__":
    main()
