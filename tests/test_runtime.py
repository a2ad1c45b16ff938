"""What a run's bits depend on besides its inputs, the warning when that changes, and the level
XLA compiles CPU code at."""

import os

import jax
import numpy as np
import pytest

from nca_steps import runtime
from nca_steps.runtime import environment, environment_change
from tests.conftest import make_tiny_target, run_module


def test_the_environment_names_this_jax_and_device():
    here = environment()
    assert here["jax"] == jax.__version__ and here["backend"] == jax.devices()[0].platform
    assert here["devices"] == len(jax.devices())
    # the tests state the precision they compare at (tests/conftest.py)
    assert here["matmul_precision"] == str(jax.config.jax_default_matmul_precision or "default")


def test_a_change_is_named_key_by_key_and_no_change_is_silent():
    before = {"jax": "0.10.2", "backend": "cpu", "devices": 2}
    assert environment_change(before, dict(before)) is None
    assert environment_change(None, before) is None  # a checkpoint that does not say
    change = environment_change(before, {**before, "backend": "gpu", "devices": 1})
    assert change.startswith(
        "the checkpoint was written elsewhere (backend cpu -> gpu, devices 2 -> 1)"
    )


@pytest.mark.parametrize(
    ("given", "platforms", "expected"),
    [
        ("", "", None if runtime.accelerator_installed() else runtime.CPU_COMPILE_LEVEL),
        ("", "cpu", runtime.CPU_COMPILE_LEVEL),  # JAX told to use the CPU only
        ("--xla_dump_to=/tmp/x", "cpu", f"--xla_dump_to=/tmp/x {runtime.CPU_COMPILE_LEVEL}"),
        ("--xla_backend_optimization_level=3", "cpu", "--xla_backend_optimization_level=3"),
    ],
)
def test_cpu_code_compiles_at_o2_unless_a_level_is_given(monkeypatch, given, platforms, expected):
    monkeypatch.setenv("XLA_FLAGS", given)
    monkeypatch.setenv("JAX_PLATFORMS", platforms)
    runtime.use_cpu_compile_level()
    assert os.environ["XLA_FLAGS"] == (expected or given)


def test_the_compile_level_changes_no_bit_of_a_training_run(tmp_path):
    """XLA's default -O3 and the steps' -O2 train the same run: every term of the objective
    (growth, damage, later losses) and the notebook's solver. (The other solvers and settings:
    benchmarks/compile_level.py.)"""
    np.save(tmp_path / "target.npy", make_tiny_target())
    params = []
    for level in ("3", "2"):
        out = tmp_path / f"O{level}"
        proc = run_module(
            "nca_steps.steps.train", "--target", tmp_path / "target.npy",
            "--params-out", f"{out}.npy", "--metrics-out", f"{out}.csv",
            "--checkpoint", f"{out}.npz", "--generations", "4", "--pop-size", "4",
            "--steps", "4", "--loss-every", "2", "--hidden", "8", "--later-losses", "1",
            "--experiment", "regenerating",
            env={"XLA_FLAGS": f"--xla_backend_optimization_level={level}"},
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        params.append(np.load(f"{out}.npy"))
    np.testing.assert_array_equal(*params)
