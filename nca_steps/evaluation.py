"""What an evaluation measures, defined once for the evaluate step that writes it, the summary
that reads it and the figure that draws it. Every run is tested the same way, whatever it was
trained for:

- *long horizon*: the MSE at 1, 3 and 10 x the training steps, to tell a pattern that persists
  from one that appears at the horizon and then falls apart;
- *damage*: grown to the training horizon, a disc of about a quarter of the target's opaque box
  is erased (at the middle of quadrant ``i % 4`` for rollout ``i``, nca_steps/damage.py) and
  the pattern runs as many steps again; the ratio of the MSE at the end to the MSE just before
  the damage says how well it repaired itself (1: fully);
- *rotation*: the seed turned by 90 degrees (on an even grid it then sits one cell off the
  middle) grows with the perception turned the same way and is scored against the target
  turned the same way (``np.rot90(., 1)``). At fire rate 1 that is exactly the upright growth,
  turned; the ratio to the upright MSE then measures what the random updates, which are not
  turned, make of it (1: nothing).

Two more measures compare the pattern with itself, not with the target's drawing (a model
trained on another drawing of the same emoji, such as the Distill article's on Noto's 2020
designs, is judged by what it does, not by how today's picture looks):

- *drift*: the RGBA MSE between the state at the training steps and at the evaluation's last
  step (10 x the steps by default): 0 for a pattern that holds still, large for one that
  grows on, dies or wanders;
- *repair gap*: the RGBA MSE between the damaged pattern after as many steps again and the
  same run without the damage (same random keys, so the two differ by the damage alone): 0 for
  a perfect repair.

Both are divided by the target's energy (the mean of its squared RGBA values: the empty
grid's MSE), so that 1 is as far as an empty grid is from the target.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from nca_steps.cli import read_text
from nca_steps.errors import StepError

if TYPE_CHECKING:  # the steps that only read evaluations (summarize, plot_evaluation) skip
    import jax  # JAX's import, a second of CPU a job

HORIZON_MULTIPLES = (1, 3, 10)  # x the training steps
ROTATION_ANGLE = math.pi / 2
ROTATION_TURNS = 1  # np.rot90 turns of the target that match ROTATION_ANGLE (tests/test_model.py)


def horizon_key(multiple: int) -> str:
    return f"{multiple}x"


def mse_per_step(rgba: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The RGBA MSE of every state: (rollouts, frames, H, W, 4) -> (rollouts, frames)."""
    return np.square(np.asarray(rgba, np.float64) - target).mean(axis=(2, 3, 4))


def mse_at_horizons(mse: np.ndarray, steps: int) -> dict[str, float]:
    """Mean MSE over rollouts at each multiple of ``steps`` that ``mse`` (rollouts, steps + 1)
    reaches."""
    return {
        horizon_key(k): float(mse[:, k * steps].mean())
        for k in HORIZON_MULTIPLES
        if k * steps < mse.shape[1]
    }


def rotated(grid: np.ndarray | jax.Array) -> np.ndarray:
    """A target or state (H, W, C) turned as ROTATION_ANGLE turns the model: (W, H, C)."""
    return np.rot90(np.asarray(grid), ROTATION_TURNS).copy()


def damage_report(before: np.ndarray, after: np.ndarray, end: np.ndarray) -> dict[str, float]:
    """Mean MSE over rollouts just before the damage, just after, at the end, and end / before."""
    means = {"before": float(before.mean()), "after": float(after.mean()), "end": float(end.mean())}
    return {**means, "ratio": means["end"] / means["before"] if means["before"] else math.inf}


def drift(growth: np.ndarray, steps: int, energy: float) -> dict[str, float] | None:
    """How far the states of ``growth`` (rollouts, frames, H, W, 4) move from step ``steps`` to
    the last: the mean RGBA MSE between the two over rollouts, and that over ``energy`` (the
    target's mean squared value). None when the rollouts end at ``steps``."""
    last = growth.shape[1] - 1
    if last <= steps:
        return None
    mse = float(np.square(growth[:, last].astype(np.float64) - growth[:, steps]).mean())
    return {"from_step": steps, "to_step": last, "mse": mse, "vs_empty": mse / energy}


def repair_gap(
    damaged: np.ndarray, undamaged: np.ndarray, step: int, energy: float
) -> dict[str, float]:
    """How far the damaged runs (rollouts, frames, H, W, 4) end from the same runs undamaged:
    the mean RGBA MSE of their last states over rollouts, and that over ``energy``; ``step``
    is where they end, counted from the seed."""
    mse = float(np.square(damaged[:, -1].astype(np.float64) - undamaged[:, -1]).mean())
    return {"step": step, "mse": mse, "vs_empty": mse / energy}


def summary_column(multiple: int) -> str:
    """The summary's column of the MSE at ``multiple`` x the steps, relative to the empty grid's."""
    return f"mse_{horizon_key(multiple)}_vs_empty"


SUMMARY_COLUMNS = (
    *map(summary_column, HORIZON_MULTIPLES),
    "damage_before_vs_empty",
    "damage_end_vs_empty",
    "damage_ratio",
    "rotated_vs_empty",
    "rotation_ratio",
    "drift_vs_empty",
    "repair_gap_vs_empty",
)


def summary_values(evaluation: dict[str, Any]) -> dict[str, float | str]:
    """An evaluation JSON's numbers for the summary table, MSEs relative to the empty grid's;
    a horizon the evaluation did not reach is blank."""
    empty = evaluation["empty_grid_mse"]
    horizons = evaluation["mse_at"]
    damaged, rotated = evaluation["damage"], evaluation["rotation"]
    return {
        **{
            summary_column(k): horizons[horizon_key(k)] / empty
            if horizon_key(k) in horizons
            else ""
            for k in HORIZON_MULTIPLES
        },
        "damage_before_vs_empty": damaged["before"] / empty,
        "damage_end_vs_empty": damaged["end"] / empty,
        "damage_ratio": damaged["ratio"],
        "rotated_vs_empty": rotated["mse"] / empty,
        "rotation_ratio": rotated["ratio"],
        "drift_vs_empty": evaluation["drift"]["vs_empty"] if evaluation["drift"] else "",
        "repair_gap_vs_empty": evaluation["repair_gap"]["vs_empty"],
    }


TARGET_FREE = ("drift", "repair_gap")  # added later: an evaluation lacking only these is older
KEYS = ("loss", "empty_grid_loss", "loss_vs_empty", "empty_grid_mse", "mse_at", "damage",
        "rotation", "drift", "repair_gap", "mse_per_step", "damaged_mse_per_step")  # fmt: skip


def load_evaluation(path: str) -> dict[str, Any]:
    """An evaluate step's JSON, refused in one line if it is not one."""
    text = read_text(path, "evaluation")
    try:
        evaluation = json.loads(text)
        missing = [k for k in KEYS if k not in evaluation]
    except (ValueError, TypeError) as err:
        raise StepError(f"evaluation {path} is not an evaluate step's JSON ({err})") from None
    if missing:
        older = " (an older evaluate step's? rerun: snakemake --forcerun evaluate)"
        raise StepError(
            f"evaluation {path} is not an evaluate step's JSON (no {missing[0]!r})"
            + (older if set(missing) <= set(TARGET_FREE) else "")
        )
    return evaluation
