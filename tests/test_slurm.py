"""The workflow through a real SLURM (a single node on this machine, started by .ci/slurm-up)
with the shipped profile: same results as a local run, time limits and scancel survived."""

from __future__ import annotations

import csv
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from tests.conftest import ROOT, tracked_copy, venv_env

PROFILE = ROOT / "workflow" / "profiles" / "slurm"
# This cluster has no accounts and no accounting database (so squeue, not sacct, reports job
# states), and its jobs start at once: ask about them sooner than a real cluster would want.
LOCAL_CLUSTER = [
    "--slurm-no-account", "--slurm-status-command", "squeue",
    "--slurm-init-seconds-before-status-checks", "2", "--seconds-between-status-checks", "2",
]  # fmt: skip
TINY_CONFIG = ROOT / "workflow" / "configs" / "tiny.yaml"
TINY = yaml.safe_load(TINY_CONFIG.read_text())


def slurm_ready() -> bool:
    if shutil.which("sinfo") is None:
        return False
    state = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True)
    return state.returncode == 0 and any(
        s.startswith(("idle", "mix", "alloc")) for s in state.stdout.split()
    )


@pytest.fixture(scope="session")
def slurm() -> None:
    """A running local SLURM: started (installed if need be) by .ci/slurm-up, which needs root."""
    if not slurm_ready():
        if os.geteuid() != 0:
            pytest.skip("no SLURM here, and starting one needs root: sudo bash .ci/slurm-up")
        subprocess.run(["bash", str(ROOT / ".ci" / "slurm-up")], check=True)
    assert slurm_ready()


def workdir_with(path: Path, config: dict) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "tiny.yaml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    return path


def snakemake(workdir: Path, *args: str, popen: bool = False):
    cmd = [
        sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--directory",
        str(workdir), "--configfile", str(workdir / "tiny.yaml"), "--replace-workflow-config",
        *args,
    ]  # fmt: skip
    if popen:  # its output goes to a file: a pipe nobody reads could fill and stall it
        out = open(workdir / "snakemake.out", "w")  # noqa: SIM115 (the child keeps it open)
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, text=True)
    return subprocess.run(cmd, capture_output=True, text=True)


def through_slurm(workdir: Path, *args: str, popen: bool = False):
    return snakemake(workdir, "--profile", str(PROFILE), *LOCAL_CLUSTER, *args, popen=popen)


