"""The evolution strategies a run can train with, evojax's own, behind one small interface: ask
for a population, tell its fitness, read the center (the parameters a run ends with), and get
or set everything that decides the next ``ask``, so that a checkpoint resumes bit for bit.

``lr`` sets each one's step sizes, as the notebook sets PGPE's (nca_steps/hyperparameters.py,
``ALGORITHMS``, says how).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod

import jax
import jax.numpy as jnp
import numpy as np
from evojax.algo import CRFMNES, PGPE, ARS_native

from nca_steps.errors import StepError
from nca_steps.hyperparameters import BY_NAME

POP_SIZES = BY_NAME["pop_size"].range
LOGGER = logging.getLogger("nca_steps.solver")


def finite_fitness(fitness: jax.Array) -> jax.Array:
    """NaN or infinite fitness (an exploding rollout) becomes one below the lowest finite one,
    so it ranks worst; the solvers that use fitness values, not only ranks, stay finite."""
    finite = jnp.isfinite(fitness)
    lowest = jnp.min(jnp.where(finite, fitness, jnp.inf))
    return jnp.where(finite, fitness, jnp.where(jnp.isfinite(lowest), lowest - 1.0, 0.0))


def on_device(array: np.ndarray) -> jax.Array:
    """Committed to the default device, where ``tell`` leaves a solver's arrays: uncommitted
    ones would make ``ask`` and ``tell`` compile again in the next generations."""
    return jax.device_put(np.asarray(array), jax.devices()[0])


class Solver(ABC):
    """One evojax solver; subclasses say where its center and state live."""

    def __init__(self, es) -> None:
        self.es = es

    def ask(self) -> jax.Array:
        return self.es.ask()

    def tell(self, fitness: jax.Array) -> None:
        self.es.tell(finite_fitness(fitness))

    @property
    @abstractmethod
    def center(self) -> jax.Array:
        """The search distribution's mean: the parameters a run is scored by and ends with."""

    @abstractmethod
    def spread(self) -> float:
        """The search distribution's average standard deviation: exploration left."""

    @abstractmethod
    def get_state(self) -> dict[str, np.ndarray]:
        """Everything that decides the next ``ask``, as arrays a checkpoint can hold."""

    @abstractmethod
    def set_state(self, state: dict[str, np.ndarray]) -> None:
        """Inverse of :meth:`get_state` on a solver built with the same settings."""


def tree_state(tree, prefix: str) -> dict[str, np.ndarray]:
    return {f"{prefix}{i}": np.asarray(leaf) for i, leaf in enumerate(jax.tree.leaves(tree))}


def tree_from_state(like, state: dict[str, np.ndarray], prefix: str):
    treedef = jax.tree.structure(like)
    leaves = [on_device(state[f"{prefix}{i}"]) for i in range(treedef.num_leaves)]
    return jax.tree.unflatten(treedef, leaves)


class Pgpe(Solver):
    """PGPE with Adam, as the notebook sets it up: center and stdev learning rates 0.05 and
    0.01 x lr, initial stdev 0.1 x lr, center starting at zero."""

    def __init__(self, param_size: int, pop_size: int, lr: float, seed: int, init_stdev: float):
        super().__init__(
            PGPE(
                pop_size=pop_size,
                param_size=param_size,
                optimizer="adam",
                center_learning_rate=0.05 * lr,
                stdev_learning_rate=0.01 * lr,
                init_stdev=init_stdev,
                seed=seed,
                logger=LOGGER,
            )
        )

    @property
    def center(self) -> jax.Array:
        return self.es._center

    def spread(self) -> float:
        return float(jnp.mean(self.es._stdev))

    def get_state(self) -> dict[str, np.ndarray]:
        return {
            **tree_state(self.es._opt_state, "opt_"),
            "center": np.asarray(self.es._center),
            "stdev": np.asarray(self.es._stdev),
            "t": np.asarray(self.es._t),
            "key": np.asarray(self.es._key),
        }

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        self.es._opt_state = tree_from_state(self.es._opt_state, state, "opt_")
        self.es._center = on_device(state["center"])
        self.es._stdev = on_device(state["stdev"])
        self.es._t = int(state["t"])
        self.es._key = on_device(state["key"])


