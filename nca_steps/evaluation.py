"""What an evaluation measures, defined once for the evaluate step that writes it and the
summary that reads it: the MSE of a grown pattern at several multiples of the training steps,
to tell a pattern that persists from one that appears at the horizon and then falls apart."""

from __future__ import annotations

import numpy as np

HORIZON_MULTIPLES = (1, 3, 10)  # x the training steps


def horizon_key(multiple: int) -> str:
    return f"{multiple}x"


def mse_at_horizons(mse: np.ndarray, steps: int) -> dict[str, float]:
    """Mean MSE over rollouts at each multiple of ``steps`` that ``mse`` (rollouts, steps + 1)
    reaches."""
    return {
        horizon_key(k): float(mse[:, k * steps].mean())
        for k in HORIZON_MULTIPLES
        if k * steps < mse.shape[1]
    }


def summary_column(multiple: int) -> str:
    """The summary's column of the MSE at ``multiple`` x the steps, relative to the empty grid's."""
    return f"mse_{horizon_key(multiple)}_vs_empty"
