from nca_steps import job_time


def test_defaults_estimate_matches_the_measured_rate():
    """0.081 s a generation measured at the defaults (32 x 32 steps x 28x28 cells, 1 thread)."""
    per_generation = job_time.seconds_per_generation(32, 32, 28 * 28, threads=1)
    assert 0.07 < per_generation < 0.09
    assert job_time.seconds_per_generation(32, 32, 28 * 28, threads=2) == per_generation / 2


def test_minutes_cover_the_work_with_a_margin_and_grow_with_the_attempt():
    first = job_time.train_minutes(2000, 0.08)
    assert first * 60 >= job_time.STARTUP_SECONDS + 2000 * 0.08 * job_time.MARGIN
    assert job_time.train_minutes(2000, 0.08, attempt=3) == 3 * first


def test_a_time_limited_run_asks_for_its_limit_not_its_generations():
    limited = job_time.train_minutes(1_000_000, 0.08, max_seconds=120)
    assert limited * 60 >= job_time.STARTUP_SECONDS + 120
    assert limited <= 5
    assert job_time.train_minutes(100, 0.08, max_seconds=120) == job_time.train_minutes(100, 0.08)
