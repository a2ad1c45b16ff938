"""The growing NCA of Distill 2020 as pure JAX functions over one grid.

The flat parameter vector has the layout of the notebook's flax module flattened with
``jax.flatten_util.ravel_pytree`` (bias before kernel, first layer before second), so a
vector saved from the notebook rolls out here unchanged. Every function works on a single
``(height, width, channels)`` grid; populations and batches come from ``jax.vmap``.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from nca_steps.errors import StepError

HIDDEN = 128  # the notebook's width of the per-cell MLP; ``hidden`` sets it per run
ALPHA = 3
ALIVE_THRESHOLD = 0.1


class Params(NamedTuple):
    """Per-cell MLP weights; ``w1`` rows are [identity, sobel-x, sobel-y] x channels."""

    w1: jax.Array  # (3 * channels, hidden)
    b1: jax.Array  # (hidden,)
    w2: jax.Array  # (hidden, channels)
    b2: jax.Array  # (channels,)


def param_count(channels: int, hidden: int = HIDDEN) -> int:
    """Length of the flat vector: 8,336 at 16 channels and hidden width 128, 2,096 at 32."""
    return hidden + 3 * channels * hidden + channels + hidden * channels


def unflatten(flat: jax.Array, channels: int, hidden: int = HIDDEN) -> Params:
    """Split a flat vector in ``ravel_pytree`` order: b1, w1, b2, w2."""
    sizes = [hidden, 3 * channels * hidden, channels, hidden * channels]
    b1, w1, b2, w2 = jnp.split(flat, np.cumsum(sizes)[:-1])
    return Params(
        w1=w1.reshape(3 * channels, hidden),
        b1=b1,
        w2=w2.reshape(hidden, channels),
        b2=b2,
    )


def flatten(params: Params) -> jax.Array:
    """Inverse of :func:`unflatten`."""
    return jnp.concatenate([params.b1, params.w1.ravel(), params.b2, params.w2.ravel()])


def init_params(key: jax.Array, channels: int, hidden: int = HIDDEN) -> jax.Array:
    """Flax's default init of the notebook's module (LeCun-normal first layer, zero last layer)."""
    w1 = jax.nn.initializers.lecun_normal()(key, (3 * channels, hidden))
    zeros = jnp.zeros
    return flatten(Params(w1, zeros(hidden), zeros((hidden, channels)), zeros(channels)))


def seed_grid(height: int, width: int, channels: int) -> jax.Array:
    """A grid with one living cell in the middle: alpha and hidden channels set to 1."""
    x = jnp.zeros((height, width, channels), jnp.float32)
    return x.at[height // 2, width // 2, ALPHA:].set(1.0)


def rotate_sobel(params: Params, angle: float) -> Params:
    """Fold the perception angle into the first layer, so perception itself stays axis-aligned.

    The notebook rotates the Sobel kernels (c*dx - s*dy, s*dx + c*dy); since perception is linear,
    rotating the rows of ``w1`` that read the two gradients gives the same pre-activation.
    """
    if isinstance(angle, (int, float)) and angle == 0.0:
        return params
    w_id, w_x, w_y = jnp.split(params.w1, 3)
    c, s = jnp.cos(angle), jnp.sin(angle)
    w1 = jnp.concatenate([w_id, c * w_x + s * w_y, -s * w_x + c * w_y])
    return params._replace(w1=w1)


def perceive(x: jax.Array) -> jax.Array:
    """Identity, Sobel-x and Sobel-y of every channel, zero-padded: (H, W, 3C)."""
    p = jnp.pad(x, ((1, 1), (1, 1), (0, 0)))
    rows = p[:-2] + 2.0 * p[1:-1] + p[2:]  # [1, 2, 1] down the rows
    cols = p[:, :-2] + 2.0 * p[:, 1:-1] + p[:, 2:]  # [1, 2, 1] across the columns
    grad_x = (rows[:, 2:] - rows[:, :-2]) / 8.0
    grad_y = (cols[2:] - cols[:-2]) / 8.0
    return jnp.concatenate([x, grad_x, grad_y], axis=-1)


def living_mask(x: jax.Array) -> jax.Array:
    """Cells with alpha > 0.1 somewhere in their 3x3 neighbourhood: (H, W, 1) bool.

    The same as a 3x3 max-pool of alpha compared with 0.1, written as the OR of shifted
    comparisons, which XLA fuses into one pass (its reduce_window is several times slower).
    """
    alive = jnp.pad(x[..., ALPHA : ALPHA + 1] > ALIVE_THRESHOLD, ((1, 1), (1, 1), (0, 0)))
    rows = alive[:-2] | alive[1:-1] | alive[2:]
    return rows[:, :-2] | rows[:, 1:-1] | rows[:, 2:]


def residual(params: Params, x: jax.Array) -> jax.Array:
    """The per-cell MLP on the perception vector: the proposed change of every cell."""
    hidden = jax.nn.relu(perceive(x) @ params.w1 + params.b1)
    return hidden @ params.w2 + params.b2


def fire_mask(key: jax.Array, shape: tuple[int, int], fire_rate: float) -> jax.Array:
    """Bernoulli(fire_rate) per cell, from one 32-bit draw per cell: (H, W, 1) float."""
    if fire_rate >= 1.0:
        return jnp.ones((*shape, 1), jnp.float32)
    threshold = np.uint32(min(int(fire_rate * 2**32), 2**32 - 1))
    bits = jax.random.bits(key, shape, jnp.uint32)
    return (bits < threshold).astype(jnp.float32)[..., None]


def step(params: Params, x: jax.Array, key: jax.Array, fire_rate: float) -> jax.Array:
    """One stochastic NCA update; ``params`` already carries the perception angle."""
    pre = living_mask(x)
    x = x + residual(params, x) * fire_mask(key, x.shape[:2], fire_rate)
    return x * (pre & living_mask(x)).astype(x.dtype)


def checked_params(
    flat_params: jax.Array | np.ndarray, channels: int, angle: float, hidden: int = HIDDEN
) -> Params:
    """The model's weights from a flat vector of the right length, with the angle folded in;
    a vector of another length raises StepError naming the settings it would need."""
    flat = jnp.asarray(flat_params, jnp.float32)
    if flat.shape != (param_count(channels, hidden),):
        raise StepError(
            f"parameter vector has shape {flat.shape}; {channels} channels and hidden width "
            f"{hidden} need ({param_count(channels, hidden)},)"
        )
    return rotate_sobel(unflatten(flat, channels, hidden), angle)


def rollout(
    flat_params: jax.Array | np.ndarray,
    key: jax.Array,
    steps: int,
    *,
    height: int,
    width: int,
    channels: int = 16,
    hidden: int = HIDDEN,
    fire_rate: float = 0.5,
    angle: float = 0.0,
    start: jax.Array | None = None,
) -> jax.Array:
    """Grow from the single-cell seed (or from ``start``) for ``steps`` updates and return
    every state.

    This is the function to call on a vector saved from the notebook (``np.load`` it):
    the result has shape ``(steps + 1, height, width, channels)``, the start first.
    """
    _, states = rollout_rgba(
        flat_params, key, steps, height=height, width=width, channels=channels, hidden=hidden,
        fire_rate=fire_rate, angle=angle, start=start, keep=channels,
    )  # fmt: skip
    return states


def rollout_rgba(
    flat_params: jax.Array | np.ndarray,
    key: jax.Array,
    steps: int,
    *,
    height: int,
    width: int,
    channels: int = 16,
    hidden: int = HIDDEN,
    fire_rate: float = 0.5,
    angle: float = 0.0,
    start: jax.Array | None = None,
    keep: int = 4,
) -> tuple[jax.Array, jax.Array]:
    """Like :func:`rollout`, but keep only the first ``keep`` channels (RGBA) of every state,
    to save memory on long rollouts, and return the whole last state too, to go on from."""
    params = checked_params(flat_params, channels, angle, hidden)

    def body(x: jax.Array, k: jax.Array) -> tuple[jax.Array, jax.Array]:
        x = step(params, x, k, fire_rate)
        return x, x[..., :keep]

    x0 = seed_grid(height, width, channels) if start is None else jnp.asarray(start, jnp.float32)
    last, states = jax.lax.scan(body, x0, jax.random.split(key, steps))
    return last, jnp.concatenate([x0[None, ..., :keep], states])
