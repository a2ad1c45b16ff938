"""Training checkpoints: one ``.npz`` written atomically, tagged with the run's settings so
that a checkpoint from another configuration is refused instead of silently resumed, and with
the environment it was written in (``nca_steps.runtime.environment``: JAX version, device,
precision), so that resuming elsewhere is said, not refused."""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from nca_steps.errors import StepError
from nca_steps.files import atomic_path

ENVIRONMENT = "environment"  # the array holding the environment, as JSON
RESTART = "delete it to start this run over"  # what to do with a checkpoint that cannot resume


def save(
    path: str | os.PathLike,
    settings: dict[str, Any],
    arrays: dict[str, np.ndarray],
    environment: dict[str, Any] | None = None,
) -> None:
    tags = {"settings": np.asarray(json.dumps(settings, sort_keys=True))}
    if environment is not None:
        tags[ENVIRONMENT] = np.asarray(json.dumps(environment, sort_keys=True))
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **tags, **arrays)


def saved_environment(arrays: dict[str, np.ndarray]) -> dict[str, Any] | None:
    """The environment a loaded checkpoint was written in (removed from ``arrays``), or None for
    one that does not record it."""
    text = arrays.pop(ENVIRONMENT, None)
    return None if text is None else json.loads(str(text))


def read(
    path: str | os.PathLike, remedy: str = RESTART, what: str = "checkpoint"
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """A checkpoint's (or a final state's: the same format) settings and arrays; raises
    StepError, one line calling the file ``what`` and ending in ``remedy``, if it is
    unreadable."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        return json.loads(str(arrays.pop("settings"))), arrays
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
        raise StepError(f"{what} {path} is unreadable ({type(err).__name__}); {remedy}") from err


def load(
    path: str | os.PathLike, settings: dict[str, Any], keys: Iterable[str] = ()
) -> dict[str, np.ndarray] | None:
    """The checkpoint's arrays, or None if there is none; raises if its settings differ or
    any of ``keys`` is missing."""
    path = Path(path)
    if not path.is_file():
        return None
    saved, arrays = read(path)
    if saved != json.loads(json.dumps(settings, sort_keys=True)):
        changed = sorted(
            k for k in saved.keys() | settings.keys() if saved.get(k) != settings.get(k)
        )
        raise StepError(
            f"checkpoint {path} was made with other settings ({', '.join(changed)} differ); "
            f"{RESTART}"
        )
    missing = sorted(set(keys) - arrays.keys())
    if missing:
        raise StepError(f"checkpoint {path} lacks {', '.join(missing)}; {RESTART}")
    return arrays
