import json
import os
import subprocess
import sys
import textwrap

import jax
import numpy as np
import pytest

from nca_steps import fitness, model, reference
from nca_steps.errors import StepError

C = 16


def population(n: int, seed: int = 0) -> jax.Array:
    base = model.init_params(jax.random.PRNGKey(seed), C)
    return base + 0.05 * jax.random.normal(jax.random.PRNGKey(seed + 1), (n, base.size))


@pytest.mark.parametrize("grid", [None, (21, 26)])
def test_fitness_equals_reference_at_fire_rate_one(tiny_target, grid):
    """Also on a grid large enough for growth on small windows to matter (see growth_plan)."""
    if grid is not None:
        tiny_target = np.pad(tiny_target, ((5, grid[0] - 15), (7, grid[1] - 19), (0, 0)))
    pop = population(4)
    settings = dict(channels=C, steps=16, loss_every=8, fire_rate=1.0)
    ours = fitness.make_population_fitness(tiny_target, pop_size=4, **settings)
    theirs = reference.make_population_fitness(tiny_target, **settings)
    key = jax.random.PRNGKey(3)
    got = np.asarray(ours(pop, key))
    expected = np.asarray(theirs(pop, jax.random.split(key, 4)))
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    assert len(set(got.round(6))) == 4  # members differ, so the order is checked too


def test_zero_parameters_score_the_seed_against_the_target(tiny_target):
    f = fitness.make_population_fitness(
        tiny_target, pop_size=2, channels=C, steps=6, loss_every=3, fire_rate=0.5
    )
    got = np.asarray(f(np.zeros((2, model.param_count(C)), np.float32), jax.random.PRNGKey(0)))
    seed = np.asarray(model.seed_grid(*tiny_target.shape[:2], C))[..., :4]
    expected = -2 * np.square(seed - tiny_target).mean()
    np.testing.assert_allclose(got, [expected, expected], rtol=1e-6)


def seed_mse(target: np.ndarray) -> float:
    seed = np.asarray(model.seed_grid(*target.shape[:2], C))[..., :4]
    return float(np.square(seed - target).mean())


def exploding_parameters(rate: float = 1.0) -> np.ndarray:
    """Every living cell adds ``rate`` to every channel each step: the pattern grows without
    bound."""
    params = model.unflatten(np.zeros(model.param_count(C), np.float32), C)
    return np.asarray(model.flatten(params._replace(b2=np.full(C, rate, np.float32))))


def soft(mse: float, target: np.ndarray) -> float:
    """later_loss of a living pattern, by hand."""
    empty = float(np.square(target).mean())
    return empty * np.log1p(mse / empty)


def test_persistent_adds_the_later_losses_of_a_still_pattern(tiny_target):
    """Known answer: zero parameters keep the seed still, so the 2 growth losses are the
    seed's MSE and each of the 3 later ones its soft-capped MSE."""
    f = fitness.make_population_fitness(
        tiny_target, pop_size=2, channels=C, steps=6, loss_every=3, fire_rate=0.5,
        experiment="persistent", later_losses=3,
    )  # fmt: skip
    got = np.asarray(f(np.zeros((2, model.param_count(C)), np.float32), jax.random.PRNGKey(0)))
    expected = 2 * seed_mse(tiny_target) + 3 * soft(seed_mse(tiny_target), tiny_target)
    np.testing.assert_allclose(got, [-expected] * 2, rtol=1e-6)


def test_later_losses_of_an_exploding_pattern_grow_slowly(tiny_target):
    """Known answer: with every living cell adding 1 a step (at fire rate 1, whatever the
    key), the states are those of model.rollout; the later losses are e * log1p(mse / e)."""
    settings = dict(channels=C, steps=6, loss_every=6, fire_rate=1.0)
    key = jax.random.PRNGKey(0)
    params = exploding_parameters()
    growing = fitness.member_loss(params, key, tiny_target, **settings)
    persistent = fitness.member_loss(
        params, key, tiny_target, **settings, experiment="persistent", later_losses=2
    )
    states = model.rollout(params, key, 18, height=10, width=12, fire_rate=1.0)
    mse = [float(np.square(states[k, ..., :4] - tiny_target).mean()) for k in (6, 12, 18)]
    assert float(growing) == pytest.approx(mse[0], rel=1e-6)
    later = soft(mse[1], tiny_target) + soft(mse[2], tiny_target)
    assert float(persistent) == pytest.approx(mse[0] + later, rel=1e-5)
    assert mse[2] > 100 * np.square(tiny_target).mean() > later  # exploded, softly counted


