"""What a run's bits depend on besides its inputs, and the warning when that changes."""

import jax

from nca_steps.runtime import environment, environment_change


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
