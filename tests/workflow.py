"""What the tests of the real Snakefile share: a tiny config and Snakemake run on it in a
temporary folder."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import ROOT

TINY = {
    "targets": {"lizard": "🦎", "disc": "disc.png"},
    "target_size": 8,
    "target_padding": 2,
    "emoji": {"sources": ["shipped"]},
    "hyperparameters": {
        "algorithm": "pgpe",
        "pop_size": 4,
        "lr": 0.08,
        "generations": 3,
        "steps": 4,
        "loss_every": 2,
        "fire_rate": 0.5,
        "channels": 16,
    },
    "seeds": [1],
    "combinations": {"base": {}},
    "training": {"log_every": 1},
    "evaluation": {"rollouts": 2, "horizon": 2},
}


def snakemake(
    workdir: Path,
    *args: str,
    config: dict | None = None,
    program: tuple[str, ...] = (sys.executable, "-m", "snakemake"),
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """Snakemake (``program``) on the real Snakefile in ``workdir``, with ``config`` as its
    only config file (written there) where given, else the one written before."""
    if config is not None:
        (workdir / "tiny.yaml").write_text(
            yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
        )
    cmd = [
        *program,
        "-s",
        str(ROOT / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(workdir / "tiny.yaml"),
        "--replace-workflow-config",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, env=env)


def planned_jobs(workdir: Path) -> dict[str, int]:
    proc = snakemake(workdir, "--dry-run")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    out = proc.stdout + proc.stderr
    if "Nothing to be done" in out:
        return {}
    table = out.split("Job stats:")[1].split("Reasons:")[0]
    return {
        m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M) if m[1] != "total"
    }
