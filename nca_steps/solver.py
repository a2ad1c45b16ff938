"""The evolution strategies a run can train with, evojax's and evosax's, behind one small
interface: ask for a population, tell its fitness, read the center (the parameters a run ends
with), and get or set everything that decides the next ``ask``, so that a checkpoint resumes
bit for bit.

``lr`` sets each one's step sizes, as the notebook sets PGPE's (nca_steps/hyperparameters.py,
``ALGORITHMS``, says how).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax
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
    def start_at(self, center: jax.Array) -> None:
        """Move the search distribution's mean to ``center`` before the first ``ask``."""

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

    def start_at(self, center: jax.Array) -> None:
        # evojax keeps the center twice: as _center, which ask() samples around, and as the
        # parameters in Adam's state (its first leaf), which tell() steps from; both move
        state = self.get_state()
        state["center"] = state["opt_0"] = np.asarray(center)
        self.set_state(state)

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

    def start_at(self, center: jax.Array) -> None:
        # as PGPE's: the mean, and the parameters in SGD's state (its only leaf), both move
        state = self.get_state()
        state["mean_params"] = state["opt_0"] = np.asarray(center)
        self.set_state(state)

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

    def start_at(self, center: jax.Array) -> None:
        self.es.crfm.m = on_device(np.asarray(center)[:, None])

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


class Evosax(Solver):
    """An evosax 0.3 strategy, which minimises. Its whole state is one pytree, and this wrapper
    splits its own key for every ``ask``, so a checkpoint holds all that decides the next
    population."""

    def __init__(self, strategy, param_size: int, seed: int, **params) -> None:
        self.strategy = strategy
        self.params = strategy.default_params.replace(**params)
        self.key = jax.random.PRNGKey(seed)
        self.state = strategy.init(self.key, jnp.zeros(param_size), self.params)
        self.population: jax.Array | None = None

    def ask(self) -> jax.Array:
        self.key, key = jax.random.split(self.key)
        self.population, self.state = self.strategy.ask(key, self.state, self.params)
        return self.population

    def tell(self, fitness: jax.Array) -> None:
        loss = -finite_fitness(fitness)
        self.state, _ = self.strategy.tell(self.key, self.population, loss, self.state, self.params)
        self.population = None

    @property
    def center(self) -> jax.Array:
        return self.state.mean

    def start_at(self, center: jax.Array) -> None:
        self.state = self.state.replace(mean=on_device(center))

    def spread(self) -> float:
        # Sep-CMA-ES: a global step size times a per-coordinate scale D (sqrt of its diagonal)
        return float(jnp.mean(self.state.std * getattr(self.state, "D", 1.0)))

    def get_state(self) -> dict[str, np.ndarray]:
        return {**tree_state(self.state, "state_"), "key": np.asarray(self.key)}

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        self.state = tree_from_state(self.state, state, "state_")
        self.key = on_device(state["key"])


OPEN_ES_RATE = 1 / 60  # x lr: Adam at 0.002 for the default lr
CLIPUP_RATE = 0.1  # x lr: ClipUp steps of 0.012 at the default lr


def import_evosax():
    """evosax, imported on first use: importing it runs JAX code, which would start JAX's
    backend before a step has chosen its CPU threads (nca_steps/runtime.py)."""
    import evosax.algorithms
    import evosax.core.fitness_shaping
    import evosax.core.optimizer

    return evosax


def open_es(param_size: int, pop_size: int, lr: float, seed: int, init_stdev: float) -> Solver:
    """OpenAI-ES (Salimans et al. 2017): antithetic pairs, centred ranks, a fixed stdev and
    Adam at OPEN_ES_RATE x lr on the mean."""
    evosax = import_evosax()
    strategy = evosax.algorithms.Open_ES(
        pop_size,
        jnp.zeros(param_size),
        optimizer=optax.adam(OPEN_ES_RATE * lr),
        std_schedule=optax.constant_schedule(init_stdev),
        fitness_shaping_fn=evosax.core.fitness_shaping.centered_rank_fitness_shaping_fn,
    )
    return Evosax(strategy, param_size, seed)


def snes(param_size: int, pop_size: int, lr: float, seed: int, init_stdev: float) -> Solver:
    """Separable NES (Schaul et al. 2011): rank weights, natural-gradient steps of the mean
    and of every coordinate's stdev at evosax's default rates."""
    evosax = import_evosax()
    strategy = evosax.algorithms.SNES(pop_size, jnp.zeros(param_size))
    return Evosax(strategy, param_size, seed, std_init=init_stdev)


def sep_cma_es(param_size: int, pop_size: int, lr: float, seed: int, init_stdev: float) -> Solver:
    """Sep-CMA-ES (Ros and Hansen 2008): CMA-ES with a diagonal covariance, its step size
    adapted by cumulation."""
    evosax = import_evosax()
    strategy = evosax.algorithms.Sep_CMA_ES(pop_size, jnp.zeros(param_size))
    return Evosax(strategy, param_size, seed, std_init=init_stdev)


def pgpe_clipup(param_size: int, pop_size: int, lr: float, seed: int, init_stdev: float) -> Solver:
    """PGPE with ClipUp (Toklu et al. 2020): the normalised gradient times CLIPUP_RATE x lr
    into a momentum-0.9 velocity whose norm is clipped at twice that; stdevs adapted at
    evosax's rate, at most 20 % a generation."""
    evosax = import_evosax()
    rate = CLIPUP_RATE * lr
    optimizer = evosax.core.optimizer.clipup(rate, max_velocity=2 * rate)
    strategy = evosax.algorithms.PGPE(pop_size, jnp.zeros(param_size), optimizer=optimizer)
    return Evosax(strategy, param_size, seed, std_init=init_stdev)


SOLVERS: dict[str, Callable[..., Solver]] = {
    "pgpe": Pgpe,
    "ars": Ars,
    "crfmnes": Crfmnes,
    "openes": open_es,
    "snes": snes,
    "sep_cma_es": sep_cma_es,
    "pgpe_clipup": pgpe_clipup,
}


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
    center: np.ndarray | jax.Array | None = None,
) -> Solver:
    """The named solver with its center at ``center``, or zero (as the notebook leaves PGPE's),
    and initial stdev 0.1 x lr, or ``init_stdev`` (for benchmarks/sweep_defaults.py)."""
    check_pop_size(pop_size)
    if algorithm not in SOLVERS:
        raise StepError(f"algorithm {algorithm!r} is not an ES; use one of {', '.join(SOLVERS)}")
    stdev = float(0.1 * lr if init_stdev is None else init_stdev)
    solver = SOLVERS[algorithm](param_size, pop_size, lr, seed, stdev)
    if center is not None:
        solver.start_at(jnp.asarray(center, jnp.float32))
    solver.set_state(solver.get_state())  # commit its arrays to one device, see on_device
    return solver
