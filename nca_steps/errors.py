"""The one error type that steps turn into a one-line message instead of a traceback."""


class StepError(Exception):
    """Bad input or an unreachable source; the message names the value and what is valid."""
