"""The one error class for data problems."""
from __future__ import annotations


class DataError(ValueError):
    """Bad data on disk or in a sample: a missing file, clip or key, a corrupt record, a
    size mismatch. The message is one line naming the file, clip or key at fault."""