def test_a_dead_pattern_scores_worse_than_any_living_one(tiny_target):
    """Known answer: alpha falling by 1 a step kills the seed in the first step; its growth
    loss is the empty grid's and each later one DEAD x that."""
    params = model.unflatten(np.zeros(model.param_count(C), np.float32), C)
    dying = model.flatten(params._replace(b2=params.b2.at[model.ALPHA].set(-1.0)))
    settings = dict(channels=C, steps=6, loss_every=6, fire_rate=1.0)
    loss = fitness.member_loss(
        dying, jax.random.PRNGKey(0), tiny_target, **settings, experiment="persistent",
        later_losses=2,
    )  # fmt: skip
    empty = float(np.square(tiny_target).mean())
    assert float(loss) == pytest.approx(empty + 2 * fitness.DEAD * empty, rel=1e-6)
    exploding = fitness.member_loss(
        exploding_parameters(), jax.random.PRNGKey(0), tiny_target, **settings,
        experiment="persistent", later_losses=2,
    )  # fmt: skip
    assert float(exploding) < float(loss)


def test_regenerating_erases_the_grown_pattern_at_random_places(tiny_target):
    """Known answer: zero parameters keep the seed still; the random disc erases it in some
    rollouts (then dead: DEAD x the empty grid's MSE) and misses it in others (the seed's)."""
    settings = dict(channels=C, steps=4, loss_every=4, fire_rate=0.5, later_losses=2)
    loss = jax.jit(
        jax.vmap(
            lambda k: fitness.member_loss(
                np.zeros(model.param_count(C), np.float32),
                k,
                tiny_target,
                experiment="regenerating",
                **settings,
            )  # fmt: skip
        )
    )
    got = np.asarray(loss(jax.random.split(jax.random.PRNGKey(0), 64)))
    seed, empty = seed_mse(tiny_target), float(np.square(tiny_target).mean())
    missed, erased = seed + 2 * soft(seed, tiny_target), seed + 2 * fitness.DEAD * empty
    assert np.isclose(got, missed, rtol=1e-6).any() and np.isclose(got, erased, rtol=1e-6).any()
    assert (np.isclose(got, missed, rtol=1e-6) | np.isclose(got, erased, rtol=1e-6)).all()


def test_growth_plan_ends_at_loss_steps_and_window_growth():
    assert fitness.growth_plan(46, 48, 90, 30) == [
        (1, 4),
        (5, 8),
        (9, 12),
        (13, 16),
        (17, 20),
        (21, 24),
        (25, 30),
        (31, 60),
        (61, 90),
    ]
    assert fitness.growth_plan(5, 5, 6, 3) == [(1, 2), (3, 3), (4, 6)]


def test_batch_size_does_not_change_results(tiny_target):
    pop = population(8)
    settings = dict(pop_size=8, channels=C, steps=8, loss_every=4, fire_rate=0.5)
    key = jax.random.PRNGKey(7)
    a = fitness.make_population_fitness(tiny_target, batch=1, **settings)(pop, key)
    b = fitness.make_population_fitness(tiny_target, batch=8, **settings)(pop, key)
    np.testing.assert_allclose(a, b, rtol=1e-5)


def test_steps_must_be_a_multiple_of_loss_every(tiny_target):
    with pytest.raises(StepError, match="steps 10 is not a multiple of loss_every 4"):
        fitness.make_population_fitness(
            tiny_target, pop_size=2, channels=C, steps=10, loss_every=4, fire_rate=0.5
        )


