"""Where a pattern is damaged: a disc covering about a quarter of the target's opaque box.

Training (``experiment: regenerating``) erases it at a random centre inside the box; the
evaluation erases it at fixed centres, the middles of the box's four quadrants, so every run
is damaged the same way whatever it was trained for.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from nca_steps.model import ALPHA


def opaque_box(target: np.ndarray) -> tuple[int, int, int, int]:
    """Rows ``top:bottom`` and columns ``left:right`` holding every visible pixel of the
    target (alpha > 0); the whole grid if it has none."""
    rows, cols = np.nonzero(np.asarray(target)[..., ALPHA] > 0)
    if rows.size == 0:
        return 0, target.shape[0], 0, target.shape[1]
    return int(rows.min()), int(rows.max()) + 1, int(cols.min()), int(cols.max()) + 1


def disc_radius(target: np.ndarray) -> float:
    """The radius of a disc whose area is a quarter of the opaque box's."""
    top, bottom, left, right = opaque_box(target)
    return math.sqrt((bottom - top) * (right - left) / (4 * math.pi))


def quadrant_centres(target: np.ndarray) -> list[tuple[float, float]]:
    """The middles of the opaque box's quadrants, (row, column): top-left, top-right,
    bottom-left, bottom-right. Evaluation rollout ``i`` is damaged at centre ``i % 4``."""
    top, bottom, left, right = opaque_box(target)
    rows = (top + (bottom - top) / 4, top + 3 * (bottom - top) / 4)
    cols = (left + (right - left) / 4, left + 3 * (right - left) / 4)
    return [(r, c) for r in rows for c in cols]


def random_centre(key: jax.Array, box: tuple[int, int, int, int]) -> jax.Array:
    """A centre (row, column) drawn uniformly inside the box."""
    top, bottom, left, right = box
    low, high = jnp.array([top, left], jnp.float32), jnp.array([bottom, right], jnp.float32)
    return jax.random.uniform(key, (2,), minval=low, maxval=high)


def erase_disc(x: jax.Array, centre: jax.Array, radius: float) -> jax.Array:
    """Zero every channel of the cells whose middle lies within ``radius`` of ``centre``.

    Cell (i, j) has its middle at (i + 0.5, j + 0.5), so box coordinates and cells agree.
    """
    rows = jnp.arange(x.shape[0], dtype=jnp.float32)[:, None] + 0.5
    cols = jnp.arange(x.shape[1], dtype=jnp.float32)[None, :] + 0.5
    inside = jnp.square(rows - centre[0]) + jnp.square(cols - centre[1]) <= radius * radius
    return jnp.where(inside[..., None], 0.0, x)


def erase_quadrant_discs(states: np.ndarray | jax.Array, target: np.ndarray) -> jax.Array:
    """Erase the evaluation's disc from each grown state (rollouts, H, W, C): rollout ``i`` at
    the middle of the opaque box's quadrant ``i % 4``."""
    centres = quadrant_centres(target)
    radius = disc_radius(target)
    return jnp.stack(
        [erase_disc(x, np.array(centres[i % 4]), radius) for i, x in enumerate(states)]
    )
