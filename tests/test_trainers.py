import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nca_steps import model
from nca_steps.errors import StepError
from nca_steps.fitness import make_population_fitness
from nca_steps.hyperparameters import (
    ALGORITHMS,
    BY_NAME,
    DEFAULTS,
    EXPERIMENTS,
    HYPERPARAMETERS,
    POOL_RESEED_EVERY,
    check,
)
from nca_steps.trainers import (
    EvolutionTrainer,
    GradientTrainer,
    make_trainer,
    normalize_per_tensor,
    weight_penalized,
)

C = 16
ROLLOUT = {"channels": C, "steps": 8, "loss_every": 4, "fire_rate": 0.5}


def hyperparameters(algorithm: str) -> dict:
    return {**DEFAULTS, **ROLLOUT, "algorithm": algorithm, "pop_size": 4, "lr": 0.5, "seed": 2}


def test_each_algorithm_gets_its_trainer(tiny_target):
    assert isinstance(make_trainer(tiny_target, hyperparameters("adam")), GradientTrainer)
    for algorithm in ("pgpe", "ars", "crfmnes"):
        trainer = make_trainer(tiny_target, hyperparameters(algorithm))
        assert isinstance(trainer, EvolutionTrainer)
        assert trainer.solver.es.__class__.__name__.lower().startswith(algorithm[:3])


@pytest.mark.parametrize("algorithm", ["pgpe", "snes"])
def test_an_es_starts_at_zero_or_at_the_models_default_init(tiny_target, algorithm):
    hp = {**hyperparameters(algorithm), "hidden": 32}
    zero = make_trainer(tiny_target, hp)
    np.testing.assert_array_equal(zero.center, np.zeros(model.param_count(C, 32)))
    lecun = make_trainer(tiny_target, {**hp, "init": "lecun"})
    np.testing.assert_array_equal(lecun.center, model.init_params(jax.random.PRNGKey(2), C, 32))


def test_the_pool_holds_what_the_center_grows_from_its_start(tiny_target):
    """Known answer: after an odd generation exactly the drawn slot holds the new center grown
    `steps` from the slot's state; after an even one, the center grown from the seed in every
    POOL_RESEED_EVERY-th generation, else the pool is as it was."""
    hp = {**hyperparameters("snes"), "hidden": 32, "init": "lecun", "pool": 3}
    trainer = make_trainer(tiny_target, hp)
    seed = np.asarray(model.seed_grid(*tiny_target.shape[:2], C))
    assert (trainer.get_state()["pool"] == seed).all()
    for index in (0, 1, 2, 3, POOL_RESEED_EVERY):
        key = jax.random.PRNGKey(10 + index)
        before = trainer.get_state()["pool"]
        slot, start = trainer.pool.draw(key, index)
        assert (start is None) == (index % 2 == 0)
        trainer.generation(key, index)
        after = trainer.get_state()["pool"]
        if index == 2:
            np.testing.assert_array_equal(after, before)
            continue
        grown, _ = model.rollout_rgba(
            trainer.center, key, 8, height=10, width=12, channels=C, hidden=32,
            start=seed if start is None else before[slot],
        )  # fmt: skip
        np.testing.assert_array_equal(after[slot], np.asarray(grown))
        others = [i for i in range(3) if i != slot]
        np.testing.assert_array_equal(after[others], before[others])


def test_evolution_generation_returns_the_losses_it_told(tiny_target):
    trainer = make_trainer(tiny_target, hyperparameters("pgpe"))
    population = trainer.solver.ask()
    fitness = make_population_fitness(tiny_target, pop_size=4, **ROLLOUT)
    expected = -fitness(population, jax.random.PRNGKey(5))
    again = make_trainer(tiny_target, hyperparameters("pgpe"))
    np.testing.assert_array_equal(again.generation(jax.random.PRNGKey(5), 0), expected)


