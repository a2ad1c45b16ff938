"""A Snakemake run of the real Snakefile stopped mid-training (power loss, Ctrl-C, SIGTERM)
resumes from the training's checkpoint when run again."""

from __future__ import annotations

import csv
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import yaml

from tests.conftest import PATIENCE, ROOT
from tests.workflow import TINY


@pytest.mark.parametrize(
    "sig",
    [
        signal.SIGKILL,  # a power loss: the README's two commands finish it
        signal.SIGINT,  # Ctrl-C in the terminal: rerunning finishes it
        signal.SIGTERM,  # the whole process group terminated: rerunning finishes it
    ],
)
def test_stopped_snakemake_resumes_training(tmp_path, sig):
    generations = 1000
    config = {
        **TINY,
        "targets": {"lizard": "🦎"},
        "hyperparameters": {**TINY["hyperparameters"], "generations": generations},
        # no retries: Snakemake sometimes sees the job's exit on the signal before the signal
        # itself, and would then run it again (from its checkpoint) instead of stopping
        "training": {"checkpoint_every": 5, "log_every": 7, "retries": 0},
    }
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    cmd = [
        sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--directory",
        str(tmp_path), "--configfile", str(tmp_path / "tiny.yaml"), "--replace-workflow-config",
        "--cores", "1", "results/runs/lizard/base/seed1/metrics.csv",  # the training's
    ]  # fmt: skip
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    checkpoint = tmp_path / "results" / "checkpoints" / "lizard" / "base" / "seed1.npz"
    log = tmp_path / "logs" / "train" / "lizard" / "base" / "seed1.log"
    # stopped past its first checkpoint (generation 5), at generation 7 or a little later: the
    # loop sees the progress line, not the clock, and the run has ~990 generations to go
    deadline = time.monotonic() + PATIENCE
    while not (log.exists() and f"gen 7/{generations}" in log.read_text()):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    os.killpg(proc.pid, sig)
    proc.wait()
    run = tmp_path / "results" / "runs" / "lizard" / "base" / "seed1"
    assert not (run / "params.npy").exists() and not (run / "metrics.csv").exists()
    assert checkpoint.exists()
    if sig != signal.SIGKILL:  # the job got the signal too: it checkpointed its last generation
        stopped = re.search(
            rf"stopped by {sig.name} after generation (\d+); checkpoint", log.read_text()
        )
        assert stopped and int(stopped[1]) >= 7, log.read_text()
    if sig == signal.SIGKILL:
        unlock = subprocess.run([*cmd, "--unlock"], capture_output=True, text=True)
        assert unlock.returncode == 0, unlock.stderr
    resumed = subprocess.run(cmd, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming from" in log.read_text()
    with open(run / "metrics.csv", newline="") as f:
        assert [int(r["generation"]) for r in csv.DictReader(f)] == list(range(generations))
    assert not checkpoint.exists()
