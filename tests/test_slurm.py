"""The workflow through a real SLURM (a single node on this machine, started by .ci/slurm-up)
with the shipped profile: same results as a local run, time limits and scancel survived."""

from __future__ import annotations

import csv
import fcntl
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import yaml

from tests.conftest import PATIENCE, ROOT, tracked_copy, venv_env

PROFILE = ROOT / "workflow" / "profiles" / "slurm"
# This cluster has no accounts and no accounting database (so squeue, not sacct, reports job
# states), and its jobs start at once: ask about them sooner than a real cluster would want.
LOCAL_CLUSTER = [
    "--slurm-no-account", "--slurm-status-command", "squeue",
    "--slurm-init-seconds-before-status-checks", "2", "--seconds-between-status-checks", "2",
]  # fmt: skip
TINY_CONFIG = ROOT / "workflow" / "configs" / "tiny.yaml"
TINY = yaml.safe_load(TINY_CONFIG.read_text())
TINY_TARGETS = ("lizard", "mushroom")  # its emojis' names


def slurm_ready() -> bool:
    if shutil.which("sinfo") is None:
        return False
    state = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True)
    return state.returncode == 0 and any(
        s.startswith(("idle", "mix", "alloc")) for s in state.stdout.split()
    )


@pytest.fixture(scope="session")
def slurm_up(tmp_path_factory) -> None:
    """A running local SLURM: started (installed if need be) by .ci/slurm-up, which needs root;
    by one test process, while the others wait (two munged daemons would fight for a lock)."""
    with open(tmp_path_factory.getbasetemp().parent / "slurm-up.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not slurm_ready():
            if os.geteuid() != 0:
                pytest.skip("no SLURM here, and starting one needs root: sudo bash .ci/slurm-up")
            subprocess.run(["bash", str(ROOT / ".ci" / "slurm-up")], check=True)
        assert slurm_ready()


@pytest.fixture
def slurm(slurm_up, tmp_path) -> Iterator[None]:
    """The local SLURM for one test; jobs the test left queued or running (it failed) are
    cancelled, so that no later test finds them."""
    yield
    queue = subprocess.run(["squeue", "-h", "-o", "%i %Z"], capture_output=True, text=True)
    left = [
        j
        for j, workdir in map(str.split, queue.stdout.splitlines())
        if tmp_path.as_posix() in workdir
    ]
    if left:
        subprocess.run(["scancel", *left], check=False)


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


def documented_cluster_commands() -> list[str]:
    """The snakemake commands of the docs' "Try it on one machine" block, as typed."""
    page = (ROOT / "docs" / "cluster-and-gpu.md").read_text(encoding="utf-8")
    section = page.split("### Try it on one machine", 1)[1]
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


def test_the_documented_cluster_command_matches_a_local_run(slurm, tmp_path):
    commands = documented_cluster_commands()
    assert len(commands) == 1 and "--profile workflow/profiles/slurm" in commands[0], commands
    # the local run meanwhile: the cluster run spends most of its time waiting on squeue
    local = tracked_copy(tmp_path / "local")
    config = TINY_CONFIG.relative_to(ROOT)
    evaluations = " ".join(f"results/runs/{t}/base/seed1/evaluation.json" for t in TINY_TARGETS)
    local_run = in_clone(  # what run_results compares: training and evaluation
        local,
        f"snakemake --cores 1 --configfile {config} --replace-workflow-config {evaluations}",
        popen=True,
    )
    cluster = tracked_copy(tmp_path / "slurm")
    proc = in_clone(cluster, commands[0])
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    assert local_run.wait() == 0, (local / "snakemake.out").read_text()
    # every job of a rule that is not local went through sbatch, and only those
    assert sorted(submitted(log)) == sorted(
        [("train", "COMPLETED"), ("evaluate", "COMPLETED")] * len(TINY_TARGETS)
    )
    for target in TINY_TARGETS:
        assert run_results(cluster, target) == run_results(local, target)
        for name in ("growth.gif", "training_curve.png"):
            assert (
                cluster / "results" / "runs" / target / "base" / "seed1" / name
            ).stat().st_size > 0
    assert (cluster / "results" / "overview.png").exists()


# One target's training and evaluation: what the tests below run and compare (run_results).
EVALUATION = "results/runs/lizard/base/seed1/evaluation.json"


def test_training_jobs_ask_slurm_for_a_gpu(slurm, tmp_path):
    # .ci/slurm-up's node has one GPU that SLURM counts: a job asking for it is scheduled
    config = {**TINY, "training": {**TINY["training"], "gpus": 1}}
    # one target's jobs that SLURM runs (training, then evaluation, which asks for no GPU)
    proc = through_slurm(workdir_with(tmp_path, config), EVALUATION)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    requests = jobs_as_slurm_sees_them(log, "tres-per-job")
    assert requests == [("train", "gres:gpu:1"), ("evaluate", "N/A")], requests


def long_training(checkpoint_every: int) -> dict:
    """The tiny config's lizard for 2,000 generations (seconds on a CPU): the tests below freeze
    its job once it is at work, so how fast this machine trains decides nothing."""
    return {
        **TINY,
        "targets": {"lizard": "🦎"},
        "hyperparameters": {**TINY["hyperparameters"], "generations": 2000},
        "training": {"checkpoint_every": checkpoint_every, "log_every": 10, "retries": 3},
    }


def reference_run(workdir: Path) -> subprocess.Popen:
    """The same training, uninterrupted and without SLURM (on the other core meanwhile)."""
    return snakemake(workdir, "--cores", "1", EVALUATION, popen=True)


def training_process(workdir: Path) -> int | None:
    """The pid of the train step's Python running in ``workdir`` (not the shell around it)."""
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            if b"nca_steps.steps.train" in argv and Path(os.readlink(entry / "cwd")) == workdir:
                return int(entry.name)
        except (OSError, ValueError):  # not a process, or one that ended meanwhile
            continue
    return None


def freeze_job_once(proc: subprocess.Popen, workdir: Path, ready: Callable[[], bool]) -> int:
    """SIGSTOP the submitted training job's process as soon as ``ready()``: then it is still in
    its generation whenever SLURM comes to end it, however fast this machine trains (as in a
    generation that takes as long as it takes). Returns its pid."""
    deadline = time.monotonic() + PATIENCE
    pid = None
    while pid is None:
        assert proc.poll() is None and time.monotonic() < deadline, snakemake_out(workdir)
        pid = training_process(workdir)
        time.sleep(0.01)
    while not ready():  # found, now watched closely
        assert proc.poll() is None and time.monotonic() < deadline, snakemake_out(workdir)
        time.sleep(0.001)
    os.kill(pid, signal.SIGSTOP)
    return pid


def thaw_on_sigterm(pid: int) -> None:
    """Once scancel's SIGTERM is pending on the frozen process, SIGCONT it (unless SLURM did):
    it ends its generation, checkpoints and exits within SLURM's KillWait."""
    deadline = time.monotonic() + PATIENCE
    sigterm = 1 << (signal.SIGTERM - 1)
    while time.monotonic() < deadline:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:  # SLURM sent SIGCONT itself; the job handled its SIGTERM
            return
        pending = [int(line.split()[1], 16) for line in status.splitlines() if "Pnd:" in line]
        if any(mask & sigterm for mask in pending):
            os.kill(pid, signal.SIGCONT)
            return
        time.sleep(0.01)
    raise AssertionError(f"no SIGTERM reached the frozen training (pid {pid})")


def train_log(workdir: Path) -> str:
    path = workdir / "logs" / "train" / "lizard" / "base" / "seed1.log"
    return path.read_text() if path.exists() else ""


def test_time_limit_stops_training_and_the_retry_resumes_bit_identical(slurm, tmp_path):
    config = long_training(checkpoint_every=50)
    reference = reference_run(workdir_with(tmp_path / "local", config))
    cluster = workdir_with(tmp_path / "slurm", config)
    partial = cluster / "results" / "runs" / "lizard" / "base" / "seed1" / "metrics.partial.csv"
    # the first attempt gets SLURM's shortest limit, 1 minute; a retry, all the time it needs
    proc = through_slurm(  # (the target first: --set-resources takes what follows it)
        cluster, EVALUATION, "--set-resources", "train:runtime=1 if attempt < 2 else 60",
        popen=True,
    )  # fmt: skip
    # frozen after its first checkpoint (generation 50), the first attempt is in a generation
    # that outlasts its limit. SLURM's SIGTERM then either wakes it (SIGCONT) to checkpoint
    # that generation, or srun ends the job step first and the retry resumes from generation
    # 50: both were seen here, and both must end bit-identical
    freeze_job_once(proc, cluster, partial.exists)
    assert proc.wait() == 0, snakemake_out(cluster)
    attempts = [state for rule, state in submitted(snakemake_out(cluster)) if rule == "train"]
    assert attempts == ["TIMEOUT", "COMPLETED"], attempts
    # (the log holds the last attempt only)
    resumed = re.search(
        r"resuming from results/checkpoints/lizard/base/seed1.npz at generation (\d+)",
        train_log(cluster),
    )
    assert resumed and 50 <= int(resumed[1]) < 2000, train_log(cluster)
    assert reference.wait() == 0, snakemake_out(tmp_path / "local")
    assert run_results(cluster, "lizard") == run_results(tmp_path / "local", "lizard")


def test_scancel_then_rerun_ends_bit_identical(slurm, tmp_path):
    config = long_training(checkpoint_every=5000)  # no checkpoint falls due: SIGTERM's only
    reference = reference_run(workdir_with(tmp_path / "local", config))
    cluster = workdir_with(tmp_path / "slurm", config)
    proc = through_slurm(cluster, EVALUATION, popen=True)
    pid = freeze_job_once(proc, cluster, lambda: "gen 10/2000" in train_log(cluster))
    running = subprocess.run(
        ["squeue", "-h", "-t", "running", "-o", "%i %k %Z"], capture_output=True, text=True
    ).stdout
    jobs = [
        job
        for job, name, where in map(str.split, running.splitlines())
        if "rule_train" in name and where == cluster.as_posix()
    ]
    assert len(jobs) == 1, running
    subprocess.run(["scancel", jobs[0]], check=True)
    thaw_on_sigterm(pid)
    if proc.wait() != 0:  # the rule's retries may already have run it again; if not, rerun
        rerun = through_slurm(cluster, EVALUATION)
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    states = [state for rule, state in submitted(snakemake_out(cluster)) if rule == "train"]
    assert states[0] == "CANCELLED" and states[-1] == "COMPLETED", states
    # from the checkpoint written on scancel's SIGTERM, where the job was frozen
    resumed = re.search(r"resuming from \S+ at generation (\d+)", train_log(cluster))
    assert resumed and 10 <= int(resumed[1]) < 2000, train_log(cluster)
    assert reference.wait() == 0, snakemake_out(tmp_path / "local")
    assert run_results(cluster, "lizard") == run_results(tmp_path / "local", "lizard")


def snakemake_out(workdir: Path) -> str:
    return (workdir / "snakemake.out").read_text()
