"""evojax's PGPE, set up as the notebook does, plus the state a checkpoint needs to resume it."""

from __future__ import annotations

import logging

import jax
import jax.numpy as jnp
import numpy as np
from evojax.algo import PGPE

from nca_steps.errors import StepError
from nca_steps.hyperparameters import BY_NAME

POP_SIZES = BY_NAME["pop_size"].range


def check_pop_size(pop_size: int) -> None:
    """PGPE samples antithetic pairs, so the population must be even."""
    if not POP_SIZES.valid(pop_size):
        raise StepError(
            f"population size {pop_size} is invalid for PGPE; use {POP_SIZES.describe()}"
        )


def make_pgpe(
    param_size: int, *, pop_size: int, lr: float, seed: int, init_stdev: float | None = None
) -> PGPE:
    """PGPE with Adam; center, stdev learning rates and initial stdev are 0.05, 0.01 and 0.1 x lr.

    The center starts at zero, as the notebook leaves it. ``init_stdev`` overrides 0.1 x lr
    (for benchmarks/sweep_defaults.py).
    """
    check_pop_size(pop_size)
    solver = PGPE(
        pop_size=pop_size,
        param_size=param_size,
        optimizer="adam",
        center_learning_rate=0.05 * lr,
        stdev_learning_rate=0.01 * lr,
        init_stdev=float(0.1 * lr if init_stdev is None else init_stdev),
        seed=seed,
        logger=logging.getLogger("nca_steps.pgpe"),
    )
    set_state(solver, get_state(solver))  # commit it to one device, see set_state
    return solver


def rank_safe(fitness: jax.Array) -> jax.Array:
    """NaN or infinite fitness (an exploding rollout) becomes -inf, so it ranks worst."""
    return jnp.where(jnp.isfinite(fitness), fitness, -jnp.inf)


def get_state(solver: PGPE) -> dict[str, np.ndarray]:
    """Everything that decides PGPE's next ``ask``: center, stdev, Adam moments, step, key."""
    leaves = jax.tree_util.tree_leaves(solver._opt_state)
    state = {f"opt_{i}": np.asarray(leaf) for i, leaf in enumerate(leaves)}
    state.update(
        center=np.asarray(solver._center),
        stdev=np.asarray(solver._stdev),
        t=np.asarray(solver._t),
        key=np.asarray(solver._key),
    )
    return state


def set_state(solver: PGPE, state: dict[str, np.ndarray]) -> None:
    """Inverse of :func:`get_state` on a solver built with the same settings.

    The arrays are committed to the default device, where ``tell`` leaves them: uncommitted
    ones would make ``ask`` and ``tell`` compile again in the next generations.
    """
    device = jax.devices()[0]
    treedef = jax.tree_util.tree_structure(solver._opt_state)
    leaves = [jax.device_put(state[f"opt_{i}"], device) for i in range(treedef.num_leaves)]
    solver._opt_state = jax.tree_util.tree_unflatten(treedef, leaves)
    solver._center = jax.device_put(state["center"], device)
    solver._stdev = jax.device_put(state["stdev"], device)
    solver._t = int(state["t"])
    solver._key = jax.device_put(state["key"], device)


def mean_stdev(solver: PGPE) -> float:
    """The search distribution's average standard deviation, a measure of exploration left."""
    return float(jnp.mean(solver._stdev))