def jobs_as_slurm_sees_them(log: str, field: str) -> list[tuple[str, str]]:
    """(rule, ``field`` of ``squeue -O``) of every job Snakemake submitted, in order."""
    ids = re.findall(r"submitted with SLURM jobid (\d+)", log)
    out = subprocess.run(
        ["squeue", "-t", "all", "-h", "-O", f"JobID:|,Comment:|,{field}:|", "-j", ",".join(ids)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    jobs = {
        i: (comment, value) for i, comment, value, _ in (x.split("|") for x in out.splitlines())
    }
    return [(re.match(r"rule_(\w+?)_wildcards", jobs[i][0])[1], jobs[i][1]) for i in ids]


def submitted(log: str) -> list[tuple[str, str]]:
    """(rule, final state) of every job Snakemake submitted, in order."""
    return jobs_as_slurm_sees_them(log, "State")


def run_results(workdir: Path, target: str, combination: str = "base") -> dict:
    run = workdir / "results" / "runs" / target / combination / "seed1"
    with open(run / "metrics.csv", newline="") as f:
        metrics = [{k: v for k, v in r.items() if k != "seconds"} for r in csv.DictReader(f)]
    return {
        "params": np.load(run / "params.npy").tobytes(),
        "metrics": metrics,
        "evaluation": json.loads((run / "evaluation.json").read_text()),
    }


def readme_cluster_commands() -> list[str]:
    """The snakemake commands of the README's "Try it on one machine" block, as typed."""
    section = (ROOT / "README.md").read_text().split("### Try it on one machine", 1)[1]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0].replace("\\\n", " ")
    return [line for line in block.splitlines() if line.startswith("snakemake ")]


def in_clone(clone: Path, command: str, popen: bool = False):
    """``command`` run in ``clone`` with this environment's snakemake and python first on PATH
    (started in the background, its output in ``snakemake.out``, with ``popen``)."""
    if popen:
        out = open(clone / "snakemake.out", "w")  # noqa: SIM115 (the child keeps it open)
        return subprocess.Popen(
            shlex.split(command), cwd=clone, stdout=out, stderr=subprocess.STDOUT, env=venv_env()
        )
    return subprocess.run(
        shlex.split(command), cwd=clone, capture_output=True, text=True, env=venv_env()
    )


def test_readme_cluster_command_matches_a_local_run(slurm, tmp_path):
    commands = readme_cluster_commands()
    assert len(commands) == 1 and "--profile workflow/profiles/slurm" in commands[0], commands
    # the local run meanwhile: the cluster run spends most of its time waiting on squeue
    local = tracked_copy(tmp_path / "local")
    config = TINY_CONFIG.relative_to(ROOT)
    local_run = in_clone(
        local, f"snakemake --cores 1 --configfile {config} --replace-workflow-config", popen=True
    )
    cluster = tracked_copy(tmp_path / "slurm")
    proc = in_clone(cluster, commands[0])
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    assert local_run.wait() == 0, (local / "snakemake.out").read_text()
    # every job of a rule that is not local went through sbatch, and only those
    targets = ["lizard", "mushroom"]
    assert sorted(submitted(log)) == sorted(
        [("train", "COMPLETED"), ("evaluate", "COMPLETED")] * len(targets)
    )
    for target in targets:
        assert run_results(cluster, target) == run_results(local, target)
        for name in ("growth.gif", "training_curve.png"):
            assert (
                cluster / "results" / "runs" / target / "base" / "seed1" / name
            ).stat().st_size > 0
    assert (cluster / "results" / "overview.png").exists()


def test_training_jobs_ask_slurm_for_a_gpu(slurm, tmp_path):
    # .ci/slurm-up's node has one GPU that SLURM counts: a job asking for it is scheduled
    config = {**TINY, "training": {**TINY["training"], "gpus": 1}}
    proc = through_slurm(workdir_with(tmp_path, config))
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    requests = sorted(jobs_as_slurm_sees_them(log, "tres-per-job"))
    assert requests == [("evaluate", "N/A")] * 2 + [("train", "gres:gpu:1")] * 2, requests


def long_training(generations: int, checkpoint_every: int = 1000) -> dict:
    """One 20-px target, about 0.09 s a generation on one core of the development machine."""
    return {
        **TINY,
        "targets": {"lizard": "🦎"},
        "target_size": 20,
        "target_padding": 4,
        "hyperparameters": {"generations": generations},
        "training": {"checkpoint_every": checkpoint_every, "log_every": 100, "retries": 3},
    }


def reference_run(workdir: Path) -> subprocess.Popen:
    """The same training, uninterrupted and without SLURM (on the other core meanwhile)."""
    return snakemake(workdir, "--cores", "1", popen=True)


def test_time_limit_stops_training_and_the_retry_resumes_bit_identical(slurm, tmp_path):
    config = long_training(1000)  # about 90 s: the first attempt outlasts its 1-minute limit
    reference = reference_run(workdir_with(tmp_path / "local", config))
    cluster = workdir_with(tmp_path / "slurm", config)
    proc = through_slurm(cluster, "--set-resources", "train:runtime=1")  # 1 minute per attempt
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    attempts = [state for rule, state in submitted(log) if rule == "train"]
    assert attempts[0] == "TIMEOUT" and attempts[-1] == "COMPLETED", attempts
    # (the log holds the last attempt only) it resumed from the checkpoint written on SIGTERM,
    # at a generation where no periodic checkpoint (every 1000) was due
    train_log = (cluster / "logs" / "train" / "lizard" / "base" / "seed1.log").read_text()
    resumed = re.search(
        r"resuming from results/checkpoints/lizard/base/seed1.npz at generation (\d+)", train_log
    )
    assert resumed and int(resumed[1]) % 1000, train_log
    assert reference.wait() == 0, snakemake_out(tmp_path / "local")
    assert run_results(cluster, "lizard") == run_results(tmp_path / "local", "lizard")


def test_scancel_then_rerun_ends_bit_identical(slurm, tmp_path):
    # short enough for the rerun to end before the executor's third status check (36 s after
    # submitting: the plugin waits 10 s longer each time it finds no job finished)
    config = long_training(250, checkpoint_every=50)
    reference = reference_run(workdir_with(tmp_path / "local", config))
    cluster = workdir_with(tmp_path / "slurm", config)
    partial = cluster / "results" / "runs" / "lizard" / "base" / "seed1" / "metrics.partial.csv"
    proc = through_slurm(cluster, popen=True)
    deadline = time.monotonic() + 300
    job = None
    while job is None:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(1)
        running = subprocess.run(
            ["squeue", "-h", "-t", "running", "-o", "%i %k"], capture_output=True, text=True
        ).stdout
        found = [line.split()[0] for line in running.splitlines() if "rule_train" in line]
        job = found[0] if found and partial.exists() else None
    subprocess.run(["scancel", job], check=True)
    if proc.wait() != 0:  # the rule's retries may already have run it again; if not, rerun
        rerun = through_slurm(cluster)
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    states = [state for rule, state in submitted(snakemake_out(cluster)) if rule == "train"]
    assert states[0] == "CANCELLED" and states[-1] == "COMPLETED", states
    train_log = (cluster / "logs" / "train" / "lizard" / "base" / "seed1.log").read_text()
    assert "resuming from results/checkpoints/lizard/base/seed1.npz" in train_log
    assert reference.wait() == 0, snakemake_out(tmp_path / "local")
    assert run_results(cluster, "lizard") == run_results(tmp_path / "local", "lizard")


def snakemake_out(workdir: Path) -> str:
    return (workdir / "snakemake.out").read_text()
