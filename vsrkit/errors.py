"""vsrkit's error types: bad input a user can fix, each with a one-line message that names the
file, key or option at fault.

Every command-line tool catches :class:`VSRKitError` and prints ``<prog>: error: <message>``
(:func:`vsrkit.cli.entry_point`); anything else is a bug and keeps its traceback. This module
imports nothing, so the tools can load it before numpy or torch.
"""
from __future__ import annotations


class VSRKitError(Exception):
    """Base of vsrkit's user-facing errors; ``exit_code`` is what a command-line tool returns."""

    exit_code = 2


class ConfigError(VSRKitError, ValueError):
    """A config or option names something that does not exist or is not allowed."""


class DataError(VSRKitError, ValueError):
    """Bad data on disk or in a sample: a missing file, clip or key, a corrupt record, a
    size mismatch."""


class VideoIOError(DataError):
    """A video or frame input cannot be read, or an output cannot be written."""


class CheckpointError(VSRKitError, RuntimeError):
    """A checkpoint file is missing, unreadable, corrupt, does not fit the model, or holds
    non-allow-listed objects."""


class DistributedError(VSRKitError, RuntimeError):
    """Another process of a distributed run died or stopped answering."""


class NonFiniteLossError(VSRKitError, RuntimeError):
    """Training produced too many non-finite losses in a row (the run stopped on purpose, with
    a good checkpoint: not bad input, hence exit code 1)."""

    exit_code = 1
