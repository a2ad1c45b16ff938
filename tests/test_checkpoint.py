import numpy as np
import pytest

from nca_steps import checkpoint
from nca_steps.errors import StepError


def test_round_trip_and_missing(tmp_path):
    path = tmp_path / "c.npz"
    assert checkpoint.load(path, {"lr": 0.1}) is None
    checkpoint.save(path, {"lr": 0.1, "pop_size": 4}, {"center": np.arange(3.0)})
    got = checkpoint.load(path, {"pop_size": 4, "lr": 0.1})
    np.testing.assert_array_equal(got["center"], np.arange(3.0))


def test_other_settings_are_refused(tmp_path):
    path = tmp_path / "c.npz"
    checkpoint.save(path, {"lr": 0.1, "pop_size": 4}, {"center": np.zeros(2)})
    with pytest.raises(StepError, match=r"other settings \(lr differ\); delete it"):
        checkpoint.load(path, {"lr": 0.2, "pop_size": 4})


def test_unreadable_checkpoint_is_refused(tmp_path):
    path = tmp_path / "c.npz"
    path.write_bytes(b"half a checkpoint")
    with pytest.raises(StepError, match=r"checkpoint .*c.npz is unreadable .*; delete it"):
        checkpoint.load(path, {"lr": 0.1})


def test_checkpoint_missing_an_array_is_refused(tmp_path):
    path = tmp_path / "c.npz"
    checkpoint.save(path, {"lr": 0.1}, {"center": np.zeros(2)})
    with pytest.raises(StepError, match=r"c.npz lacks key, stdev; delete it"):
        checkpoint.load(path, {"lr": 0.1}, ["center", "stdev", "key"])


def test_the_environment_is_kept_apart_from_the_settings(tmp_path):
    path = tmp_path / "c.npz"
    environment = {"jax": "0.10.2", "backend": "cpu", "devices": 2}
    checkpoint.save(path, {"lr": 0.1}, {"center": np.zeros(2)}, environment)
    got = checkpoint.load(path, {"lr": 0.1}, ["center"])
    assert checkpoint.saved_environment(got) == environment and set(got) == {"center"}
    checkpoint.save(path, {"lr": 0.1}, {"center": np.zeros(2)})  # one written before it was kept
    assert checkpoint.saved_environment(checkpoint.load(path, {"lr": 0.1})) is None