def test_weight_decay_subtracts_each_members_squared_weights():
    fitness, population = jnp.array([-1.0, -2.0]), jnp.array([[1.0, 2.0], [0.0, -3.0]])
    np.testing.assert_allclose(weight_penalized(fitness, population, 0.1), [-1.5, -2.9])
    assert weight_penalized(fitness, population, 0.0) is fitness


def test_weight_decay_ranks_by_the_penalty_and_returns_the_fitnesss_own_losses(tiny_target):
    """With a fitness that cannot tell members apart, only the penalty ranks them: from the
    same start and keys, the decayed center stays smaller than the undecayed one every
    generation (both drift outwards: Adam's noisy steps), and the losses returned stay the
    fitness's (zero)."""
    hp = {**hyperparameters("pgpe"), "pop_size": 16, "hidden": 32, "init": "lecun"}
    norms = {}
    for weight_decay in (0.0, 0.5):
        solver = make_trainer(tiny_target, hp).solver
        trainer = EvolutionTrainer(solver, lambda population, key: jnp.zeros(len(population)),
                                   weight_decay=weight_decay)  # fmt: skip
        norms[weight_decay] = []
        for index in range(8):
            losses = trainer.generation(jax.random.PRNGKey(index), index)
            np.testing.assert_array_equal(losses, np.zeros(16))
            norms[weight_decay].append(float(jnp.linalg.norm(trainer.center)))
    assert all(d < u for d, u in zip(norms[0.5], norms[0.0], strict=True)), norms


def test_gradients_are_normalised_per_tensor():
    grad = jnp.arange(model.param_count(C, 32), dtype=jnp.float32)
    for tensor in model.unflatten(normalize_per_tensor(grad, C, 32), C, 32):
        assert float(jnp.linalg.norm(tensor)) == pytest.approx(1.0, rel=1e-5)


def test_gradient_trainer_starts_from_the_default_init_and_learns(tiny_target):
    trainer = make_trainer(tiny_target, hyperparameters("adam"))
    np.testing.assert_array_equal(trainer.center, model.init_params(jax.random.PRNGKey(2), C))
    assert trainer.spread() == 0.0
    key = jax.random.PRNGKey(0)
    first = float(trainer.generation(key, 0).mean())
    for i in range(30):
        losses = trainer.generation(jax.random.fold_in(key, i), i + 1)
    assert losses.shape == (4,)
    assert float(losses.mean()) < 0.5 * first


def test_gradient_state_round_trip_continues_identically(tiny_target):
    a = make_trainer(tiny_target, hyperparameters("adam"))
    for i in range(3):
        a.generation(jax.random.PRNGKey(i), i)
    b = make_trainer(tiny_target, hyperparameters("adam"))
    b.set_state({k: np.array(v) for k, v in a.get_state().items()})
    for i in range(3, 6):
        np.testing.assert_array_equal(
            a.generation(jax.random.PRNGKey(i), i), b.generation(jax.random.PRNGKey(i), i)
        )
    np.testing.assert_array_equal(a.center, b.center)


@pytest.mark.parametrize("algorithm", ["pgpe", "adam"])
def test_warmup_trains_for_growing_first(tiny_target, algorithm):
    """During the warm-up a persistent run takes the same steps as a growing one; after it,
    its own."""
    growing = make_trainer(tiny_target, hyperparameters(algorithm))
    persistent = make_trainer(
        tiny_target, {**hyperparameters(algorithm), "experiment": "persistent", "warmup": 2}
    )
    keys = [jax.random.PRNGKey(i) for i in range(3)]
    for i in range(2):
        np.testing.assert_array_equal(
            growing.generation(keys[i], i), persistent.generation(keys[i], i)
        )
    np.testing.assert_array_equal(growing.center, persistent.center)
    assert not np.array_equal(growing.generation(keys[2], 2), persistent.generation(keys[2], 2))


# Every allowed edge value of the hyperparameters either trains (two generations, a finite
# center) or is refused by the config check in one line; ranges from nca_steps/hyperparameters.
OPEN_LOW = 1e-9  # the smallest value tried where a range excludes its lower end (lr, fire_rate)


