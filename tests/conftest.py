"""Shared fixtures: the repository root, a tiny target, a subprocess runner, one browser, and one
JAX compilation cache for the whole session."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

# Every step the tests start (and every Snakemake job) compiles the same few small shapes: with
# one persistent cache for the session, only the first compiles them (a crfmnes train step's
# first generation: 6.8 s cold, 1.3 s warm, Zen 4); results are the same executable either
# way. Set before JAX is imported, so this process and every child use it. A cache given from
# outside (JAX_COMPILATION_CACHE_DIR) is kept.
OWN_JAX_CACHE = "JAX_COMPILATION_CACHE_DIR" not in os.environ
if OWN_JAX_CACHE:
    os.environ["JAX_COMPILATION_CACHE_DIR"] = tempfile.mkdtemp(prefix="nca-steps-jax-cache-")
os.environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"
os.environ["JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES"] = "-1"

# The precision the tests compare at: their references are float32 computations (the notebook's
# formulation, NumPy, the viewer's JavaScript) and their tolerances down to 1e-5, which JAX's
# default precision on a recent NVIDIA GPU (TF32 matrix products) does not meet; training there
# runs at the default (docs/cluster-and-gpu.md, "Precision"). On a CPU both are exact float32:
# the same bits. NCA_STEPS_TEST_MATMUL_PRECISION=default runs the tests as training runs
# (benchmarks/gpu_check.sh does both). Set before JAX is imported: this process and every child.
TEST_PRECISION = os.environ.get("NCA_STEPS_TEST_MATMUL_PRECISION", "highest")
if TEST_PRECISION != "default":
    os.environ["JAX_DEFAULT_MATMUL_PRECISION"] = TEST_PRECISION

# The steps compile XLA's CPU code at LLVM -O2 (nca_steps/runtime.py): so does this process,
# and every child inherits it. About half of the suite's CPU time is compiling.
from nca_steps import runtime  # noqa: E402 (imports no JAX)

runtime.use_cpu_compile_level()

import jax  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from jax.flatten_util import ravel_pytree  # noqa: E402

from nca_steps import reference  # noqa: E402
from nca_steps.viewer import chromium as chromium_browser  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

# Seconds any wait in the tests (for a file, a log line, a page, a SLURM job) gives up after.
# Only a hang should reach it: no test waits for a time to pass or races the machine's speed.
PATIENCE = 600


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
def browser():
    """One headless Debian Chromium for the session's browser tests, quit when the session ends.
    Skipped where it is not installed, unless NCA_STEPS_REQUIRE_BROWSER is set (.ci/run sets it,
    having installed it)."""
    if not chromium_browser.installed():
        message = "Debian's chromium and chromium-driver are not installed (.ci/run installs them)"
        if os.environ.get("NCA_STEPS_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    driver = chromium_browser.headless_chromium()
    yield driver
    driver.quit()


@pytest.fixture
def chromium(browser):
    """The session's browser for one test, which leaves it on a blank page: a viewer left
    playing would keep a core busy through every test after it."""
    yield browser
    browser.switch_to.default_content()
    browser.get("about:blank")


def pytest_sessionfinish(session, exitstatus) -> None:
    if OWN_JAX_CACHE:  # the process that made the cache removes it
        shutil.rmtree(os.environ["JAX_COMPILATION_CACHE_DIR"], ignore_errors=True)


def made_once(tmp_path_factory, worker_id: str, name: str, make: Callable[[Path], None]) -> Path:
    """The folder ``name`` that ``make(folder)`` fills once for the whole test session, however
    many test processes (pytest-xdist workers) ask for it: the first makes it under a lock in
    the folder they share, the others wait and reuse it. Read it, do not change it."""
    own = tmp_path_factory.getbasetemp()
    shared = own if worker_id == "master" else own.parent  # xdist: one basetemp per worker
    folder, done = shared / name, shared / f"{name}.made"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # a maker that failed, or a half-made one
            folder.mkdir()
            make(folder)
            done.touch()
    return folder


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


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The SLURM tests first, the rest after them in pytest-randomly's order: the SLURM tests
    mostly wait on the cluster, so the parallel test processes (pyproject.toml: ``-n 6
    --dist loadgroup``) run the rest meanwhile instead of after them."""
    items.sort(key=lambda item: item.path.name != "test_slurm.py")
