"""The notebook's formulation of the NCA, kept as the yardstick for tests and benchmarks.

A flax module whose perception is a depthwise convolution built with einops and ``lax.conv``,
vmapped over the population: straightforward, and slow on a CPU. :mod:`nca_steps.model` must
agree with it on the same flat parameters (exactly so at fire rate 1, where nothing is random).
"""

from __future__ import annotations

import einops
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from nca_steps.model import ALIVE_THRESHOLD, ALPHA, HIDDEN


def _depthwise(x: jax.Array, kernel: jax.Array) -> jax.Array:
    """Apply each of ``kernel``'s filters to every channel: (B, H, W, C) -> (B, H, W, F*C)."""
    c = x.shape[-1]
    planes = einops.rearrange(x, "b h w c -> (b c) 1 h w")
    out = jax.lax.conv(planes, kernel, (1, 1), "SAME")
    return einops.rearrange(out, "(b c) f h w -> b h w (f c)", c=c)


def sobel_kernels(angle: float) -> jax.Array:
    """Identity and rotated Sobel filters as a (3, 1, 3, 3) convolution kernel."""
    identity = np.zeros((3, 3), np.float32)
    identity[1, 1] = 1.0
    dx = np.outer([1.0, 2.0, 1.0], [-1.0, 0.0, 1.0]).astype(np.float32) / 8.0
    dy = dx.T
    c, s = jnp.cos(angle), jnp.sin(angle)
    return jnp.stack([identity, c * dx - s * dy, s * dx + c * dy])[:, None]


def _alive(x: jax.Array) -> jax.Array:
    alpha = x[..., ALPHA : ALPHA + 1]
    return nn.max_pool(alpha, (3, 3), strides=(1, 1), padding="SAME") > ALIVE_THRESHOLD


class CellUpdate(nn.Module):
    """One update of a batch of grids, as the notebook's ``CellsUpdate`` module."""

    channels: int = 16
    fire_rate: float = 0.5

    def setup(self) -> None:
        self.dmodel = nn.Sequential(
            [
                nn.Conv(features=HIDDEN, kernel_size=(1, 1)),
                nn.relu,
                nn.Conv(
                    features=self.channels,
                    kernel_size=(1, 1),
                    kernel_init=jax.nn.initializers.zeros,
                ),
            ]
        )

    def __call__(self, x: jax.Array, key: jax.Array, angle: float = 0.0) -> jax.Array:
        pre = _alive(x)
        dx = self.dmodel(_depthwise(x, sobel_kernels(angle)))
        fire = (jax.random.uniform(key, x[..., :1].shape) <= self.fire_rate).astype(x.dtype)
        x = x + dx * fire
        return x * (pre & _alive(x)).astype(x.dtype)


def unravel_fn(channels: int = 16):
    """The notebook's ``unravel_pytree`` for this module (flat vector -> flax params)."""
    module = CellUpdate(channels=channels)
    variables = module.init(
        jax.random.PRNGKey(0), jnp.zeros((1, 3, 3, channels)), jax.random.PRNGKey(1)
    )
    return ravel_pytree(variables)[1]


def make_population_fitness(
    target: jax.Array,
    *,
    channels: int,
    steps: int,
    loss_every: int,
    fire_rate: float,
):
    """The notebook's ``vmap(fitness_f)``: ``fitness(population, keys (P, 2)) -> (P,)``."""
    module = CellUpdate(channels=channels, fire_rate=fire_rate)
    unravel = unravel_fn(channels)
    target = jnp.asarray(target)
    h, w = target.shape[:2]
    x0 = jnp.zeros((1, h, w, channels)).at[:, h // 2, w // 2, ALPHA:].set(1.0)

    def member(flat: jax.Array, key: jax.Array) -> jax.Array:
        variables = unravel(flat)

        def body(carry, i):
            loss, x, key = carry
            key, sub = jax.random.split(key)
            x = module.apply(variables, x, sub)
            scored = jnp.square(x[..., :4] - target).mean((-3, -2, -1)).mean()
            loss = jax.lax.cond((i + 1) % loss_every == 0, lambda: loss + scored, lambda: loss)
            return (loss, x, key), None

        (loss, _, _), _ = jax.lax.scan(body, (0.0, x0, key), jnp.arange(steps))
        return -loss

    return jax.jit(jax.vmap(member))
