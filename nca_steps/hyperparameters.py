"""The hyperparameters of a run: the one definition that the config schema, the steps' command
lines, checkpoints, benchmarks and the table in docs/configuration.md derive from.

The defaults are the shipped ones, chosen on a 2-core laptop CPU by
``benchmarks/sweep_defaults.py`` (the ES study, ``benchmarks/es_study.py``, found nothing that
beat them at the shipped budget); the notebook's own values are the preset
``workflow/configs/notebook.yaml``.
"""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from nca_steps.cli import POSITIVE_INT, Range
from nca_steps.errors import StepError

# Each algorithm and what lr sets in it (nca_steps/solver.py builds them).
ALGORITHMS = {
    "pgpe": "PGPE with Adam, the notebook's: center and stdev learning rates 0.05 and 0.01 x lr, "
    "initial stdev 0.1 x lr",
    "ars": "Augmented Random Search (evojax's ARS_native): SGD at 0.05 x lr, initial stdev "
    "0.1 x lr decaying to 0.01",
    "crfmnes": "CR-FM-NES: initial stdev 0.1 x lr; it adapts its step size and covariance",
    "openes": "OpenAI-ES (evosax): fixed stdev 0.1 x lr, Adam at lr / 60 on centred ranks",
    "snes": "separable NES (evosax): initial stdevs 0.1 x lr, adapted per coordinate",
    "sep_cma_es": "Sep-CMA-ES (evosax): initial step size 0.1 x lr, adapted with a diagonal "
    "covariance",
    "pgpe_clipup": "PGPE with ClipUp (evosax): initial stdev 0.1 x lr, normalised steps of "
    "0.1 x lr into a momentum velocity clipped at 0.2 x lr",
    "adam": "the gradient baseline, not an ES: backpropagation through pop_size rollouts, Adam "
    "at 0.02 x lr on per-tensor normalised gradients",
}

# What a run is trained for (nca_steps/fitness.py scores it).
EXPERIMENTS = {
    "growing": "the notebook's: grow from the seed to the target in steps",
    "persistent": "grow, then hold the pattern: the MSE at 2, ..., later_losses + 1 x steps is "
    "added, softly capped, a dead grid scoring worst (nca_steps/fitness.py, later_loss)",
    "regenerating": "as persistent, but a random disc of about a quarter of the target is erased "
    "once grown, so the later losses score the repair",
}


@dataclass(frozen=True)
class Hyperparameter:
    name: str
    default: Any
    help: str
    range: Range | None = None  # numbers
    choices: tuple[str, ...] | None = None  # names

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def json_schema(self) -> dict:
        schema = self.range.json_schema() if self.range else {"enum": list(self.choices or ())}
        return {"description": self.help, **schema, "default": self.default}

    def check(self, value: Any) -> None:
        """What the command line would refuse (JSON Schema lets 32.0 pass as an integer and
        NaN or infinity pass every bound), refused with one line."""
        if self.range is None:
            ok = value in (self.choices or ())
        elif self.range.kind is int:
            ok = isinstance(value, int) and not isinstance(value, bool) and self.range.valid(value)
        else:
            ok = isinstance(value, int | float) and self.range.valid(value)
        if not ok:
            valid = self.range.describe() if self.range else f"one of {', '.join(self.choices)}"
            raise StepError(f"{self.name} {value!r} is invalid; use {valid}")


POOL_RESEED_EVERY = 16  # one fresh pool state per 8 advanced: Distill's batch of 8 holds one seed

