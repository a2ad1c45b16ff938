"""Population-batched fitness: grow every member from the seed and score it against the target,
at the training horizon (``growing``) and, to train a pattern to last or to repair itself,
later too (``persistent``, ``regenerating``).

One jitted function evaluates the whole population. With several local devices (GPUs, or CPU
host devices forced by ``XLA_FLAGS``) the population is sharded across them; members are
independent, so the result does not depend on how many devices share the work.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from nca_steps.damage import disc_radius, erase_disc, opaque_box, random_centre
from nca_steps.errors import StepError
from nca_steps.hyperparameters import check_steps
from nca_steps.model import (
    ALIVE_THRESHOLD,
    ALPHA,
    HIDDEN,
    Params,
    rotate_sobel,
    seed_grid,
    step,
    unflatten,
)

PopulationFitness = Callable[..., jax.Array]  # (population, key, start=None) -> fitness


def rgba_mse(x: jax.Array, target: jax.Array) -> jax.Array:
    """Mean squared error of the grid's RGBA channels against the padded premultiplied target."""
    return jnp.mean(jnp.square(x[..., :4] - target))


WINDOW_GROWTH = 4  # steps between enlargements of the computed window


def growth_plan(height: int, width: int, steps: int, loss_every: int) -> list[tuple[int, int]]:
    """Cut the rollout into segments ``(first, last)`` of steps, 1-based and inclusive.

    Segments end at every loss step and, while the living region is smaller than the grid,
    every ``WINDOW_GROWTH`` steps, so that each can be grown on a window just large enough.
    """
    full = max(height // 2, height - 1 - height // 2, width // 2, width - 1 - width // 2)
    ends = set(range(loss_every, steps + 1, loss_every))
    ends |= set(range(WINDOW_GROWTH, min(full, steps) + 1, WINDOW_GROWTH)) | {min(full, steps)}
    ends = sorted(ends)
    return [(first + 1, last) for first, last in zip([0, *ends[:-1]], ends, strict=True)]


def window_bounds(height: int, width: int, radius: int) -> tuple[int, int, int, int]:
    """Rows ``top:bottom`` and columns ``left:right`` within ``radius`` of the seed."""
    top, left = max(0, height // 2 - radius), max(0, width // 2 - radius)
    return top, min(height, height // 2 + radius + 1), left, min(width, width // 2 + radius + 1)


def grow_window(
    params: Params,
    x: jax.Array,
    keys: jax.Array,
    radius: int,
    fire_rate: float,
    score: Callable[[jax.Array], jax.Array] | None = None,
) -> tuple[jax.Array, jax.Array | None]:
    """Grow ``len(keys)`` steps on the window of ``radius`` around the seed, exactly; return the
    grid and, with ``score``, the score of the whole grid after each step, ``(len(keys),)``.

    Nothing lives farther than ``s`` cells from the seed after step ``s``: a cell outside the
    living mask is zeroed, and the mask reaches one cell beyond the living ones. So a window of
    radius ``s`` around the seed, zero-padded, computes the same steps as the whole grid.
    """
    height, width = x.shape[:2]
    top, bottom, left, right = window_bounds(height, width, radius)

    def whole(w: jax.Array) -> jax.Array:
        return jnp.pad(w, ((top, height - bottom), (left, width - right), (0, 0)))

    def one_step(w: jax.Array, k: jax.Array) -> tuple[jax.Array, jax.Array | None]:
        w = step(params, w, k, fire_rate)
        return w, None if score is None else score(whole(w))

    window, scores = jax.lax.scan(one_step, x[top:bottom, left:right], keys)
    return whole(window), scores


DEAD = 100.0  # x the empty grid's MSE: the loss of a pattern with no living cell left
HORIZON_KEY = 2**31 - 1  # folded into a rollout's key to draw its random horizon


def is_dead(x: jax.Array) -> jax.Array:
    """No cell of the grid alive (alpha above the threshold): nothing can grow again."""
    return ~jnp.any(x[..., ALPHA] > ALIVE_THRESHOLD)


def growth_loss(x: jax.Array, target: jax.Array, dead: str) -> jax.Array:
    """:func:`rgba_mse` of a growth loss step; with ``dead="worst"`` a grid with no living cell
    scores ``DEAD`` x the empty grid's MSE, worse than every pattern short of a runaway
    ("mse": the notebook's, the empty grid's MSE, better than a pattern that overshoots)."""
    mse = rgba_mse(x, target)
    if dead == "mse":
        return mse
    return jnp.where(is_dead(x), DEAD * jnp.mean(jnp.square(target)), mse)


def horizon_loss(losses: jax.Array, key: jax.Array, window_loss: str) -> jax.Array:
    """The loss at the end of growth from the losses of its last steps, ``(window,)``: their
    mean, or one of them drawn at random per rollout (``window_loss``: "mean" or "random")."""
    if window_loss == "mean":
        return jnp.mean(losses)
    return losses[jax.random.randint(jax.random.fold_in(key, HORIZON_KEY), (), 0, len(losses))]


def later_loss(x: jax.Array, target: jax.Array) -> jax.Array:
    """The RGBA MSE of a state after the growth, softly capped: ``e * log1p(mse / e)``, with
    ``e`` the empty grid's MSE; about the MSE while it is small, growing only slowly once a
    pattern explodes. A grid with no living cell scores ``DEAD * e``, worse than any living
    one, however exploded.

    Why: measured here, with plain later MSEs a dead grid (MSE ``e``) ranks above every
    exploding pattern, so the search drifts into dying, where every nearby candidate is dead
    too and equal, and stays there. Capping the MSE at ``e`` did not help: exploding and dead
    tie, and then no candidate is better than another. Ranked this way the search can only
    move towards patterns that live and explode less.
    """
    empty = jnp.mean(jnp.square(target))
    return jnp.where(is_dead(x), DEAD * empty, empty * jnp.log1p(rgba_mse(x, target) / empty))


def member_loss(
    flat: jax.Array,
    key: jax.Array,
    target: jax.Array,
    *,
    channels: int,
    steps: int,
    loss_every: int,
    fire_rate: float,
    hidden: int = HIDDEN,
    angle: float = 0.0,
    experiment: str = "growing",
    later_losses: int = 2,
    window: int = 1,
    window_loss: str = "mean",
    dead: str = "mse",
    start: jax.Array | None = None,
) -> jax.Array:
    """The loss of one rollout from the seed, or from the state ``start`` (H, W, channels),
    which may fill the grid; ``target`` is a constant (not traced).

    ``growing`` (the notebook's): the sum of :func:`growth_loss` after every ``loss_every`` of
    ``steps`` updates, the last of them (at ``steps``) replaced by :func:`horizon_loss` over the
    last ``window`` steps (``window`` 1: the notebook's). ``persistent`` adds
    :func:`later_loss` at 2, ..., ``later_losses + 1`` x ``steps``; ``regenerating`` does too,
    after erasing a disc at a random centre of the grown pattern (nca_steps/damage.py).
    """
    params = rotate_sobel(unflatten(flat, channels, hidden), angle)
    height, width = target.shape[:2]
    x = seed_grid(height, width, channels) if start is None else start
    loss = jnp.zeros((), jnp.float32)
    in_window = []  # the losses of the last window steps
    for first, last in growth_plan(height, width, steps, loss_every):
        keys = jax.random.split(jax.random.fold_in(key, first), last - first + 1)
        radius = last if start is None else max(height, width)  # a start may fill the grid
        if last <= steps - window:
            x, _ = grow_window(params, x, keys, radius, fire_rate)
            if last % loss_every == 0:
                loss = loss + growth_loss(x, target, dead)
            continue
        score = partial(growth_loss, target=target, dead=dead)
        x, scores = grow_window(params, x, keys, radius, fire_rate, score)
        in_window.append(scores[max(0, steps - window - first + 1) :])
    loss = loss + horizon_loss(jnp.concatenate(in_window), key, window_loss)
    if experiment == "growing":
        return loss
    if experiment == "regenerating":
        centre = random_centre(jax.random.fold_in(key, 0), opaque_box(np.asarray(target)))
        x = erase_disc(x, centre, disc_radius(np.asarray(target)))
    for k in range(1, later_losses + 1):
        keys = jax.random.split(jax.random.fold_in(key, k * steps + 1), steps)
        x, _ = grow_window(params, x, keys, max(height, width), fire_rate)  # the whole grid
        loss = loss + later_loss(x, target)
    return loss


def check_divisible(pop_size: int, n_devices: int) -> None:
    """Sharding needs an equal slice of the population on every device."""
    if pop_size % n_devices:
        raise StepError(
            f"population size {pop_size} does not divide across {n_devices} devices; "
            f"use a multiple of {n_devices}"
        )


def default_batch(platform: str, members_per_device: int) -> int:
    """Members grown at once per device: a few on a CPU, where the hidden layer of a few
    members stays in cache (measured fastest by benchmarks/fitness_speed.py); all on a GPU."""
    return min(2, members_per_device) if platform == "cpu" else members_per_device


def make_population_fitness(
    target: jax.Array,
    *,
    pop_size: int,
    channels: int,
    steps: int,
    loss_every: int,
    fire_rate: float,
    devices: Sequence[jax.Device] | None = None,
    batch: int | None = None,
    **objective: Any,
) -> PopulationFitness:
    """Return ``fitness(population (P, D), key, start=None) -> (P,)``, fitness = -loss, jitted
    once for the seed and once for a ``start`` state (H, W, channels) that every member grows
    from; ``objective`` holds :func:`member_loss`'s other options (hidden, experiment, ...).

    Member ``i`` grows with ``jax.random.split(key, P)[i]`` whichever device runs it, so one
    device and several give the same numbers. Each device takes ``P / n_devices`` members and
    grows them ``batch`` at a time.
    """
    check_steps(steps, loss_every)
    devices = list(devices if devices is not None else jax.local_devices())
    check_divisible(pop_size, len(devices))
    per_device = pop_size // len(devices)
    batch = batch or default_batch(devices[0].platform, per_device)
    loss = partial(
        member_loss,
        target=jnp.asarray(target, jnp.float32),
        channels=channels,
        steps=steps,
        loss_every=loss_every,
        fire_rate=fire_rate,
        **objective,
    )

    def slice_fitness(population: jax.Array, keys: jax.Array, *start: jax.Array) -> jax.Array:
        grow = partial(loss, start=start[0]) if start else loss
        return -jax.lax.map(lambda pk: grow(*pk), (population, keys), batch_size=batch)

    mesh = Mesh(devices, ("pop",))
    by_member = NamedSharding(mesh, PartitionSpec("pop"))
    everywhere = NamedSharding(mesh, PartitionSpec())

    def sharded(*start_spec: PartitionSpec) -> Callable:
        mapped = jax.shard_map(
            slice_fitness,
            mesh=mesh,
            in_specs=(PartitionSpec("pop"), PartitionSpec("pop"), *start_spec),
            out_specs=PartitionSpec("pop"),
            check_vma=False,
        )

        @jax.jit
        def sharded_fitness(population: jax.Array, key: jax.Array, *start: jax.Array):
            keys = jax.random.split(key, pop_size)
            return mapped(population, jax.lax.with_sharding_constraint(keys, by_member), *start)

        return sharded_fitness

    from_seed, from_start = sharded(), sharded(PartitionSpec())

    def fitness(population: jax.Array, key: jax.Array, start: jax.Array | None = None):
        # Fixed placements in and out: the solver's state then stays on one device and every
        # generation reuses the first one's compiled functions (a changed sharding recompiles).
        population = jax.device_put(population, by_member)
        if start is None:
            result = from_seed(population, key)
        else:
            result = from_start(population, key, jax.device_put(start, everywhere))
        return jax.device_put(result, devices[0])

    return fitness
