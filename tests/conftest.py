"""Shared fixtures: the repository root, a tiny target, and a subprocess runner."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

from nca_steps import reference
from nca_steps.viewer import chromium as chromium_browser

ROOT = Path(__file__).resolve().parents[1]


def make_tiny_target() -> np.ndarray:
    """A 10x12 padded premultiplied RGBA target with a filled disc in the middle."""
    y, x = np.mgrid[:10, :12]
    alpha = (((y - 5) ** 2 + (x - 6) ** 2) <= 9).astype(np.float32)
    rgba = np.stack([0.8 * alpha, 0.2 * alpha, 0.4 * alpha, alpha], axis=-1)
    return rgba.astype(np.float32)


def notebook_vector(seed: int = 0) -> np.ndarray:
    """What the notebook would save: its flax module's parameters, flattened with ravel_pytree."""
    variables = reference.CellUpdate().init(
        jax.random.PRNGKey(seed), np.zeros((1, 5, 5, 16), np.float32), jax.random.PRNGKey(1)
    )
    flat, _ = ravel_pytree(variables)
    noise = 0.02 * jax.random.normal(jax.random.PRNGKey(seed + 9), flat.shape)
    return np.asarray(flat + noise, np.float32)


@pytest.fixture(scope="session")
def chromium():
    """One headless Debian Chromium for the session's browser tests. Skipped where it is not
    installed, unless NCA_STEPS_REQUIRE_BROWSER is set (.ci/run sets it, having installed it)."""
    if not chromium_browser.installed():
        message = "Debian's chromium and chromium-driver are not installed (.ci/run installs them)"
        if os.environ.get("NCA_STEPS_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    driver = chromium_browser.headless_chromium()
    yield driver
    driver.quit()


@pytest.fixture
def tiny_target() -> np.ndarray:
    return make_tiny_target()


def run_module(module: str, *args: str, env: dict | None = None, cwd: Path | None = None):
    """Run ``python -m module args`` and return the completed process (never raises)."""
    return subprocess.run(
        [sys.executable, "-m", module, *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )


def tracked_copy(dest: Path) -> Path:
    """The repository's tracked files, as a fresh clone would have them."""
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, files):
        src = ROOT / os.fsdecode(name)
        if src.is_file():
            (dest / src.relative_to(ROOT)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / src.relative_to(ROOT))
    return dest


def venv_env() -> dict[str, str]:
    """This environment with its own executables (snakemake, ruff, python) first on PATH, as an
    activated virtual environment has them."""
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
