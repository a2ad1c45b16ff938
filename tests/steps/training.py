"""What the tests of the train step share: its command line on the tiny target, its metrics,
and a run killed at its first checkpoint and resumed."""

from __future__ import annotations

import csv
import signal
import subprocess
import sys
import time

import numpy as np

from tests.conftest import PATIENCE, run_module

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


def kill_at_first_checkpoint(tmp, name: str, generations: int, *extra: str) -> None:
    """Start a run saving every 5 generations and SIGKILL it once its first checkpoint exists."""
    args = train_args(tmp, name, generations, "--checkpoint-every", "5", *extra)
    cmd = [sys.executable, "-m", TRAIN, *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + PATIENCE
    while not (tmp / f"{name}.ckpt.npz").exists() and proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.001)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (tmp / f"{name}.npy").exists(), "the run finished before it could be killed"
    assert (tmp / f"{name}.ckpt.npz").exists()


GENERATIONS = 100  # the first checkpoint at 5 leaves 95 to go: far longer than a poll


Run = tuple[np.ndarray, list[dict[str, str]]]


def resume_matches(tmp, name: str, uninterrupted: Run, *extra: str) -> str:
    """Resume the run, check it ends as ``uninterrupted`` did, and return its log."""
    resumed = run_module(TRAIN, *train_args(tmp, name, GENERATIONS, *extra))
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming from" in resumed.stderr
    np.testing.assert_array_equal(np.load(tmp / f"{name}.npy"), uninterrupted[0])
    assert without_seconds(metrics(tmp / f"{name}.csv")) == uninterrupted[1]
    assert not (tmp / f"{name}.partial.csv").exists()
    return resumed.stderr
