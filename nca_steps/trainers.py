"""What one generation of training does to the parameters: an evolution strategy asks for a
population, grows every member and is told their fitness; the gradient baseline
(``algorithm: adam``) backpropagates the same loss through a batch of rollouts and takes an Adam
step. Both expose the same small interface, so the train step and its checkpoints treat them
alike.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Protocol

import jax
import jax.numpy as jnp
import numpy as np
import optax

from nca_steps import hyperparameters
from nca_steps.fitness import (
    PopulationFitness,
    is_dead,
    make_population_fitness,
    member_loss,
)
from nca_steps.model import (
    Params,
    flatten,
    init_params,
    param_count,
    rollout_rgba,
    seed_grid,
    unflatten,
)
from nca_steps.solver import Solver, make_solver, on_device, tree_from_state, tree_state

ADAM_RATE = 0.02  # x lr: 0.0024 at the default lr, near the Distill article's 2e-3


class Trainer(Protocol):
    def generation(self, key: jax.Array, index: int) -> jax.Array:
        """Train generation ``index``; the losses of the rollouts it grew."""

    @property
    def center(self) -> jax.Array:
        """The parameters the run is scored by and ends with."""

    def spread(self) -> float:
        """The search distribution's average stdev (0 for gradient descent)."""

    def get_state(self) -> dict[str, np.ndarray]: ...

    def set_state(self, state: dict[str, np.ndarray]) -> None: ...


POOL_KEY = 2**31 - 2  # folded into a generation's key to draw its pool slot


class Pool:
    """The Distill article's pool of grown states, for an evolution strategy. Every other
    generation (the odd ones) starts all its rollouts from one slot, drawn from the generation's
    key, instead of from the seed, and the center grown ``steps`` from it replaces the slot: so
    the pool's states age, and the search learns to keep what the model grows for many times
    its training steps. One generation in ``POOL_RESEED_EVERY`` (nca_steps/hyperparameters.py)
    also puts the center grown from the seed into a drawn slot, as the article puts one seed in
    each batch of 8. A dead or
    non-finite state goes back to the seed. Starts as ``size`` seeds."""

    def __init__(self, size: int, seed: jax.Array, grow: Callable) -> None:
        self.seed = np.asarray(seed)
        self.states = np.repeat(self.seed[None], size, axis=0)
        self.grow = grow  # (center, start, key) -> the state after steps updates

    def draw(self, key: jax.Array, index: int) -> tuple[int, np.ndarray | None]:
        """The slot generation ``index`` writes and its start (None: the seed)."""
        slot = int(jax.random.randint(jax.random.fold_in(key, POOL_KEY), (), 0, len(self.states)))
        return slot, (self.states[slot] if index % 2 else None)

    def update(
        self, slot: int, start: np.ndarray | None, center: jax.Array, key: jax.Array, index: int
    ) -> None:
        """After generation ``index``: the slot advanced (odd), reseeded (every
        ``POOL_RESEED_EVERY``-th), else left as it is."""
        if start is None and index % hyperparameters.POOL_RESEED_EVERY:
            return
        grown = np.asarray(self.grow(center, self.seed if start is None else start, key))
        usable = np.isfinite(grown).all() and not bool(is_dead(grown))
        self.states[slot] = grown if usable else self.seed


def weight_penalized(fitness: jax.Array, population: jax.Array, weight_decay: float) -> jax.Array:
    """``fitness`` (P,) less ``weight_decay`` x each member's sum of squared weights, for
    ``population`` (P, D): an L2 penalty on the weights, as evosax's ``FitnessShaper`` applies
    its ``w_decay`` before ranking; ``weight_decay`` 0 returns ``fitness`` unchanged."""
    if not weight_decay:
        return fitness
    return fitness - weight_decay * jnp.sum(jnp.square(population), axis=-1)


class EvolutionTrainer:
    """A solver of nca_steps/solver.py and the population fitness, sharded over the devices;
    the ``warmup`` fitness for the first generations, if given; a ``pool`` after them. The
    solver ranks the fitness less a ``weight_decay`` penalty; the losses returned are the
    fitness's own."""

    def __init__(
        self,
        solver: Solver,
        fitness: PopulationFitness,
        warmup: tuple[int, PopulationFitness | None] = (0, None),
        pool: Pool | None = None,
        weight_decay: float = 0.0,
    ) -> None:
        self.solver = solver
        self.fitness = fitness
        self.warmup = warmup
        self.pool = pool
        self.weight_decay = weight_decay

    def generation(self, key: jax.Array, index: int) -> jax.Array:
        until, early = self.warmup
        population = self.solver.ask()
        pooled = index >= until and self.pool is not None
        if pooled:
            slot, start = self.pool.draw(key, index)
            fitness = self.fitness(population, key, start)
        else:
            fitness = (early if index < until else self.fitness)(population, key)
        self.solver.tell(weight_penalized(fitness, population, self.weight_decay))
        if pooled:
            self.pool.update(slot, start, self.solver.center, key, index)
        return -fitness

    @property
    def center(self) -> jax.Array:
        return self.solver.center

    def spread(self) -> float:
        return self.solver.spread()

    def get_state(self) -> dict[str, np.ndarray]:
        pool = {} if self.pool is None else {"pool": self.pool.states.copy()}
        return {**self.solver.get_state(), **pool}

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        if self.pool is not None:
            self.pool.states = np.array(state["pool"], np.float32)
        self.solver.set_state({k: v for k, v in state.items() if k != "pool"})


