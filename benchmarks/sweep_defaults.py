"""The sweep behind config.yaml's hyperparameters: which settings grow the 20-px lizard best
in a fixed wall-clock budget.

Each configuration changes the shipped hyperparameters in one way (learning rate, PGPE's
initial stdev, population, rollout length, or another algorithm of nca_steps/solver.py) and
trains in its own process on one thread, two at a time as ``snakemake --cores all`` runs two
training jobs, for ``--seconds`` of wall clock, compile included. It prints generations and
the final loss of the solver's best parameters (its own objective over 16 rollouts) relative to
the empty grid's: lower is better.

    python benchmarks/sweep_defaults.py --seconds 150
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from settings import run_settings

from nca_steps.runtime import use_cpu_threads

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = run_settings()["hyperparameters"]
LR = SHIPPED["lr"]
# name -> what it changes; ``init_stdev`` is not a config key.
SWEEP = {
    "shipped": {},
    "lr / 2": {"lr": LR / 2},
    "lr x 1.5": {"lr": LR * 1.5},
    "PGPE stdev / 2": {"init_stdev": 0.05 * LR},
    "PGPE stdev x 2": {"init_stdev": 0.2 * LR},
    "population 16": {"pop_size": 16},
    "population 64": {"pop_size": 64},
    "24 steps": {"steps": 24, "loss_every": 24},
    "48 steps": {"steps": 48, "loss_every": 48},
    "48 steps, loss every 16": {"steps": 48, "loss_every": 16},
    "ARS": {"algorithm": "ars"},
    "CRFMNES": {"algorithm": "crfmnes"},
}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--seconds", type=float, default=150.0, help="wall-clock budget per run")
    p.add_argument("--jobs", type=int, default=2, help="runs at once, one thread each")
    p.add_argument("--only", nargs="*", choices=list(SWEEP), help="a subset of the sweep")
    p.add_argument("--seed", type=int, default=SHIPPED["seed"], help="of every run")
    p.add_argument("--run", choices=list(SWEEP), help=argparse.SUPPRESS)  # one run, internal
    return p.parse_args()


def sweep_solver(hp: dict, seed: int):
    """The run's solver: the workflow's own (nca_steps/solver.py), with ``init_stdev`` if the
    run sets it."""
    from nca_steps.model import param_count
    from nca_steps.solver import make_solver

    return make_solver(
        hp.get("algorithm", "pgpe"), param_count(16), pop_size=hp["pop_size"], lr=hp["lr"],
        seed=seed, init_stdev=hp.get("init_stdev"),
    )  # fmt: skip


def one_run(name: str, seconds: float, seed: int) -> dict:
    hp = {**SHIPPED, **SWEEP[name], "seed": seed}
    use_cpu_threads(1, hp["pop_size"])
    from quality_per_minute import center_loss, train_for

    from nca_steps.emoji_sources import SHIPPED_DIR
    from nca_steps.fitness import make_population_fitness
    from nca_steps.images import prepare_target, read_rgba

    target = prepare_target(read_rgba(SHIPPED_DIR / "emoji_u1f98e.png"), 20, 4)
    settings = dict(
        channels=16, steps=hp["steps"], loss_every=hp["loss_every"], fire_rate=hp["fire_rate"]
    )
    fitness = make_population_fitness(target, pop_size=hp["pop_size"], **settings)
    params, gens = train_for(seconds, fitness, sweep_solver(hp, hp["seed"]), seed=hp["seed"])
    loss, empty = center_loss(params, target, settings)
    return {"generations": gens, "relative_loss": loss / empty}


def run_child(name: str, seconds: float, seed: int) -> dict:
    cmd = [sys.executable, __file__, "--run", name, "--seconds", str(seconds), "--seed", str(seed)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        return {"error": proc.stderr.strip().splitlines()[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    args = parse_args()
    if args.run:
        print(json.dumps(one_run(args.run, args.seconds, args.seed)))
        return
    names = args.only or list(SWEEP)
    print(
        f"{len(names)} runs of {args.seconds:g} s, {args.jobs} at a time, seed {args.seed}; "
        f"shipped: {SHIPPED}"
    )
    with ThreadPoolExecutor(args.jobs) as pool:
        results = pool.map(lambda name: (name, run_child(name, args.seconds, args.seed)), names)
        for name, result in results:
            if "error" in result:
                print(f"{name:26s} failed: {result['error']}", flush=True)
            else:
                print(
                    f"{name:26s} {result['generations']:6d} generations  "
                    f"loss / empty grid {result['relative_loss']:.3f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
