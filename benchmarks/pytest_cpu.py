"""Where the test suite's CPU time goes: a pytest plugin that records each test's CPU seconds
(its process and the children it waited for, setup included) and prints the totals by module.

    rm -rf test-cpu && PYTHONPATH=benchmarks python -m pytest -p pytest_cpu

The suite is CPU-bound on 2 cores, so these totals, not the wall times of ``--durations``
(which count waiting beside other tests), say what to cut. SLURM jobs' CPU is not counted
(slurmd runs them), nor the session's browser.
"""

from __future__ import annotations

import json
import os
import resource
import time
from collections import Counter
from pathlib import Path

import pytest

LOG = Path(os.environ.get("NCA_STEPS_CPU_LOG", "test-cpu"))


def cpu_seconds() -> float:
    own, children = (
        resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    cpu, wall = cpu_seconds(), time.monotonic()
    yield
    record = {"test": item.nodeid, "cpu": cpu_seconds() - cpu, "wall": time.monotonic() - wall}
    LOG.mkdir(exist_ok=True)
    with open(LOG / f"{os.getpid()}.jsonl", "a") as f:
        f.write(json.dumps(record) + "\n")


def pytest_sessionfinish(session, exitstatus) -> None:
    if hasattr(session.config, "workerinput"):
        return  # an xdist worker: the controller prints the totals
    records = [json.loads(line) for path in LOG.glob("*.jsonl") for line in open(path)]
    by_module = Counter()
    for r in records:
        by_module[r["test"].split("::")[0]] += r["cpu"]
    print(f"\nCPU seconds: {sum(by_module.values()):.0f} in {len(records)} tests; by module:")
    for module, seconds in by_module.most_common(12):
        print(f"{seconds:8.1f}  {module}")
