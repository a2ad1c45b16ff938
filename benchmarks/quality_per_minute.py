"""Grown picture per CPU-minute: train the 20-px lizard for a fixed wall-clock budget, twice.

(a) the notebook's formulation with its hyperparameters (population 128, lr 0.08, 90 steps,
    the loss every 30);
(b) nca-steps with the hyperparameters of the shipped config.yaml.

Prints each run's generations and final center loss (its own objective, the sum of the RGBA MSE
at its loss steps, averaged over 16 rollouts), the same relative to the empty grid's loss, and
writes a side-by-side picture.

    python benchmarks/quality_per_minute.py --minutes 10 --png-out quality.png
"""

from __future__ import annotations

import argparse
import os
import time

from settings import NOTEBOOK_CONFIG, SHIPPED_CONFIG, run_settings

from nca_steps.runtime import use_cpu_threads

NOTEBOOK = run_settings(NOTEBOOK_CONFIG)["hyperparameters"]


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--minutes", type=float, default=10.0, help="wall-clock budget per run")
    p.add_argument("--size", type=int, default=20)
    p.add_argument("--config", default=str(SHIPPED_CONFIG), help="settings of run (b)")
    p.add_argument("--png-out", default="quality_per_minute.png")
    return p.parse_args()


def train_for(seconds: float, fitness_call, solver, seed: int = 1):
    """Generations of ``solver`` until the budget is spent; returns its best parameters (PGPE's
    center) and the number of generations."""
    import jax

    key = jax.random.PRNGKey(seed)
    start, gen = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        fit = fitness_call(solver.ask(), jax.random.fold_in(key, gen))
        solver.tell(fit)
        jax.block_until_ready(solver.center)
        gen += 1
    return solver.center, gen


def center_loss(params, target, settings: dict) -> tuple[float, float]:
    """The run's objective for ``params`` averaged over 16 rollouts, and the empty grid's."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    from nca_steps.fitness import member_loss

    score = jax.jit(jax.vmap(lambda key: member_loss(params, key, target, **settings)))
    loss = float(jnp.mean(score(jax.random.split(jax.random.PRNGKey(99), 16))))
    empty = float(np.square(target).mean()) * (settings["steps"] // settings["loss_every"])
    return loss, empty


def main() -> None:
    args = parse_args()
    use_cpu_threads(os.cpu_count() or 1, 128)
    import jax
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from nca_steps import reference
    from nca_steps.emoji_sources import SHIPPED_DIR
    from nca_steps.fitness import make_population_fitness
    from nca_steps.images import prepare_target, read_rgba, to_rgb
    from nca_steps.model import param_count, rollout
    from nca_steps.solver import make_solver

    target = prepare_target(read_rgba(SHIPPED_DIR / "emoji_u1f98e.png"), args.size, 4)
    ours = run_settings(args.config)["hyperparameters"]
    runs = {}
    for name, hp in (("(a) notebook", NOTEBOOK), ("(b) nca-steps", ours)):
        settings = dict(
            channels=16, steps=hp["steps"], loss_every=hp["loss_every"], fire_rate=hp["fire_rate"]
        )
        if name.startswith("(a)"):
            ref = reference.make_population_fitness(target, **settings)

            def call(pop, key, ref=ref, n=hp["pop_size"]):
                return ref(pop, jax.random.split(key, n))
        else:
            call = make_population_fitness(target, pop_size=hp["pop_size"], **settings)
        solver = make_solver("pgpe", param_count(16), pop_size=hp["pop_size"], lr=hp["lr"], seed=1)
        center, gens = train_for(60 * args.minutes, call, solver)
        loss, empty = center_loss(center, target, settings)
        grown = rollout(
            center,
            jax.random.PRNGKey(0),
            hp["steps"],
            height=target.shape[0],
            width=target.shape[1],
        )[-1]
        runs[name] = (gens, loss, empty, to_rgb(np.asarray(grown)))
        print(
            f"{name}: {gens} generations in {args.minutes:g} min, center loss {loss:.5f} "
            f"({loss / empty:.3f} of the empty grid's {empty:.5f})",
            flush=True,
        )
    (_, la, ea, _), (_, lb, eb, _) = runs.values()
    print(f"(b) / (a): {lb / la:.3f} in raw loss, {(lb / eb) / (la / ea):.3f} relative to empty")

    fig, axes = plt.subplots(1, 3, figsize=(7.5, 2.8), layout="constrained")
    axes[0].imshow(to_rgb(target))
    axes[0].set_title("target")
    for ax, (name, (gens, loss, _, rgb)) in zip(axes[1:], runs.items(), strict=True):
        ax.imshow(rgb)
        ax.set_title(f"{name}\n{gens} gens, loss {loss:.4f}", fontsize=9)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.savefig(args.png_out, dpi=100)
    print(f"picture: {args.png_out}")


if __name__ == "__main__":
    main()
