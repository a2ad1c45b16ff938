from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nca_steps import model, reference
from nca_steps.errors import StepError
from nca_steps.evaluation import ROTATION_ANGLE, ROTATION_TURNS

C = 16


def random_params(seed: int = 0, scale: float = 0.05) -> jax.Array:
    flat = model.init_params(jax.random.PRNGKey(seed), C)
    return flat + scale * jax.random.normal(jax.random.PRNGKey(seed + 1), flat.shape)


def test_param_count_matches_notebook_module():
    flat, _ = jax.flatten_util.ravel_pytree(
        reference.CellUpdate(channels=C).init(
            jax.random.PRNGKey(0), jnp.zeros((1, 3, 3, C)), jax.random.PRNGKey(1)
        )
    )
    assert flat.shape == (model.param_count(C),) == (8336,)


def test_unflatten_follows_ravel_pytree_order():
    flat = jnp.arange(model.param_count(C), dtype=jnp.float32)
    mine = model.unflatten(flat, C)
    theirs = reference.unravel_fn(C)(flat)["params"]["dmodel"]
    np.testing.assert_array_equal(mine.b1, theirs["layers_0"]["bias"])
    np.testing.assert_array_equal(mine.w1, theirs["layers_0"]["kernel"][0, 0])
    np.testing.assert_array_equal(mine.b2, theirs["layers_2"]["bias"])
    np.testing.assert_array_equal(mine.w2, theirs["layers_2"]["kernel"][0, 0])
    np.testing.assert_array_equal(model.flatten(mine), flat)


def test_init_params_last_layer_starts_at_zero():
    p = model.unflatten(model.init_params(jax.random.PRNGKey(0), C), C)
    assert float(jnp.abs(p.w2).max()) == 0.0 and float(jnp.abs(p.b2).max()) == 0.0
    assert float(jnp.abs(p.w1).max()) > 0.0


@pytest.mark.parametrize("angle", [0.0, 0.7])
def test_step_equals_reference_formulation(angle):
    flat = random_params()
    x = model.seed_grid(11, 13, C) + 0.3 * jax.random.uniform(jax.random.PRNGKey(5), (11, 13, C))
    ref = reference.CellUpdate(channels=C, fire_rate=1.0)
    expected = ref.apply(reference.unravel_fn(C)(flat), x[None], jax.random.PRNGKey(1), angle)[0]
    params = model.rotate_sobel(model.unflatten(flat, C), angle)
    got = model.step(params, x, jax.random.PRNGKey(1), 1.0)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert float(jnp.abs(expected).max()) > 0.1  # the comparison is not between zeros


def test_seed_grid_has_one_living_cell():
    x = model.seed_grid(7, 9, C)
    assert float(x[3, 4, 3:].min()) == 1.0 and float(x.sum()) == C - 3
    alive = model.living_mask(x)[..., 0]
    assert int(alive.sum()) == 9 and bool(alive[2:5, 3:6].all())


def test_cells_without_living_neighbours_are_cleared():
    x = jnp.zeros((8, 8, C)).at[1, 1, 3].set(0.05).at[1, 1, 0].set(0.7)  # alpha below 0.1
    params = model.unflatten(random_params(), C)
    y = model.step(params, x, jax.random.PRNGKey(0), 1.0)
    assert float(jnp.abs(y).max()) == 0.0


def test_fire_mask_rate():
    mask = model.fire_mask(jax.random.PRNGKey(0), (200, 200), 0.5)
    assert abs(float(mask.mean()) - 0.5) < 0.01
    assert float(model.fire_mask(jax.random.PRNGKey(0), (5, 5), 1.0).min()) == 1.0


def test_rollout_shape_and_seed_first():
    states = model.rollout(random_params(), jax.random.PRNGKey(0), 6, height=9, width=10)
    assert states.shape == (7, 9, 10, C)
    np.testing.assert_array_equal(states[0], model.seed_grid(9, 10, C))


def test_rollout_refuses_wrong_vector_length():
    with pytest.raises(StepError, match="8336"):
        model.rollout(np.zeros(100), jax.random.PRNGKey(0), 2, height=5, width=5)


def test_perception_turned_by_the_evaluation_angle_turns_the_growth():
    """The rotation test's known answer: on an odd grid at fire rate 1, growing a turned state
    with the turned perception gives the turned growth, np.rot90(., ROTATION_TURNS)."""
    flat = random_params()
    x0 = np.zeros((9, 9, C), np.float32)
    x0[3:6, 4:7] = np.random.default_rng(0).uniform(size=(3, 3, C))  # not symmetric
    x0[3, 4, 3] = 1.0
    grow = partial(model.rollout, flat, jax.random.PRNGKey(1), 5, height=9, width=9,
                   channels=C, fire_rate=1.0)  # fmt: skip
    upright = np.rot90(np.asarray(grow(start=x0)), ROTATION_TURNS, axes=(1, 2))
    turned = np.asarray(grow(start=np.rot90(x0, ROTATION_TURNS), angle=ROTATION_ANGLE))
    np.testing.assert_allclose(turned, upright, rtol=1e-5, atol=1e-5)
    assert np.abs(upright[-1] - upright[0]).max() > 0.1  # it grew: not a still state
    assert np.abs(upright[-1] - np.rot90(upright[-1])).max() > 0.1  # nor a symmetric one


def test_rollout_rgba_keeps_rgba_and_goes_on_from_its_last_state():
    flat, key = random_params(), jax.random.PRNGKey(3)
    states = model.rollout(flat, key, 6, height=9, width=10)
    last, rgba = model.rollout_rgba(flat, key, 6, height=9, width=10)
    np.testing.assert_array_equal(rgba, states[..., :4])
    np.testing.assert_array_equal(last, states[-1])
    again = model.rollout(flat, key, 2, height=9, width=10, start=last)
    np.testing.assert_array_equal(again[0], last)
