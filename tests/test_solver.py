import jax.numpy as jnp
import numpy as np
import pytest

from nca_steps import hyperparameters
from nca_steps.errors import StepError
from nca_steps.solver import SOLVERS, finite_fitness, make_solver

ES = list(SOLVERS)


def test_every_algorithm_of_the_config_but_the_gradient_baseline_is_a_solver():
    assert set(hyperparameters.ALGORITHMS) - set(SOLVERS) == {"adam"}


def test_pgpe_learning_rates_follow_the_notebook():
    s = make_solver("pgpe", 10, pop_size=8, lr=0.08, seed=1)
    assert s.es._center_lr == pytest.approx(0.004)
    assert s.es._stdev_lr == pytest.approx(0.0008)
    np.testing.assert_allclose(s.es._stdev, np.full(10, 0.008), rtol=1e-6)
    wider = make_solver("pgpe", 10, pop_size=8, lr=0.08, seed=1, init_stdev=0.02)
    np.testing.assert_allclose(wider.es._stdev, np.full(10, 0.02), rtol=1e-6)
    assert wider.es._center_lr == pytest.approx(0.004)


@pytest.mark.parametrize("algorithm", ES)
def test_center_starts_at_zero_with_stdev_a_tenth_of_lr(algorithm):
    s = make_solver(algorithm, 10, pop_size=8, lr=0.08, seed=1)
    np.testing.assert_array_equal(s.center, np.zeros(10))
    assert s.spread() == pytest.approx(0.008)
    population = np.asarray(s.ask())
    assert population.shape == (8, 10)
    assert 0.004 < population.std() < 0.012


@pytest.mark.parametrize("algorithm", ES)
def test_a_solver_started_at_a_center_searches_around_it(algorithm):
    """Where a run starts (init lecun, or a start_from run's parameters) is where the search
    goes on from, not only its first population: evojax's PGPE and ARS once stepped from zero
    after the first generation, as their optimizers kept the parameters they began with."""
    start = np.linspace(-0.5, 0.5, 10, dtype=np.float32)
    s = make_solver(algorithm, 10, pop_size=8, lr=1e-6, seed=1, center=start)
    for _ in range(3):
        population = s.ask()
        np.testing.assert_allclose(np.asarray(population).mean(axis=0), start, atol=1e-5)
        s.tell(-jnp.sum(population**2, axis=1))
    np.testing.assert_allclose(s.center, start, atol=1e-5)


@pytest.mark.parametrize("pop_size", [0, 3, 7])
def test_odd_or_empty_population_is_refused(pop_size):
    with pytest.raises(StepError, match=f"population size {pop_size} is invalid; use an even"):
        make_solver("pgpe", 10, pop_size=pop_size, lr=0.1, seed=0)


def test_unknown_algorithm_is_refused():
    with pytest.raises(StepError, match="algorithm 'cma' is not an ES; use one of pgpe, ars"):
        make_solver("cma", 10, pop_size=4, lr=0.1, seed=0)


def test_non_finite_fitness_ranks_just_below_the_worst():
    got = np.asarray(finite_fitness(jnp.array([1.0, jnp.nan, -2.0, jnp.inf])))
    np.testing.assert_array_equal(got, [1.0, -3.0, -2.0, -3.0])
    np.testing.assert_array_equal(finite_fitness(jnp.array([jnp.nan, -jnp.inf])), [0.0, 0.0])


@pytest.mark.parametrize("algorithm", ES)
def test_training_goes_on_past_non_finite_members(algorithm):
    s = make_solver(algorithm, 6, pop_size=4, lr=0.1, seed=0)
    for _ in range(3):
        s.ask()
        s.tell(jnp.array([1.0, jnp.nan, 0.5, -jnp.inf]))
    assert bool(jnp.all(jnp.isfinite(s.center)))


@pytest.mark.parametrize("algorithm", ES)
def test_state_round_trip_continues_identically(algorithm):
    """A solver restored from a saved state asks for the very same populations."""
    a = make_solver(algorithm, 12, pop_size=6, lr=0.1, seed=3)
    target = jnp.linspace(-0.2, 0.2, 12)

    def fitness(population):
        return -jnp.sum((population - target) ** 2, axis=1)

    for _ in range(3):
        a.tell(fitness(a.ask()))
    b = make_solver(algorithm, 12, pop_size=6, lr=0.1, seed=3)
    b.set_state({k: np.array(v) for k, v in a.get_state().items()})
    for _ in range(3):
        pa, pb = a.ask(), b.ask()
        np.testing.assert_array_equal(pa, pb)
        a.tell(fitness(pa))
        b.tell(fitness(pb))
    np.testing.assert_array_equal(a.center, b.center)
    assert a.spread() == b.spread()
    assert not np.array_equal(a.center, np.zeros(12))  # it moved


@pytest.mark.parametrize("algorithm", ES)
def test_each_solver_improves_a_quadratic(algorithm):
    s = make_solver(algorithm, 50, pop_size=16, lr=1.0, seed=0)
    target = jnp.full(50, 0.3)

    def loss(x):
        return jnp.sum((x - target) ** 2, axis=-1)

    start = float(loss(s.center))
    for _ in range(100):
        s.tell(-loss(s.ask()))
    assert float(loss(s.center)) < 0.7 * start
