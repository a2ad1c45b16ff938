"""What every step's command line shares: the hyperparameter flags and one-line errors."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from nca_steps.errors import StepError


def add_hyperparameter_args(p: argparse.ArgumentParser) -> None:
    """The settings that define a run; defaults are the notebook's."""
    g = p.add_argument_group("hyperparameters (defaults: the notebook's)")
    g.add_argument("--pop-size", type=int, default=128, help="PGPE population (even)")
    g.add_argument("--lr", type=float, default=0.08, help="scales PGPE's learning rates and stdev")
    g.add_argument("--generations", type=int, default=50000)
    g.add_argument("--steps", type=int, default=90, help="NCA updates per rollout")
    g.add_argument("--loss-every", type=int, default=30, help="add the loss every this many steps")
    g.add_argument("--fire-rate", type=float, default=0.5, help="chance that a cell updates")
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--channels", type=int, default=16)


def run_step(main: Callable[[], None]) -> None:
    """Run a step's ``main``; a :class:`StepError` ends it with one line and exit status 1."""
    try:
        main()
    except StepError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(1)
