"""Seconds per generation: nca-steps' fitness against the notebook's formulation, in one process.

A generation is PGPE's ask, the population fitness and tell. Both formulations grow the same
population from the same seed, alternating generation by generation so that both see the same
load; the figures are medians over ``--repeats`` generations after one warm-up (compile)
generation each. The settings are a config's first run (the notebook's by default); the
notebook's formulation exists for its own model only (16 channels, width 128), so other models
are timed alone.

    python benchmarks/fitness_speed.py                      # notebook settings: 40-px lizard
    python benchmarks/fitness_speed.py --size 20 --pop-size 32 --steps 32 --loss-every 32
    python benchmarks/fitness_speed.py --config config.yaml --threads 1   # the shipped model
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from settings import NOTEBOOK_CONFIG, run_settings

from nca_steps import reference
from nca_steps.emoji_sources import SHIPPED_DIR
from nca_steps.fitness import growth_plan, make_population_fitness, window_bounds
from nca_steps.hyperparameters import OBJECTIVE, ROLLOUT
from nca_steps.images import prepare_target, read_rgba
from nca_steps.model import param_count
from nca_steps.runtime import use_cpu_threads
from nca_steps.solver import make_solver

NOTEBOOK_MODEL = {"channels": 16, "hidden": 128}  # what nca_steps/reference.py builds


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--config", default=str(NOTEBOOK_CONFIG), help="whose first run to time")
    config = p.parse_known_args()[0].config
    run = run_settings(config)
    hp = run["hyperparameters"]
    p.set_defaults(hp=hp)
    p.add_argument("--size", type=int, default=run["target_size"])
    p.add_argument("--padding", type=int, default=run["target_padding"])
    p.add_argument("--pop-size", type=int, default=hp["pop_size"])
    p.add_argument("--steps", type=int, default=hp["steps"])
    p.add_argument("--loss-every", type=int, default=hp["loss_every"])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=os.cpu_count(), help="as a training job's")
    p.add_argument("--batch", type=int, default=None, help="members grown at once per device")
    p.add_argument("--skip-reference", action="store_true")
    return p.parse_args()


def generation_timer(fitness_call, pop_size: int, hp: dict) -> Callable[[], float]:
    """A function that runs the next generation (ask, fitness, tell) and returns its seconds."""
    dim = param_count(hp["channels"], hp["hidden"])
    solver = make_solver("pgpe", dim, pop_size=pop_size, lr=hp["lr"], seed=hp["seed"])
    gen = 0

    def next_generation() -> float:
        nonlocal gen
        start = time.perf_counter()
        population = solver.ask()
        fit = fitness_call(population, jax.random.fold_in(jax.random.PRNGKey(0), gen))
        solver.tell(fit)
        jax.block_until_ready(solver.center)
        gen += 1
        return time.perf_counter() - start

    next_generation()  # compiles
    return next_generation


def matmul_peak() -> float:
    """This machine's fp32 GFLOP/s on a large square matrix product."""
    a = jnp.ones((4096, 4096), jnp.float32)
    f = jax.jit(lambda a: a @ a)
    f(a).block_until_ready()
    start = time.perf_counter()
    for _ in range(3):
        r = f(a)
    r.block_until_ready()
    return 3 * 2 * 4096**3 / (time.perf_counter() - start) / 1e9


def main() -> None:
    args = parse_args()
    use_cpu_threads(args.threads, args.pop_size)
    target = prepare_target(read_rgba(SHIPPED_DIR / "emoji_u1f98e.png"), args.size, args.padding)
    h, w = target.shape[:2]
    hp = args.hp
    per_cell = 2 * (3 * hp["channels"] * hp["hidden"] + hp["hidden"] * hp["channels"])
    flop = args.pop_size * args.steps * h * w * per_cell
    cells = 0  # cell updates actually computed, growth windows included
    for first, last in growth_plan(h, w, args.steps, args.loss_every):
        top, bottom, left, right = window_bounds(h, w, last)
        cells += (last - first + 1) * (bottom - top) * (right - left)
    done = args.pop_size * cells * per_cell
    settings = {k: hp[k] for k in ("channels", "fire_rate")}
    settings |= dict(steps=args.steps, loss_every=args.loss_every)
    objective = {k: hp[k] for k in OBJECTIVE if k not in ROLLOUT}
    notebook_model = all(hp[k] == v for k, v in NOTEBOOK_MODEL.items())
    if not (args.skip_reference or notebook_model):
        print("the notebook's formulation has only its own model: timing nca-steps alone")
    print(
        f"grid {h}x{w}, {hp['channels']} channels, width {hp['hidden']}, "
        f"{hp['experiment']}, population {args.pop_size}, {args.steps} steps, "
        f"{flop / 1e12:.3f} TFLOP per generation (MLP only), {len(jax.devices())} device(s)"
    )
    fitness = make_population_fitness(
        target,
        pop_size=args.pop_size,
        batch=args.batch,
        hidden=hp["hidden"],
        **settings,
        **objective,
    )
    ours = generation_timer(fitness, args.pop_size, hp)
    if args.skip_reference or not notebook_model:
        t_ours = statistics.median(ours() for _ in range(args.repeats))
    else:
        theirs = reference.make_population_fitness(target, **settings)
        notebook = generation_timer(
            lambda population, key: theirs(population, jax.random.split(key, args.pop_size)),
            args.pop_size,
            hp,
        )
        # Alternate the two, so that both see the same load on a shared machine.
        pairs = [(ours(), notebook()) for _ in range(args.repeats)]
        t_ours = statistics.median(mine for mine, _ in pairs)
        t_ref = statistics.median(ref for _, ref in pairs)
    peak = matmul_peak()
    print(
        f"nca-steps: {t_ours:8.3f} s/generation  {flop / t_ours / 1e9:6.1f} GFLOP/s of the "
        f"notebook's work\n           it computes {done / flop:.0%} of that (growth windows): "
        f"{done / t_ours / 1e9:.1f} GFLOP/s, {done / t_ours / 1e9 / peak:.0%} of this machine's "
        f"{peak:.0f} GFLOP/s matmul peak"
    )
    if args.skip_reference or not notebook_model:
        return
    ratios = sorted(ref / mine for mine, ref in pairs)
    print(f"notebook:  {t_ref:8.3f} s/generation  {flop / t_ref / 1e9:6.1f} GFLOP/s")
    print(
        f"speed-up:  {t_ref / t_ours:8.2f}x  (generation by generation: "
        f"{ratios[0]:.2f}x to {ratios[-1]:.2f}x)"
    )


if __name__ == "__main__":
    np.set_printoptions(precision=4)
    main()
