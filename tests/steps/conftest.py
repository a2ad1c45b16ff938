"""Fixtures of the steps' tests: the tiny target as a file, and uninterrupted training runs to
compare resumed ones with."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from tests.conftest import make_tiny_target, run_module
from tests.steps.training import GENERATIONS, TRAIN, Run, metrics, train_args, without_seconds


@pytest.fixture
def target_file(tmp_path, tiny_target):
    np.save(tmp_path / "target.npy", tiny_target)
    return tmp_path


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