TWO_DEVICES = textwrap.dedent(
    """
    import json, sys
    import jax, numpy as np
    from nca_steps import fitness, model, solver
    from nca_steps.errors import StepError
    target = np.load(sys.argv[1]); pop = np.load(sys.argv[2])
    assert len(jax.devices()) == 2, jax.devices()
    f = fitness.make_population_fitness(
        target, pop_size=len(pop), channels=16, steps=8, loss_every=4, fire_rate=0.5)
    print(json.dumps(np.asarray(f(pop, jax.random.PRNGKey(7))).tolist()))
    compiles = []
    jax.monitoring.register_event_duration_secs_listener(
        lambda event, secs, **kw: compiles.append(event)
        if event == "/jax/core/compile/backend_compile_duration" else None)
    pgpe = solver.make_solver("pgpe", model.param_count(16), pop_size=len(pop), lr=0.1, seed=0)
    for gen in range(3):
        pgpe.tell(f(pgpe.ask(), jax.random.PRNGKey(gen)))
        if gen == 0:
            compiles.clear()
    print(len(compiles))
    try:
        fitness.make_population_fitness(
            target, pop_size=3, channels=16, steps=8, loss_every=4, fire_rate=0.5)
    except StepError as err:
        print(err)
    """
)


def test_two_devices_agree_with_one_and_compile_once(tiny_target, tmp_path):
    pop = np.asarray(population(6))
    np.save(tmp_path / "target.npy", tiny_target)
    np.save(tmp_path / "pop.npy", pop)
    script = tmp_path / "two.py"
    script.write_text(TWO_DEVICES)
    proc = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "target.npy"), str(tmp_path / "pop.npy")],
        capture_output=True,
        text=True,
        # without the session's compilation cache: a cache hit would hide a compile from the count
        env={
            **{k: v for k, v in os.environ.items() if k != "JAX_COMPILATION_CACHE_DIR"},
            "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
        },
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    two = np.asarray(json.loads(lines[0]))
    one = fitness.make_population_fitness(
        tiny_target, pop_size=6, channels=C, steps=8, loss_every=4, fire_rate=0.5
    )(pop, jax.random.PRNGKey(7))
    np.testing.assert_allclose(two, one, rtol=1e-5)
    assert lines[1] == "0", "a later generation compiled again (shardings changed?)"
    assert lines[2] == "population size 3 does not divide across 2 devices; use a multiple of 2"


def per_step_mse(flat: np.ndarray, target: np.ndarray, steps: int) -> np.ndarray:
    """The RGBA MSE after each step 0..steps of a rollout at fire rate 1 (deterministic), by
    model.rollout on the whole grid."""
    states = model.rollout(
        flat, jax.random.PRNGKey(0), steps, height=target.shape[0], width=target.shape[1],
        channels=C, fire_rate=1.0,
    )  # fmt: skip
    return np.square(np.asarray(states)[..., :4] - target).mean(axis=(1, 2, 3))


def test_window_mean_is_the_mean_loss_of_the_last_steps(tiny_target):
    """Known answer at fire rate 1: loss steps 4 and 8 of 12 add their MSE; the window of the
    last 5 steps (8..12) replaces the loss at 12 with the mean MSE of steps 8 to 12."""
    flat = np.asarray(population(1, seed=4)[0])
    mse = per_step_mse(flat, tiny_target, 12)
    settings = dict(channels=C, steps=12, loss_every=4, fire_rate=1.0)
    got = fitness.member_loss(flat, jax.random.PRNGKey(1), tiny_target, **settings, window=5)
    assert float(got) == pytest.approx(mse[4] + mse[8:13].mean(), rel=1e-5)
    plain = fitness.member_loss(flat, jax.random.PRNGKey(1), tiny_target, **settings)
    assert float(plain) == pytest.approx(mse[4] + mse[8] + mse[12], rel=1e-5)