def normalize_per_tensor(grad: jax.Array, channels: int, hidden: int) -> jax.Array:
    """Each weight and bias tensor's gradient scaled to unit norm, as the Distill article
    trains: the step size then does not depend on how large the loss happens to be."""
    tensors = unflatten(grad, channels, hidden)
    return flatten(Params(*(g / (jnp.linalg.norm(g) + 1e-8) for g in tensors)))


class GradientTrainer:
    """Adam at ADAM_RATE x lr on the mean loss of ``batch`` rollouts, backpropagated through
    every step; the parameters start from Flax's default init (a zero center would have no
    gradient through the hidden layer). The ``warmup`` objective trains the first generations,
    if given."""

    def __init__(
        self,
        target: np.ndarray,
        objective: dict,
        *,
        batch: int,
        lr: float,
        seed: int,
        warmup: tuple[int, dict | None] = (0, None),
    ) -> None:
        shape = objective["channels"], objective["hidden"]
        self.params = on_device(init_params(jax.random.PRNGKey(seed), *shape))
        optimizer = optax.adam(ADAM_RATE * lr)
        self.opt_state = jax.device_put(optimizer.init(self.params), jax.devices()[0])

        def make_update(chosen: dict) -> Callable:
            loss = partial(member_loss, target=jnp.asarray(target, jnp.float32), **chosen)

            def batch_loss(params: jax.Array, key: jax.Array) -> tuple[jax.Array, jax.Array]:
                losses = jax.vmap(partial(loss, params))(jax.random.split(key, batch))
                return losses.mean(), losses

            @jax.jit
            def update(params, opt_state, key):
                (_, losses), grad = jax.value_and_grad(batch_loss, has_aux=True)(params, key)
                step, opt_state = optimizer.update(
                    normalize_per_tensor(grad, *shape), opt_state, params
                )
                return optax.apply_updates(params, step), opt_state, losses

            return update

        until, early = warmup
        self.update = make_update(objective)
        self.warmup = (until, make_update(early) if early else None)

    def generation(self, key: jax.Array, index: int) -> jax.Array:
        until, early = self.warmup
        update = early if index < until else self.update
        self.params, self.opt_state, losses = update(self.params, self.opt_state, key)
        return losses

    @property
    def center(self) -> jax.Array:
        return self.params

    def spread(self) -> float:
        return 0.0

    def get_state(self) -> dict[str, np.ndarray]:
        return {"params": np.asarray(self.params), **tree_state(self.opt_state, "adam_")}

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        self.params = on_device(state["params"])
        self.opt_state = tree_from_state(self.opt_state, state, "adam_")


def make_trainer(target: np.ndarray, hp: dict) -> Trainer:
    """The trainer ``hp["algorithm"]`` names, set up from a run's hyperparameters; with a
    warm-up, growing's objective trains its first generations."""
    objective = hyperparameters.objective(hp)
    early = hyperparameters.objective(hp, generation=0)
    until = hp["warmup"] if early != objective else 0
    pop_size, lr, seed = hp["pop_size"], hp["lr"], hp["seed"]
    if hp["algorithm"] == "adam":
        warmup = (until, early if until else None)
        return GradientTrainer(target, objective, batch=pop_size, lr=lr, seed=seed, warmup=warmup)
    shape = hp["channels"], hp["hidden"]
    center = init_params(jax.random.PRNGKey(seed), *shape) if hp["init"] == "lecun" else None
    solver = make_solver(
        hp["algorithm"], param_count(*shape), pop_size=pop_size, lr=lr, seed=seed, center=center
    )
    fitness = partial(make_population_fitness, target, pop_size=pop_size)
    warmup = (until, fitness(**early) if until else None)
    pool = make_pool(target, hp)
    return EvolutionTrainer(solver, fitness(**objective), warmup, pool, hp["weight_decay"])


def make_pool(target: np.ndarray, hp: dict) -> Pool | None:
    """The pool ``hp["pool"]`` asks for (0: none): its states grow by ``hp``'s rollout."""
    if not hp["pool"]:
        return None
    height, width = target.shape[:2]
    shape = {k: hp[k] for k in ("channels", "hidden", "fire_rate")}

    @jax.jit
    def grow(center: jax.Array, start: jax.Array, key: jax.Array) -> jax.Array:
        last, _ = rollout_rgba(
            center, key, hp["steps"], height=height, width=width, start=start, **shape
        )
        return last

    return Pool(hp["pool"], seed_grid(height, width, hp["channels"]), grow)
