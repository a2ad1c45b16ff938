"""SIGTERM and SIGINT as a request to stop between generations, not in the middle of one.

SLURM sends SIGTERM before it kills a job at its time limit or on preemption (and waits its
KillWait, 30 s by default); Snakemake and Ctrl-C send SIGTERM or SIGINT. The training loop asks
:meth:`StopRequest.signal` after each generation, writes a checkpoint and exits with
128 + the signal's number, so a retried or rerun job resumes where this one stopped.
"""

from __future__ import annotations

import signal
from types import FrameType, TracebackType

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopRequest:
    """While active, the first SIGTERM or SIGINT is remembered instead of ending the process;
    a second one ends it at once (Ctrl-C twice), which atomic writes make safe."""

    def __init__(self) -> None:
        self.signal: signal.Signals | None = None
        self._previous: dict[signal.Signals, object] = {}

    def _remember(self, signum: int, frame: FrameType | None) -> None:
        if self.signal is not None:
            raise SystemExit(128 + signum)
        self.signal = signal.Signals(signum)

    def __enter__(self) -> StopRequest:
        for s in SIGNALS:
            self._previous[s] = signal.signal(s, self._remember)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for s, handler in self._previous.items():
            signal.signal(s, handler)