HYPERPARAMETERS = (
    Hyperparameter(
        "algorithm",
        "pgpe",
        "the training algorithm: " + "; ".join(f"{k}: {v}" for k, v in ALGORITHMS.items()),
        choices=tuple(ALGORITHMS),
    ),
    Hyperparameter(
        "experiment",
        "growing",
        "what the pattern is trained for: "
        + "; ".join(f"{k}: {v}" for k, v in EXPERIMENTS.items()),
        choices=tuple(EXPERIMENTS),
    ),
    Hyperparameter(
        "later_losses",
        2,
        "persistent and regenerating: how many later losses (at 2, 3, ... x steps) are added; "
        "each costs another steps updates per rollout",
        Range(int, minimum=1, maximum=16),
    ),
    Hyperparameter(
        "window",
        1,
        "the loss at the end of growth is taken over its last window steps (1: at the last "
        "step, the notebook's): a pattern must hold its shape through them, not pass by",
        POSITIVE_INT,
    ),
    Hyperparameter(
        "window_loss",
        "mean",
        "how the window's losses make one: mean, or random (one of its steps, drawn per "
        "rollout: a random number of steps, as Distill trains)",
        choices=("mean", "random"),
    ),
    Hyperparameter(
        "dead",
        "mse",
        "how a loss step scores a grid with no living cell left: mse (the notebook's: the "
        "empty grid's MSE, better than a pattern that overshoots) or worst (100 x that, below "
        "every pattern short of a runaway), so that dying is no refuge",
        choices=("mse", "worst"),
    ),
    Hyperparameter(
        "pool",
        0,
        "evolution strategies: a pool of this many grown states (the Distill article's "
        "persistence trick; 0: none): every other generation grows from one of them instead "
        "of the seed, and the center's result replaces it, so they age; one generation in "
        f"{POOL_RESEED_EVERY} puts a fresh one in",
        Range(int, minimum=0, maximum=4096),
    ),
    Hyperparameter(
        "weight_decay",
        0.0,
        "evolution strategies: each member's loss gets weight_decay x the sum of its squared "
        "weights added before the solver ranks them (an L2 penalty, as evosax's fitness "
        "shaper's w_decay; 0: none, the notebook's), so that the search keeps to small weights",
        Range(float, minimum=0, maximum=1),
    ),
    Hyperparameter(
        "warmup",
        0,
        "persistent and regenerating: generations trained for growing first, a curriculum "
        "(a still or dead pattern is a trap once the later losses count)",
        Range(int, minimum=0),
    ),
    Hyperparameter(
        "init",
        "zero",
        "where an ES starts its center: zero (the notebook's) or lecun (flax's default init of "
        "the model, LeCun-normal first layer and zero last layer, drawn from the seed; adam "
        "always starts there; PGPE from there at width 128 dies in its first generations, "
        "docs/training.md)",
        choices=("zero", "lecun"),
    ),
    Hyperparameter(
        "pop_size",
        32,
        "population per generation (even: the solvers sample antithetic pairs; pgpe: 4 or more)",
        Range(int, minimum=2, maximum=4096, multiple_of=2),
    ),
    Hyperparameter(
        "lr",
        0.12,
        "step size: the initial stdev is 0.1 x lr, the learning rates follow it (see algorithm)",
        Range(float, above=0, maximum=10),
    ),
    Hyperparameter("generations", 2000, "generations (ask, evaluate, tell)", POSITIVE_INT),
    Hyperparameter(
        "max_seconds",
        0,
        "stop earlier, once training has run this many seconds (0: no limit); to compare "
        "algorithms at equal CPU time; where it stops then depends on the machine",
        Range(float, minimum=0),
    ),
    Hyperparameter("steps", 32, "NCA updates per rollout", Range(int, minimum=1, maximum=1024)),
    Hyperparameter(
        "loss_every", 32, "add the RGBA MSE every this many steps (steps: a multiple)", POSITIVE_INT
    ),
    Hyperparameter(
        "fire_rate", 0.5, "chance that a cell updates in a step", Range(float, above=0, maximum=1)
    ),
    Hyperparameter(
        "seed", 1, "seed of the solver and the rollouts", Range(int, minimum=0, maximum=2**32 - 1)
    ),
    Hyperparameter(
        "channels", 16, "NCA state channels (RGBA + hidden)", Range(int, minimum=4, maximum=256)
    ),
    Hyperparameter(
        "hidden",
        128,
        "width of the per-cell MLP's hidden layer (the notebook's: 128); the model has "
        "hidden x (4 x channels + 1) + channels parameters",
        Range(int, minimum=1, maximum=1024),
    ),
)
BY_NAME = {h.name: h for h in HYPERPARAMETERS}
ROLLOUT = ("channels", "hidden", "steps", "loss_every", "fire_rate")  # what shapes a rollout
# ... and what its training loss scores
OBJECTIVE = (*ROLLOUT, "experiment", "later_losses", "window", "window_loss", "dead")
NAMES = tuple(BY_NAME)
DEFAULTS = {h.name: h.default for h in HYPERPARAMETERS}


PGPE_MIN_POP = 4  # two antithetic pairs
# evojax's CR-FM-NES solves for a constant by a Newton iteration at set-up: 1.1 s at 60,000
# parameters; past about 62,000 it does not finish for some sizes (64,000, 65,000, 66,576 and
# 70,000 ran over 15 s and were stopped; measured 2026-12-01).
CRFMNES_MAX_PARAMS = 60_000
PER_RUN = ("seed",)  # set per run from the config's ``seeds`` list, not per combination


def json_schema() -> dict:
    """The schema of a ``hyperparameters`` or combination mapping; every key is optional."""
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {h.name: h.json_schema() for h in HYPERPARAMETERS if h.name not in PER_RUN},
    }


GRID = "grid"  # a combination's key listing values to expand into one combination each
# a combination's key naming another whose runs its runs continue
START_FROM = "start_from"
# what a run shares with the run it continues: the shape of the search's state
CONTINUED = ("algorithm", "pop_size", "channels", "hidden")


def combination_json_schema() -> dict:
    """The schema of a combination: hyperparameters, a ``grid`` of lists of values and a
    ``start_from``."""
    schema = json_schema()
    start_from = {
        "description": "another combination (after grids are expanded) whose runs, of the "
        "same target and seed, this one's continue: its search's final state (center, step "
        "sizes, optimizer moments, pool) goes on under this combination's objective and step "
        "sizes, e.g. regenerating after a finished growing run. Both must have the same "
        "algorithm, pop_size, channels and hidden; generations, warmup and max_seconds count "
        "from the start's first generation, so this one needs more generations",
        "type": "string",
    }
    values = {
        name: {"type": "array", "minItems": 1, "uniqueItems": True, "items": item}
        for name, item in schema["properties"].items()
    }
    grid = {
        "description": "hyperparameter -> the values to try: the combination becomes one "
        "combination per point of their Cartesian product, named as Snakemake's Paramspace "
        "names them (<combination>_lr~0.05_pop_size~64)",
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "properties": values,
    }
    return {**schema, "properties": {**schema["properties"], GRID: grid, START_FROM: start_from}}