def test_random_window_loss_draws_one_step_per_rollout(tiny_target):
    """Known answer at fire rate 1: each rollout scores the MSE of one of the last 6 steps,
    drawn from its key; over 64 keys several steps are drawn, and nothing else."""
    flat = np.asarray(population(1, seed=4)[0])
    mse = per_step_mse(flat, tiny_target, 12)[7:13]
    settings = dict(channels=C, steps=12, loss_every=12, fire_rate=1.0, window=6)
    loss = jax.jit(
        jax.vmap(
            lambda k: fitness.member_loss(flat, k, tiny_target, **settings, window_loss="random")
        )
    )
    got = np.asarray(loss(jax.random.split(jax.random.PRNGKey(2), 64)))
    drawn = np.isclose(got[:, None], mse[None, :], rtol=1e-5)
    assert drawn.any(axis=1).all()
    assert drawn.any(axis=0).sum() >= 4


@pytest.mark.parametrize(("dead", "scale"), [("mse", 1.0), ("worst", fitness.DEAD)])
def test_dead_worst_scores_a_dead_grid_below_any_living_one_in_growing(tiny_target, dead, scale):
    """Known answer: alpha falling by 1 a step kills the seed in its first step; with dead
    "mse" (the notebook's) the loss is the empty grid's, better than a pattern that overshoots
    the target, with "worst" DEAD x that, worse."""
    params = model.unflatten(np.zeros(model.param_count(C), np.float32), C)
    dying = model.flatten(params._replace(b2=params.b2.at[model.ALPHA].set(-1.0)))
    settings = dict(channels=C, steps=6, loss_every=6, fire_rate=1.0, dead=dead)
    loss = fitness.member_loss(dying, jax.random.PRNGKey(0), tiny_target, **settings)
    empty = float(np.square(tiny_target).mean())
    assert float(loss) == pytest.approx(scale * empty, rel=1e-6)
    overshooting = fitness.member_loss(
        exploding_parameters(0.2), jax.random.PRNGKey(0), tiny_target, **settings
    )
    assert empty < float(overshooting) < fitness.DEAD * empty
    assert (float(overshooting) < float(loss)) == (dead == "worst")


def test_hidden_width_sets_the_parameter_layout(tiny_target):
    """A width-32 model scores like the width-128 one whose extra hidden units are all zero."""
    narrow = model.unflatten(
        np.asarray(population(1, seed=6)[0])[: model.param_count(C, 32)], C, 32
    )
    wide = model.Params(
        w1=np.pad(narrow.w1, ((0, 0), (0, 96))), b1=np.pad(narrow.b1, (0, 96)),
        w2=np.pad(narrow.w2, ((0, 96), (0, 0))), b2=narrow.b2,
    )  # fmt: skip
    settings = dict(channels=C, steps=8, loss_every=4, fire_rate=0.5)
    key = jax.random.PRNGKey(3)
    got = fitness.member_loss(model.flatten(narrow), key, tiny_target, **settings, hidden=32)
    expected = fitness.member_loss(model.flatten(wide), key, tiny_target, **settings)
    assert float(got) == pytest.approx(float(expected), rel=1e-5)
    with pytest.raises(StepError, match="hidden width 32 need"):
        model.checked_params(model.flatten(wide), C, 0.0, 32)


def test_a_rollout_can_start_from_a_grown_state(tiny_target):
    """Known answer: zero parameters keep any state still, so every loss step scores the start
    itself; the population fitness grows every member from the same start."""
    start = np.asarray(jax.random.uniform(jax.random.PRNGKey(8), (*tiny_target.shape[:2], C)))
    settings = dict(channels=C, steps=6, loss_every=3, fire_rate=0.5)
    zero = np.zeros(model.param_count(C), np.float32)
    loss = fitness.member_loss(zero, jax.random.PRNGKey(0), tiny_target, **settings, start=start)
    expected = 2 * np.square(start[..., :4] - tiny_target).mean()
    assert float(loss) == pytest.approx(expected, rel=1e-6)
    pop = population(2)
    f = fitness.make_population_fitness(tiny_target, pop_size=2, **settings)
    key = jax.random.PRNGKey(4)
    got = np.asarray(f(pop, key, start))
    keys = jax.random.split(key, 2)
    each = [
        -fitness.member_loss(p, k, tiny_target, **settings, start=start)
        for p, k in zip(pop, keys, strict=True)
    ]
    np.testing.assert_allclose(got, each, rtol=1e-5)
    assert not np.allclose(got, np.asarray(f(pop, key)))  # not the seed's
