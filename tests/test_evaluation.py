import json
import subprocess
import sys

import numpy as np
import pytest

from nca_steps.errors import StepError
from nca_steps.evaluation import (
    HORIZON_MULTIPLES,
    KEYS,
    ROTATION_TURNS,
    SUMMARY_COLUMNS,
    TARGET_FREE,
    damage_report,
    drift,
    load_evaluation,
    mse_at_horizons,
    repair_gap,
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
        "drift": {"vs_empty": 0.05},
        "repair_gap": {"vs_empty": 0.25},
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
            "drift_vs_empty": 0.05,
            "repair_gap_vs_empty": 0.25,
        }
    )
    assert tuple(summary_values(evaluation)) == SUMMARY_COLUMNS
    assert summary_values({**evaluation, "drift": None})["drift_vs_empty"] == ""


def test_drift_of_known_states():
    """Two rollouts of 3 frames: from frame 1 to 2 one moves by 0.5 everywhere, one stays."""
    growth = np.zeros((2, 3, 2, 2, 4), np.float32)
    growth[0, 2] = 0.5
    assert drift(growth, 1, energy=0.25) == {
        "from_step": 1, "to_step": 2, "mse": 0.125, "vs_empty": 0.5
    }  # fmt: skip
    assert drift(growth[:, :2], 1, energy=0.25) is None  # no step past the training steps


def test_repair_gap_compares_last_states_only():
    damaged = np.zeros((2, 4, 2, 2, 4), np.float32)
    undamaged = damaged.copy()
    damaged[:, 0] = 1.0  # the damage itself does not count, only where the runs end
    damaged[1, -1, 0, 0] = 1.0  # one rollout ends 1 off in one cell's 4 channels
    assert repair_gap(damaged, undamaged, 8, energy=0.5) == {
        "step": 8, "mse": 0.125, "vs_empty": 0.25
    }  # fmt: skip


def test_an_evaluation_from_before_the_target_free_measures_asks_for_a_rerun(tmp_path):
    older = {k: 0 for k in KEYS if k not in TARGET_FREE}
    (tmp_path / "e.json").write_text(json.dumps(older))
    with pytest.raises(StepError, match=r"\(no 'drift'\) \(an older evaluate step's\? rerun: "):
        load_evaluation(tmp_path / "e.json")


def test_reading_evaluations_needs_no_jax():
    """The steps that only read evaluations (summarize, plot_evaluation) leave JAX unimported:
    its import is about a second of CPU in every such job."""
    code = (
        "import sys, nca_steps.steps.summarize, nca_steps.steps.plot_evaluation; "
        "print('jax' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"
