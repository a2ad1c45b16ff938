"""How long a training job may run: the ``runtime`` a cluster's scheduler gets, estimated from
the work of a generation, since a job over its time limit is stopped (and resumed on retry).

The rate was measured on a 2-core AMD EPYC Zen 4 with AVX-512 (benchmarks/RESULTS.md,
2026-11-26): 0.081 s a generation at the defaults on one thread (32 members x 32 steps x 28x28
cells) and 1.36 s at the notebook's settings on two (128 x 90 x 48x48): 1.0e-7 s per cell
update per thread; the margin covers a Zen 3 without AVX-512, 2.4-3x slower. A GPU is far
faster; there, or on a still slower CPU, set ``training.seconds_per_generation`` in the config.
"""

from __future__ import annotations

import math

CELL_UPDATE_SECONDS = 1.0e-7  # one cell's update on one CPU thread
STARTUP_SECONDS = 120  # imports, the compile, the first checkpoint
MARGIN = 3.0  # slower or busier nodes: a 2-core Zen 3 without AVX-512 is 2.4-3x slower


def seconds_per_generation(pop_size: int, steps: int, cells: int, threads: int) -> float:
    return pop_size * steps * cells * CELL_UPDATE_SECONDS / threads


def train_minutes(
    generations: int, per_generation: float, attempt: int = 1, max_seconds: float = 0
) -> int:
    """Minutes to ask for: the estimate with a margin, or the run's own time limit
    (``max_seconds``) if that is shorter, times the attempt (a retry after a time limit asks for
    more, though it resumes from its checkpoint)."""
    work = MARGIN * generations * per_generation
    if max_seconds:
        work = min(work, max_seconds + MARGIN * per_generation)  # it stops after a generation
    return math.ceil((STARTUP_SECONDS + work) / 60) * attempt
