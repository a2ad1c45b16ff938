import numpy as np
import pytest

from nca_steps.damage import quadrant_centres
from nca_steps.evaluation import (
    HORIZON_MULTIPLES,
    ROTATION_TURNS,
    SUMMARY_COLUMNS,
    damage,
    damage_report,
    mse_at_horizons,
    rotated,
    summary_column,
    summary_values,
)


def test_mse_at_each_multiple_of_the_steps_that_the_rollout_reaches():
    steps = 4
    mse = np.stack([np.arange(41.0), np.arange(41.0) + 2])  # two rollouts, 10 x 4 steps
    assert mse_at_horizons(mse, steps) == {"1x": 5.0, "3x": 13.0, "10x": 41.0}
    assert mse_at_horizons(mse[:, :13], steps) == {"1x": 5.0, "3x": 13.0}


def test_summary_columns_are_named_after_the_multiples():
    assert [summary_column(k) for k in HORIZON_MULTIPLES] == [
        "mse_1x_vs_empty", "mse_3x_vs_empty", "mse_10x_vs_empty"
    ]  # fmt: skip


def box_target() -> np.ndarray:
    target = np.zeros((24, 24, 4), np.float32)
    target[4:20, 6:18] = 0.5  # a 16 x 12 opaque box
    return target


def test_damage_erases_quadrant_i_mod_4_of_rollout_i():
    target = box_target()
    states = np.ones((6, 24, 24, 8), np.float32)
    damaged = np.asarray(damage(states, target))
    centres = quadrant_centres(target)
    for i, state in enumerate(damaged):
        erased = state[..., 0] == 0
        assert (state[erased] == 0).all() and (state[~erased] == 1).all()
        rows, cols = np.nonzero(erased)
        assert (rows.mean() + 0.5, cols.mean() + 0.5) == pytest.approx(centres[i % 4], abs=0.01)
        assert erased.sum() == pytest.approx(16 * 12 / 4, rel=0.15)
    np.testing.assert_array_equal(damaged[4], damaged[0])


def test_damage_report_of_known_numbers():
    report = damage_report(np.array([0.1, 0.3]), np.array([0.5, 0.7]), np.array([0.2, 0.4]))
    assert report == pytest.approx({"before": 0.2, "after": 0.6, "end": 0.3, "ratio": 1.5})


def test_rotated_turns_as_the_rotated_model_turns():
    target = np.zeros((6, 8, 4), np.float32)
    target[1, 2] = 1.0
    np.testing.assert_array_equal(rotated(target), np.rot90(target, ROTATION_TURNS))
    assert rotated(target).shape == (8, 6, 4)


def test_summary_values_relative_to_the_empty_grid():
    evaluation = {
        "empty_grid_mse": 0.5,
        "mse_at": {"1x": 0.1, "3x": 0.2},
        "damage": {"before": 0.1, "after": 0.4, "end": 0.15, "ratio": 1.5},
        "rotation": {"mse": 0.11, "ratio": 1.1},
    }
    assert summary_values(evaluation) == pytest.approx(
        {
            "mse_1x_vs_empty": 0.2,
            "mse_3x_vs_empty": 0.4,
            "mse_10x_vs_empty": "",
            "damage_before_vs_empty": 0.2,
            "damage_end_vs_empty": 0.3,
            "damage_ratio": 1.5,
            "rotated_vs_empty": 0.22,
            "rotation_ratio": 1.1,
        }
    )
    assert tuple(summary_values(evaluation)) == SUMMARY_COLUMNS
