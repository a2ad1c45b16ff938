"""`.ci/run` itself: a planted lint or format error must fail CI (it once printed and went on)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import tracked_copy, venv_env


def ci_lint(repo: Path) -> subprocess.CompletedProcess:
    """Run the lint stage of the copy's `.ci/run`, with this environment's ruff on PATH."""
    return subprocess.run(
        ["bash", ".ci/run", "lint"], cwd=repo, capture_output=True, text=True, env=venv_env()
    )


@pytest.mark.parametrize(
    ("planted", "complaint"),
    [
        ("import os\n", "F401"),  # ruff check: unused import
        ("x = [1,2]\n", "1 file would be reformatted"),  # ruff format --check only
    ],
)
def test_planted_lint_error_fails_ci(tmp_path, planted, complaint):
    repo = tracked_copy(tmp_path)
    assert ci_lint(repo).returncode == 0  # the tree as committed is clean
    (repo / "nca_steps" / "planted.py").write_text(planted)
    proc = ci_lint(repo)
    assert proc.returncode != 0
    assert complaint in proc.stdout + proc.stderr


def test_unknown_stage_is_refused(tmp_path):
    tracked_copy(tmp_path)
    proc = subprocess.run(["bash", ".ci/run", "lnit"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: unknown stage 'lnit'; valid: install, lint, tests"
