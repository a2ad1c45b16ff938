"""The train step as Snakemake runs it: a subprocess writing real files."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import run_module
from tests.steps.training import (
    GENERATIONS,
    TRAIN,
    kill_at_first_checkpoint,
    metrics,
    resume_matches,
    train_args,
    without_seconds,
)


def test_same_seed_same_results(target_file):
    tmp = target_file
    for name in ("a", "b"):
        proc = run_module(TRAIN, *train_args(tmp, name, 12))
        assert proc.returncode == 0, proc.stderr
    np.testing.assert_array_equal(np.load(tmp / "a.npy"), np.load(tmp / "b.npy"))
    assert without_seconds(metrics(tmp / "a.csv")) == without_seconds(metrics(tmp / "b.csv"))
    rows = metrics(tmp / "a.csv")
    assert [int(r["generation"]) for r in rows] == list(range(12))
    assert float(rows[-1]["center_loss"]) < float(rows[0]["center_loss"])  # it learns
    assert not (tmp / "a.ckpt.npz").exists()  # removed once the run is done
    assert np.load(tmp / "a.npy").shape == (8336,)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_checkpoints_at_once_and_resumes_bit_identical(target_file, uninterrupted, sig):
    """A SLURM time limit or preemption (SIGTERM) or Ctrl-C (SIGINT) mid-run: the generation in
    progress ends, is checkpointed although no checkpoint is due, and the job exits 128 + N."""
    tmp = target_file
    args = train_args(tmp, "sig", GENERATIONS, "--checkpoint-every", "1000", "--log-every", "1")
    proc = subprocess.Popen([sys.executable, "-m", TRAIN, *args], stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        if line.startswith("gen 5/"):
            proc.send_signal(sig)
            break
    rest = proc.stderr.read()
    assert proc.wait() == 128 + sig
    stopped = re.search(rf"stopped by {sig.name} after generation (\d+); checkpoint", rest)
    assert stopped, rest
    done = int(stopped[1])
    assert 5 <= done < GENERATIONS
    with np.load(tmp / "sig.ckpt.npz") as saved:
        assert len(saved["metrics"]) == done
    partial = metrics(tmp / "sig.partial.csv")  # the metrics so far, beside the final table
    assert without_seconds(partial) == uninterrupted("pgpe")[1][:done]
    assert not (tmp / "sig.npy").exists() and not (tmp / "sig.csv").exists()
    resume_matches(tmp, "sig", uninterrupted("pgpe"))


def test_checkpoint_of_other_settings_is_refused(target_file):
    tmp = target_file
    from nca_steps import checkpoint

    checkpoint.save(tmp / "x.ckpt.npz", {"lr": 5.0}, {"center": np.zeros(3)})
    proc = run_module(TRAIN, *train_args(tmp, "x", 4))
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("error: checkpoint ") and "delete it to start this run over" in last
    assert not (tmp / "x.npy").exists() and not (tmp / "x.csv").exists()


def test_odd_population_is_one_line_error(target_file):
    proc = run_module(TRAIN, *train_args(target_file, "odd", 2), "--pop-size", "7")
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        "error: argument --pop-size: '7' is invalid; use an even integer in [2, 4096]"
    )


def test_center_gone_non_finite_after_a_checkpoint_keeps_that_checkpoint(target_file):
    """A resumed search whose spread overflows float32 fails at once; the checkpoint survives."""
    tmp = target_file
    kill_at_first_checkpoint(tmp, "late", GENERATIONS)
    with np.load(tmp / "late.ckpt.npz") as data:
        arrays = {k: data[k] for k in data.files}
    arrays["stdev"] = np.full_like(arrays["stdev"], 1e38)
    np.savez(tmp / "late.ckpt.npz", **arrays)
    saved = (tmp / "late.ckpt.npz").read_bytes()

    proc = run_module(TRAIN, *train_args(tmp, "late", GENERATIONS, "--checkpoint-every", "5"))
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    generation = len(arrays["metrics"]) + 1
    assert last.startswith(f"error: the solver's center became NaN/Inf at generation {generation}")
    assert (tmp / "late.ckpt.npz").read_bytes() == saved
    assert not (tmp / "late.npy").exists() and not (tmp / "late.csv").exists()


def test_a_step_size_past_its_range_is_refused_before_training(target_file):
    """lr 1e40 once sent the center to Inf in its first generation; lr stops at 10 (every
    algorithm keeps a finite center there: tests/test_trainers.py), so it is refused at once.
    A center that overflows all the same is the next test's."""
    proc = run_module(TRAIN, *train_args(target_file, "nan", 5), "--lr", "1e40")
    assert proc.returncode == 1
    assert proc.stderr.strip() == "error: argument --lr: '1e40' is invalid; use a number in (0, 10]"
    assert not (target_file / "nan.npy").exists()


