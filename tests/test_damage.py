import jax
import numpy as np
import pytest

from nca_steps.damage import (
    disc_radius,
    erase_disc,
    erase_quadrant_discs,
    opaque_box,
    quadrant_centres,
    random_centre,
)


def box_target(top: int, bottom: int, left: int, right: int) -> np.ndarray:
    target = np.zeros((20, 24, 4), np.float32)
    target[top:bottom, left:right] = 0.5
    return target


def test_box_radius_and_quadrants_of_a_hand_made_target():
    target = box_target(2, 10, 4, 20)  # 8 rows x 16 columns
    assert opaque_box(target) == (2, 10, 4, 20)
    assert disc_radius(target) == pytest.approx(np.sqrt(8 * 16 / (4 * np.pi)))
    assert quadrant_centres(target) == [(4.0, 8.0), (4.0, 16.0), (8.0, 8.0), (8.0, 16.0)]


def test_an_empty_target_is_damaged_anywhere():
    assert opaque_box(np.zeros((5, 7, 4), np.float32)) == (0, 5, 0, 7)


def test_erased_disc_covers_a_quarter_of_the_box():
    target = np.zeros((40, 40, 4), np.float32)
    target[10:30, 10:30] = 0.5
    x = np.ones((40, 40, 6), np.float32)
    (centre, *_) = quadrant_centres(target)
    y = np.asarray(erase_disc(x, np.array(centre), disc_radius(target)))
    erased = y[..., 0] == 0
    assert (y[erased] == 0).all() and (y[~erased] == 1).all()  # every channel, nothing else
    assert erased.sum() == pytest.approx(20 * 20 / 4, rel=0.1)
    rows, cols = np.nonzero(erased)
    assert (rows.mean(), cols.mean()) == pytest.approx((14.5, 14.5), abs=0.01)  # cells, not middles


def test_random_centres_stay_in_the_box():
    centres = jax.vmap(lambda k: random_centre(k, (2, 10, 4, 20)))(
        jax.random.split(jax.random.PRNGKey(0), 500)
    )
    rows, cols = np.asarray(centres).T
    assert 2 <= rows.min() and rows.max() <= 10 and 4 <= cols.min() and cols.max() <= 20
    assert rows.std() > 2 and cols.std() > 4  # spread over the box, not one point


def test_the_evaluation_erases_quadrant_i_mod_4_of_rollout_i():
    target = box_target(4, 20, 6, 18)  # 16 rows x 12 columns
    states = np.ones((6, 20, 24, 8), np.float32)
    damaged = np.asarray(erase_quadrant_discs(states, target))
    centres = quadrant_centres(target)
    for i, state in enumerate(damaged):
        erased = state[..., 0] == 0
        assert (state[erased] == 0).all() and (state[~erased] == 1).all()
        rows, cols = np.nonzero(erased)
        assert (rows.mean() + 0.5, cols.mean() + 0.5) == pytest.approx(centres[i % 4], abs=0.01)
        assert erased.sum() == pytest.approx(16 * 12 / 4, rel=0.15)
    np.testing.assert_array_equal(damaged[4], damaged[0])
