import jax.numpy as jnp
import numpy as np
import pytest

from nca_steps.errors import StepError
from nca_steps.solver import get_state, make_pgpe, rank_safe, set_state


def test_learning_rates_follow_the_notebook():
    s = make_pgpe(10, pop_size=8, lr=0.08, seed=1)
    assert s._center_lr == pytest.approx(0.004)
    assert s._stdev_lr == pytest.approx(0.0008)
    np.testing.assert_allclose(s._stdev, np.full(10, 0.008), rtol=1e-6)
    np.testing.assert_array_equal(s.best_params, np.zeros(10))
    wider = make_pgpe(10, pop_size=8, lr=0.08, seed=1, init_stdev=0.02)
    np.testing.assert_allclose(wider._stdev, np.full(10, 0.02), rtol=1e-6)
    assert wider._center_lr == pytest.approx(0.004)


@pytest.mark.parametrize("pop_size", [0, 3, 7])
def test_odd_or_empty_population_is_refused(pop_size):
    with pytest.raises(StepError, match=f"population size {pop_size} is invalid for PGPE"):
        make_pgpe(10, pop_size=pop_size, lr=0.1, seed=0)


def test_non_finite_fitness_ranks_worst():
    got = np.asarray(rank_safe(jnp.array([1.0, jnp.nan, -2.0, jnp.inf])))
    assert got[1] == got[3] == -np.inf and got[0] == 1.0 and got[2] == -2.0


def test_training_goes_on_past_a_nan_member():
    s = make_pgpe(6, pop_size=4, lr=0.1, seed=0)
    s.ask()
    s.tell(rank_safe(jnp.array([1.0, jnp.nan, 0.5, 0.2])))
    assert bool(jnp.all(jnp.isfinite(s.best_params)))


def test_state_round_trip_continues_identically():
    a = make_pgpe(12, pop_size=6, lr=0.1, seed=3)
    for i in range(3):
        a.ask()
        a.tell(jnp.arange(6.0) * (i + 1))
    b = make_pgpe(12, pop_size=6, lr=0.1, seed=3)
    set_state(b, {k: np.array(v) for k, v in get_state(a).items()})
    for _ in range(2):
        pa, pb = a.ask(), b.ask()
        np.testing.assert_array_equal(pa, pb)
        a.tell(-jnp.arange(6.0))
        b.tell(-jnp.arange(6.0))
    np.testing.assert_array_equal(a.best_params, b.best_params)