def low(name: str) -> float:
    r = BY_NAME[name].range
    return r.minimum if r.minimum is not None else OPEN_LOW


def high(name: str) -> float:
    return BY_NAME[name].range.maximum


# What the solver sees: population, step size, seed, parameter count, start.
SOLVER_EDGES = {
    "smallest": {"pop_size": low("pop_size"), "lr": low("lr"), "seed": low("seed"), "hidden": 1},
    "largest": {"pop_size": high("pop_size"), "lr": high("lr"), "seed": high("seed"), "hidden": 1},
    "widest": {"hidden": high("hidden"), "init": "lecun"},
}
# What the rollouts and the objective see, per experiment.
FITNESS_EDGES = {
    "smallest": {
        "steps": 1, "loss_every": 1, "channels": low("channels"), "hidden": low("hidden"),
        "fire_rate": low("fire_rate"), "later_losses": low("later_losses"), "pool": 1,
    },
    "longest": {"steps": high("steps"), "loss_every": high("steps"), "hidden": 8},
    "most_later_losses": {"later_losses": high("later_losses"), "hidden": 8, "warmup": 10**9},
    "widest": {"channels": high("channels"), "hidden": high("hidden"), "fire_rate": 1.0},
    "objective": {
        "window": 4, "window_loss": "random", "dead": "worst", "warmup": 1, "pool": high("pool"),
        "weight_decay": high("weight_decay"),
    },
}  # fmt: skip
REFUSED = {
    ("pgpe", "smallest"): "pop_size 2 is too small for pgpe; use 4 or more",
    ("crfmnes", "widest"): "crfmnes takes at most 60,000 parameters, and channels 16 with hidden "
    "1024 make 66,576; use fewer, or another algorithm",
}
EDGE_BASE = {**DEFAULTS, "pop_size": 4, "steps": 4, "loss_every": 2, "hidden": 16, "seed": 3}


def edge_cases():
    for algorithm in ALGORITHMS:
        for edge, values in SOLVER_EDGES.items():
            yield pytest.param(algorithm, "growing", values, REFUSED.get((algorithm, edge)),
                               id=f"{algorithm}-{edge}")  # fmt: skip
    # The population fitness in every experiment; the gradient's loss (the same objective,
    # differentiated) in regenerating, which has every term: growth, later losses, damage.
    paths = [(e, "pgpe") for e in EXPERIMENTS] + [("regenerating", "adam")]
    for experiment, algorithm in paths:
        for edge, values in FITNESS_EDGES.items():
            if experiment == "growing" and edge == "most_later_losses":
                continue  # growing has no later losses
            if algorithm == "adam":
                values = {**values, "pool": 0, "weight_decay": 0}  # ES options: refused
            yield pytest.param(algorithm, experiment, values, None,
                               id=f"{experiment}-{algorithm}-{edge}")  # fmt: skip


@pytest.mark.parametrize(("algorithm", "experiment", "values", "refusal"), edge_cases())
def test_every_allowed_edge_value_trains_or_is_refused_in_one_line(
    tiny_target, algorithm, experiment, values, refusal
):
    hp = {**EDGE_BASE, "algorithm": algorithm, "experiment": experiment, **values}
    if refusal is not None:
        with pytest.raises(StepError) as err:
            check(hp)
        assert str(err.value) == refusal
        return
    check(hp)
    trainer = make_trainer(tiny_target, hp)
    for index in range(2):
        trainer.generation(jax.random.fold_in(jax.random.PRNGKey(0), index), index)
    assert bool(jnp.isfinite(trainer.center).all())


@pytest.mark.parametrize("name", [h.name for h in HYPERPARAMETERS if h.range and h.range.maximum])
def test_past_each_largest_value_is_refused_in_one_line(name):
    past = high(name) + (1 if BY_NAME[name].range.kind is int else 0.5)
    if BY_NAME[name].range.multiple_of:
        past = high(name) + BY_NAME[name].range.multiple_of
    with pytest.raises(StepError, match=rf"^{name} {past!r} is invalid; use .* in [\[(]"):
        check({name: past})
