import numpy as np

from nca_steps.evaluation import HORIZON_MULTIPLES, mse_at_horizons, summary_column


def test_mse_at_each_multiple_of_the_steps_that_the_rollout_reaches():
    steps = 4
    mse = np.stack([np.arange(41.0), np.arange(41.0) + 2])  # two rollouts, 10 x 4 steps
    assert mse_at_horizons(mse, steps) == {"1x": 5.0, "3x": 13.0, "10x": 41.0}
    assert mse_at_horizons(mse[:, :13], steps) == {"1x": 5.0, "3x": 13.0}


def test_summary_columns_are_named_after_the_multiples():
    assert [summary_column(k) for k in HORIZON_MULTIPLES] == [
        "mse_1x_vs_empty", "mse_3x_vs_empty", "mse_10x_vs_empty"
    ]  # fmt: skip