class Ars(Solver):
    """Augmented Random Search (evojax's ARS_native) with SGD at 0.05 x lr, initial stdev
    0.1 x lr decaying by 0.999 a generation down to 0.01. Every direction takes part
    (elite ratio 1): evojax keeps the directions with the *lowest* return as its elite."""

    def __init__(self, param_size: int, pop_size: int, lr: float, seed: int, init_stdev: float):
        super().__init__(
            ARS_native(
                param_size=param_size,
                pop_size=pop_size,
                elite_ratio=1.0,
                init_stdev=init_stdev,
                seed=seed,
                optimizer="sgd",
                optimizer_config={"lrate_init": 0.05 * lr},
                logger=LOGGER,
            )
        )

    @property
    def center(self) -> jax.Array:
        return self.es.mean_params

    def spread(self) -> float:
        return float(self.es.stdev)

    def get_state(self) -> dict[str, np.ndarray]:
        # stdev is a Python float until the first tell, then a weakly typed float32 array:
        # the dtype kept records which, so that the restored one compiles the same way
        stdev = self.es.stdev
        return {
            **tree_state(self.es.opt_state, "opt_"),
            "mean_params": np.asarray(self.es.mean_params),
            "stdev": np.asarray(stdev, np.float64 if isinstance(stdev, float) else None),
            "t": np.asarray(self.es._t),
            "key": np.asarray(self.es.rand_key),
        }

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        self.es.opt_state = tree_from_state(self.es.opt_state, state, "opt_")
        self.es.mean_params = on_device(state["mean_params"])
        stdev = state["stdev"]
        self.es.stdev = float(stdev) if stdev.dtype == np.float64 else jnp.asarray(float(stdev))
        self.es._t = int(state["t"])
        self.es.rand_key = on_device(state["key"])


class Crfmnes(Solver):
    """CR-FM-NES (evojax's CRFMNES): initial stdev 0.1 x lr; it adapts its step size and a
    diagonal-plus-rank-one covariance itself."""

    ARRAYS = ("m", "v", "D", "pc", "ps", "rng", "x_best")
    COUNTERS = ("g", "no_of_evals", "iteration", "stop")

    def __init__(self, param_size: int, pop_size: int, lr: float, seed: int, init_stdev: float):
        super().__init__(
            CRFMNES(
                param_size=param_size,
                pop_size=pop_size,
                init_stdev=init_stdev,
                seed=seed,
                logger=LOGGER,
            )
        )

    @property
    def center(self) -> jax.Array:
        return self.es.crfm.m.ravel()  # its best_params is the best member seen, not the mean

    def spread(self) -> float:
        return float(self.es.crfm.sigma * jnp.mean(self.es.crfm.D))

    def get_state(self) -> dict[str, np.ndarray]:
        crfm = self.es.crfm
        state = {k: np.asarray(getattr(crfm, k)) for k in self.ARRAYS + self.COUNTERS}
        state["sigma"] = np.asarray(float(crfm.sigma), np.float64)  # a Python float
        state["f_best"] = np.asarray(crfm.f_best)  # float64 inf before the first tell
        return state

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        crfm = self.es.crfm
        for k in self.ARRAYS:
            setattr(crfm, k, on_device(state[k]))
        for k in self.COUNTERS:
            setattr(crfm, k, int(state[k]))
        crfm.sigma = float(state["sigma"])
        crfm.f_best = state["f_best"][()]
        self.es._best_params = crfm.x_best if int(state["g"]) else None


SOLVERS: dict[str, type[Solver]] = {"pgpe": Pgpe, "ars": Ars, "crfmnes": Crfmnes}


def check_pop_size(pop_size: int) -> None:
    """The solvers sample antithetic pairs, so the population must be even."""
    if not POP_SIZES.valid(pop_size):
        raise StepError(f"population size {pop_size} is invalid; use {POP_SIZES.describe()}")


def make_solver(
    algorithm: str,
    param_size: int,
    *,
    pop_size: int,
    lr: float,
    seed: int,
    init_stdev: float | None = None,
) -> Solver:
    """The named solver with its center at zero (as the notebook leaves PGPE's) and initial
    stdev 0.1 x lr, or ``init_stdev`` (for benchmarks/sweep_defaults.py)."""
    check_pop_size(pop_size)
    if algorithm not in SOLVERS:
        raise StepError(f"algorithm {algorithm!r} is not an ES; use one of {', '.join(SOLVERS)}")
    stdev = float(0.1 * lr if init_stdev is None else init_stdev)
    solver = SOLVERS[algorithm](param_size, pop_size, lr, seed, stdev)
    solver.set_state(solver.get_state())  # commit its arrays to one device, see on_device
    return solver