def test_max_seconds_ends_a_run_early_with_its_outputs(target_file):
    """The run stops after the first generation that ends at or past max_seconds (the first
    generation, which compiles, may already be past it on a slow machine)."""
    tmp = target_file
    proc = run_module(TRAIN, *train_args(tmp, "timed", 100_000, "--max-seconds", "3"))
    assert proc.returncode == 0, proc.stderr
    rows = metrics(tmp / "timed.csv")
    assert len(rows) < 100_000
    assert float(rows[-1]["seconds"]) >= 3 and all(float(r["seconds"]) < 3 for r in rows[:-1])
    assert f"stopped after generation {len(rows)}: max_seconds 3 reached" in proc.stderr
    assert (tmp / "timed.npy").exists() and not (tmp / "timed.ckpt.npz").exists()


def state_out(tmp, name: str) -> tuple[str, str]:
    return "--state-out", str(tmp / f"{name}.state.npz")


@pytest.mark.parametrize(
    "experiment", [("regenerating",), ("persistent", "--pool", "4")], ids=lambda e: e[0]
)
def test_continuing_a_growing_run_is_one_run_with_its_warmup(target_file, experiment):
    """start_from carries the whole search on: growing for 6 generations, then continued to 9
    under another objective, ends bit for bit where one run warming up for 6 does (a pool
    starts fresh, as the warm-up leaves it)."""
    tmp = target_file
    mode = ("--experiment", *experiment)
    assert run_module(TRAIN, *train_args(tmp, "grown", 6, *state_out(tmp, "grown"))).returncode == 0
    start = str(tmp / "grown.state.npz")
    going_on = run_module(TRAIN, *train_args(tmp, "on", 9, *mode, "--start-state", start))
    assert going_on.returncode == 0, going_on.stderr
    assert f"continuing the search of {start} at generation 6" in going_on.stderr
    whole = run_module(TRAIN, *train_args(tmp, "whole", 9, *mode, "--warmup", "6"))
    assert whole.returncode == 0, whole.stderr
    np.testing.assert_array_equal(np.load(tmp / "on.npy"), np.load(tmp / "whole.npy"))
    assert without_seconds(metrics(tmp / "on.csv")) == without_seconds(metrics(tmp / "whole.csv"))
    grown = metrics(tmp / "grown.csv")
    assert metrics(tmp / "on.csv")[:6] == grown  # the start's rows, its seconds too
    with np.load(tmp / "grown.state.npz") as saved:
        assert len(saved["metrics"]) == 6
        np.testing.assert_array_equal(saved["center"], np.load(tmp / "grown.npy"))


def test_a_start_state_that_does_not_fit_is_one_line_error(target_file):
    tmp = target_file
    start = str(tmp / "adam.state.npz")
    assert (
        run_module(
            TRAIN, *train_args(tmp, "adam", 3, "--algorithm", "adam", *state_out(tmp, "adam"))
        ).returncode
        == 0
    )
    for extra, message in (
        (
            ("--generations", "5"),
            f"start state {start} was trained with algorithm adam, this run with algorithm "
            "pgpe; a run continues only a search of its own algorithm, pop_size, channels, "
            "hidden",
        ),
        (
            ("--algorithm", "adam", "--generations", "3"),
            f"start state {start} has trained 3 generations, this run trains 3 in all; give it "
            "more than 3",
        ),
    ):
        proc = run_module(TRAIN, *train_args(tmp, "s", 2, "--start-state", start, *extra))
        assert proc.returncode == 1
        assert proc.stderr.strip() == f"error: {message}"
        assert not (tmp / "s.npy").exists() and not (tmp / "s.ckpt.npz").exists()
    broken = tmp / "broken.state.npz"
    broken.write_bytes(b"not an npz")
    proc = run_module(TRAIN, *train_args(tmp, "s", 2, "--start-state", str(broken)))
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        f"error: start state {broken} is unreadable (ValueError); train its run again"
    )


def test_a_checkpoint_resumes_only_with_its_own_start(target_file):
    tmp = target_file
    for name, generations in (("one", 3), ("two", 4)):
        made = run_module(TRAIN, *train_args(tmp, name, generations, *state_out(tmp, name)))
        assert made.returncode == 0, made.stderr
    one = ("--start-state", str(tmp / "one.state.npz"))
    assert run_module(TRAIN, *train_args(tmp, "straight", GENERATIONS, *one)).returncode == 0
    kill_at_first_checkpoint(tmp, "cut", GENERATIONS, *one)
    other = run_module(
        TRAIN, *train_args(tmp, "cut", GENERATIONS, "--start-state", str(tmp / "two.state.npz"))
    )
    assert other.returncode == 1
    assert other.stderr.strip().splitlines()[-1] == (
        f"error: checkpoint {tmp / 'cut.ckpt.npz'} was made with other settings (start_sha256 "
        "differ); delete it to start this run over"
    )
    straight = (np.load(tmp / "straight.npy"), without_seconds(metrics(tmp / "straight.csv")))
    resume_matches(tmp, "cut", straight, *one)
