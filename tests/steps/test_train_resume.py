"""A training run killed outright (SIGKILL) at its first checkpoint resumes bit-identically, for
every algorithm and across a training mode's warm-up."""

from __future__ import annotations

import pytest

from nca_steps.hyperparameters import ALGORITHMS
from tests.steps.training import GENERATIONS, kill_at_first_checkpoint, resume_matches


@pytest.mark.parametrize("algorithm", list(ALGORITHMS))
def test_killed_run_resumes_bit_identical(target_file, uninterrupted, algorithm):
    kill_at_first_checkpoint(target_file, "cut", GENERATIONS, "--algorithm", algorithm)
    resume_matches(
        target_file, "cut", uninterrupted(algorithm), "--checkpoint-every", "5",
        "--algorithm", algorithm,
    )  # fmt: skip


@pytest.mark.parametrize("experiment", ["persistent", "regenerating"])
def test_killed_run_of_a_mode_resumes_bit_identical_across_its_warmup(
    target_file, uninterrupted, experiment
):
    """Killed in the warm-up, it resumes and passes into its own mode as if never stopped."""
    mode = ("--experiment", experiment, "--warmup", "50")
    kill_at_first_checkpoint(target_file, "cut", GENERATIONS, "--algorithm", "pgpe", *mode)
    expected = uninterrupted("pgpe", *mode)
    resume_matches(
        target_file, "cut", expected, "--checkpoint-every", "5", "--algorithm", "pgpe", *mode
    )
    losses = [float(r["center_loss"]) for r in expected[1]]
    assert losses[50] > losses[49]  # the later losses count from generation 50


def test_killed_run_with_a_pool_resumes_bit_identical(target_file, uninterrupted):
    """The pool of grown states is part of the checkpoint."""
    pool = ("--hidden", "32", "--init", "lecun", "--pool", "4")
    kill_at_first_checkpoint(target_file, "cut", GENERATIONS, "--algorithm", "snes", *pool)
    expected = uninterrupted("snes", *pool)
    resume_matches(
        target_file, "cut", expected, "--checkpoint-every", "5", "--algorithm", "snes", *pool
    )
