"""What every step's command line shares: argument ranges, one-line errors, input loading.

Every refusal, whether argparse's or a step's own, ends the step with a single ``error: ...``
line naming the bad value and exit status 1, so Snakemake logs stay readable.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nca_steps.errors import StepError
from nca_steps.runtime import use_cpu_compile_level


@dataclass(frozen=True)
class Range:
    """The values a number may take; one description serves argparse, checks and the schema."""

    kind: type = int
    minimum: float | None = None  # inclusive
    above: float | None = None  # exclusive minimum
    maximum: float | None = None  # inclusive
    multiple_of: int | None = None

    def describe(self) -> str:
        """What is valid, in words: 'an even integer >= 2', 'a number in (0, 1]'."""
        noun = "an integer" if self.kind is int else "a number"
        if self.multiple_of == 2:
            noun = "an even integer"
        elif self.multiple_of:
            noun = f"a multiple of {self.multiple_of}"
        low = self.above if self.above is not None else self.minimum
        if low is not None and self.maximum is not None:
            bracket = "(" if self.above is not None else "["
            return f"{noun} in {bracket}{low:g}, {self.maximum:g}]"
        if low is not None:
            return f"{noun} {'>' if self.above is not None else '>='} {low:g}"
        if self.maximum is not None:
            return f"{noun} <= {self.maximum:g}"
        return noun

    def valid(self, value: float) -> bool:
        return not (
            (self.minimum is not None and value < self.minimum)
            or (self.above is not None and value <= self.above)
            or (self.maximum is not None and value > self.maximum)
            or (self.multiple_of and value % self.multiple_of)
            or (self.kind is float and not np.isfinite(value))
        )

    def parse(self, text: str) -> int | float:
        """argparse ``type=``: the value, or an error that names it and what is valid."""
        try:
            value = self.kind(text)
        except ValueError:
            value = None
        if value is None or not self.valid(value):
            raise argparse.ArgumentTypeError(f"{text!r} is invalid; use {self.describe()}")
        return value

    def json_schema(self) -> dict:
        schema: dict = {"type": "integer" if self.kind is int else "number"}
        for key, value in (
            ("minimum", self.minimum),
            ("exclusiveMinimum", self.above),
            ("maximum", self.maximum),
            ("multipleOf", self.multiple_of),
        ):
            if value is not None:
                schema[key] = value
        return schema


POSITIVE_INT = Range(int, minimum=1)
NON_NEGATIVE_INT = Range(int, minimum=0)
POSITIVE_NUMBER = Range(float, above=0)


class StepParser(argparse.ArgumentParser):
    """argparse whose errors are one ``error:`` line and exit status 1, like a step's own."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"error: {message}", file=sys.stderr)
        sys.exit(1)


def parser(module: str, doc: str | None) -> StepParser:
    return StepParser(
        prog=f"python -m {module}",
        description=doc,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )


def read_text(path: str | os.PathLike, what: str) -> str:
    """A text file a step reads, refusing a missing or unreadable one in one line."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise StepError(f"{what} {path} does not exist") from err
    except (OSError, UnicodeDecodeError) as err:
        raise StepError(f"{what} {path} cannot be read ({err})") from err


def load_npy(path: str | os.PathLike, what: str, *, ndim: int, last: int | None = None):
    """Load an array a step reads, refusing a missing, unreadable or misshapen file in one line."""
    try:
        array = np.load(path, allow_pickle=False)
    except FileNotFoundError as err:
        raise StepError(f"{what} {path} does not exist") from err
    except (OSError, ValueError, EOFError) as err:
        raise StepError(f"{what} {path} is not a readable .npy file ({err})") from err
    if (
        not isinstance(array, np.ndarray)
        or array.ndim != ndim
        or (last and array.shape[-1] != last)
    ):
        shape = getattr(array, "shape", None)
        want = f"{ndim} dimensions" + (f", the last of size {last}" if last else "")
        raise StepError(f"{what} {path} has shape {shape}; it needs {want}")
    return array


def load_npz(path: str | os.PathLike, what: str, key: str) -> np.ndarray:
    """One array of an ``.npz`` a step reads, refusing a missing or unreadable file in one line."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return data[key]
    except FileNotFoundError as err:
        raise StepError(f"{what} {path} does not exist") from err
    except KeyError as err:
        raise StepError(f"{what} {path} has no array {key!r}") from err
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, AttributeError) as err:
        raise StepError(f"{what} {path} is not a readable .npz file ({err})") from err


def run_step(main: Callable[[], None]) -> None:
    """Run a step's ``main``; a :class:`StepError` ends it with one line and exit status 1.
    Its output (a job's log) is UTF-8 whatever the locale, so an emoji or a path in a message
    cannot end the step with a UnicodeEncodeError. XLA compiles at the CPU's level
    (:func:`nca_steps.runtime.use_cpu_compile_level`)."""
    use_cpu_compile_level()
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(encoding="utf-8", errors="backslashreplace")
    try:
        main()
    except StepError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(1)