def expand_grid(name: str, combination: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """A combination with a ``grid``, as one combination per point of the grid's Cartesian
    product (last key fastest), each named ``<name>_<key>~<value>_...`` as Snakemake's
    Paramspace names its instances; without a grid, itself. Raises StepError where a key is
    both fixed and in the grid."""
    combination = dict(combination or {})
    grid = combination.pop(GRID, None)
    if not grid:
        return {name: combination}
    both = sorted(set(grid) & set(combination))
    if both:
        raise StepError(f"{', '.join(both)} is both set and in the grid of combination {name}")
    points = itertools.product(*grid.values())
    return {
        "_".join([name, *(f"{k}~{v}" for k, v in zip(grid, point, strict=True))]): {
            **combination,
            **dict(zip(grid, point, strict=True)),
        }
        for point in points
    }


def seeds_json_schema() -> dict:
    """The schema of the config's ``seeds``: distinct seeds, one training run each."""
    seed = BY_NAME["seed"]
    item = {k: v for k, v in seed.json_schema().items() if k != "default"}
    return {
        "description": "seeds to train every (target, combination) with, one run each; "
        "several give replicates, aggregated in results/summary_by_combination.csv",
        "type": "array",
        "minItems": 1,
        "uniqueItems": True,
        "items": item,
        "default": [seed.default],
    }


def check(values: dict[str, Any]) -> None:
    """Every value in range, and the rollout ending on a loss step."""
    for name, value in values.items():
        BY_NAME[name].check(value)
    if "steps" in values and "loss_every" in values:
        check_steps(values["steps"], values["loss_every"])
    if "steps" in values and values.get("window", 1) > values["steps"]:
        raise StepError(f"window {values['window']} is longer than steps {values['steps']}")
    for es_only in ("pool", "weight_decay"):
        if values.get("algorithm") == "adam" and values.get(es_only):
            raise StepError(
                f"{es_only} {values[es_only]} is for the evolution strategies; use 0 with adam"
            )
    if values.get("algorithm") == "crfmnes" and {"channels", "hidden"} <= values.keys():
        from nca_steps.model import param_count  # imports JAX: only where it is needed

        count = param_count(values["channels"], values["hidden"])
        if count > CRFMNES_MAX_PARAMS:
            raise StepError(
                f"crfmnes takes at most {CRFMNES_MAX_PARAMS:,} parameters, and channels "
                f"{values['channels']} with hidden {values['hidden']} make {count:,}; use "
                "fewer, or another algorithm"
            )
    if values.get("algorithm") == "pgpe" and values.get("pop_size", PGPE_MIN_POP) < PGPE_MIN_POP:
        # evojax's PGPE fails on a single antithetic pair (its scores lose their pair axis)
        raise StepError(
            f"pop_size {values['pop_size']} is too small for pgpe; use {PGPE_MIN_POP} or more"
        )


def check_steps(steps: int, loss_every: int) -> None:
    """The loss is added every ``loss_every`` steps, so the rollout must end on a loss step."""
    if steps % loss_every:
        raise StepError(f"steps {steps} is not a multiple of loss_every {loss_every}")


def add_arguments(p: argparse.ArgumentParser, names: Iterable[str] = NAMES) -> None:
    """A flag per hyperparameter (``--pop-size``, ...) with its default and range."""
    group = p.add_argument_group("hyperparameters (defaults: the shipped ones)")
    for name in names:
        h = BY_NAME[name]
        if h.range:
            group.add_argument(h.flag, type=h.range.parse, default=h.default, help=h.help)
        else:
            group.add_argument(h.flag, choices=h.choices, default=h.default, help=h.help)


def from_args(args: argparse.Namespace, names: Iterable[str] = NAMES) -> dict[str, Any]:
    """The hyperparameters a parsed command line holds, checked as a config's are."""
    values = {name: getattr(args, name) for name in names}
    check(values)
    return values


def rollout_steps(values: dict[str, Any]) -> int:
    """Updates in one training rollout: ``steps``, and ``steps`` per later loss."""
    later = 0 if values["experiment"] == "growing" else values["later_losses"]
    return values["steps"] * (1 + later)


def objective(values: dict[str, Any], generation: int | None = None) -> dict[str, Any]:
    """The hyperparameters of the training loss, as the fitness takes them; at a
    ``generation`` of the warm-up, growing's."""
    chosen = {name: values[name] for name in OBJECTIVE}
    if generation is not None and generation < values["warmup"]:
        chosen["experiment"] = "growing"
    return chosen
