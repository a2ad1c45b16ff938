"""A training run killed outright (SIGKILL) at its first checkpoint resumes bit-identically, for
every algorithm and across a training mode's warm-up."""

from __future__ import annotations

import json

import jax
import numpy as np
import pytest

from nca_steps.hyperparameters import ALGORITHMS
from tests.steps.training import GENERATIONS, kill_at_first_checkpoint, resume_matches


@pytest.mark.parametrize("algorithm", list(ALGORITHMS))
def test_killed_run_resumes_bit_identical(target_file, uninterrupted, algorithm):
    kill_at_first_checkpoint(target_file, "cut", GENERATIONS, "--algorithm", algorithm)
    log = resume_matches(
        target_file, "cut", uninterrupted(algorithm), "--checkpoint-every", "5",
        "--algorithm", algorithm,
    )  # fmt: skip
    assert "warning" not in log  # same machine, same JAX: nothing to warn of


def test_a_checkpoint_from_elsewhere_resumes_with_a_warning(target_file, uninterrupted):
    """Written (as far as it says) by another JAX on a GPU: the run resumes, and says that its
    bits may differ from a run never stopped (here, on this machine, they do not)."""
    kill_at_first_checkpoint(target_file, "cut", GENERATIONS, "--algorithm", "pgpe")
    path = target_file / "cut.ckpt.npz"
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    written = json.loads(str(arrays["environment"]))
    assert written["backend"] == "cpu" and written["jax"] == jax.__version__
    elsewhere = {**written, "jax": "0.0.1", "backend": "gpu", "device": "NVIDIA H200"}
    arrays["environment"] = np.asarray(json.dumps(elsewhere))
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    log = resume_matches(
        target_file, "cut", uninterrupted("pgpe"), "--checkpoint-every", "5", "--algorithm", "pgpe"
    )
    assert (
        f"warning: the checkpoint was written elsewhere (backend gpu -> cpu, device NVIDIA H200 "
        f"-> {written['device']}, jax 0.0.1 -> {jax.__version__}): the run goes on"
    ) in log


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
