"""The train step as Snakemake runs it: a subprocess writing real files."""

from __future__ import annotations

import csv
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np
import pytest

from nca_steps.hyperparameters import ALGORITHMS
from tests.conftest import make_tiny_target, run_module

TRAIN = "nca_steps.steps.train"
SETTINGS = ["--pop-size", "8", "--lr", "0.1", "--steps", "8", "--loss-every", "4", "--seed", "3"]


def train_args(tmp_path, name: str, generations: int, *extra: str) -> list[str]:
    return [
        "--target",
        str(tmp_path / "target.npy"),
        "--params-out",
        str(tmp_path / f"{name}.npy"),
        "--metrics-out",
        str(tmp_path / f"{name}.csv"),
        "--checkpoint",
        str(tmp_path / f"{name}.ckpt.npz"),
        "--generations",
        str(generations),
        *SETTINGS,
        *extra,
    ]


def metrics(path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def without_seconds(rows):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]


@pytest.fixture
def target_file(tmp_path, tiny_target):
    np.save(tmp_path / "target.npy", tiny_target)
    return tmp_path


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


def kill_at_first_checkpoint(tmp, name: str, generations: int, *extra: str) -> None:
    """Start a run saving every 5 generations and SIGKILL it once its first checkpoint exists."""
    args = train_args(tmp, name, generations, "--checkpoint-every", "5", *extra)
    cmd = [sys.executable, "-m", TRAIN, *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not (tmp / f"{name}.ckpt.npz").exists() and proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (tmp / f"{name}.npy").exists(), "the run finished before it could be killed"
    assert (tmp / f"{name}.ckpt.npz").exists()


GENERATIONS = 300


Run = tuple[np.ndarray, list[dict[str, str]]]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> Callable[..., Run]:
    """Parameters and metrics of a run of GENERATIONS that nothing stopped, per algorithm (and
    other flags)."""
    runs: dict[tuple[str, ...], Run] = {}

    def run(algorithm: str, *extra: str) -> Run:
        key = (algorithm, *extra)
        if key not in runs:
            tmp = tmp_path_factory.mktemp(algorithm)
            np.save(tmp / "target.npy", make_tiny_target())
            args = train_args(tmp, "full", GENERATIONS, "--algorithm", algorithm, *extra)
            full = run_module(TRAIN, *args)
            assert full.returncode == 0, full.stderr
            runs[key] = np.load(tmp / "full.npy"), without_seconds(metrics(tmp / "full.csv"))
        return runs[key]

    return run


def resume_matches(tmp, name: str, uninterrupted: Run, *extra: str) -> None:
    resumed = run_module(TRAIN, *train_args(tmp, name, GENERATIONS, *extra))
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming from" in resumed.stderr
    np.testing.assert_array_equal(np.load(tmp / f"{name}.npy"), uninterrupted[0])
    assert without_seconds(metrics(tmp / f"{name}.csv")) == uninterrupted[1]
    assert not (tmp / f"{name}.partial.csv").exists()


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
        "error: argument --pop-size: '7' is invalid; use an even integer >= 2"
    )


def test_center_gone_non_finite_after_a_checkpoint_keeps_that_checkpoint(target_file):
    """A resumed search whose spread overflows float32 fails at once; the checkpoint survives."""
    tmp = target_file
    kill_at_first_checkpoint(tmp, "late", 300)
    with np.load(tmp / "late.ckpt.npz") as data:
        arrays = {k: data[k] for k in data.files}
    arrays["stdev"] = np.full_like(arrays["stdev"], 1e38)
    np.savez(tmp / "late.ckpt.npz", **arrays)
    saved = (tmp / "late.ckpt.npz").read_bytes()

    proc = run_module(TRAIN, *train_args(tmp, "late", 300, "--checkpoint-every", "5"))
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    generation = len(arrays["metrics"]) + 1
    assert last.startswith(f"error: the solver's center became NaN/Inf at generation {generation}")
    assert (tmp / "late.ckpt.npz").read_bytes() == saved
    assert not (tmp / "late.npy").exists() and not (tmp / "late.csv").exists()


def test_non_finite_center_stops_with_clear_error(target_file):
    proc = run_module(TRAIN, *train_args(target_file, "nan", 5), "--lr", "1e40")
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("error: the solver's center became NaN/Inf at generation 1; lower lr")
    assert not (target_file / "nan.npy").exists()


def test_max_seconds_ends_a_run_early_with_its_outputs(target_file):
    tmp = target_file
    proc = run_module(TRAIN, *train_args(tmp, "timed", 100_000, "--max-seconds", "12"))
    assert proc.returncode == 0, proc.stderr
    rows = metrics(tmp / "timed.csv")
    assert 1 < len(rows) < 100_000
    assert float(rows[-1]["seconds"]) >= 12 > float(rows[-2]["seconds"])
    assert f"stopped after generation {len(rows)}: max_seconds 12 reached" in proc.stderr
    assert (tmp / "timed.npy").exists() and not (tmp / "timed.ckpt.npz").exists()
