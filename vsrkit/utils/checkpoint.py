"""Safe checkpoints: weights-only loading with a short allow-list, atomic saving.

torch >= 2.6 loads with ``weights_only=True``; mmengine 0.10.7's resume files
carry its ``HistoryBuffer`` (numpy arrays inside) in the message hub, which
that refuses. We allow exactly those globals and nothing else: a checkpoint
with any other pickled object (a callable, a custom class) is refused with a
:class:`CheckpointError` naming the file and the offending global. There is
no fallback to ``weights_only=False``.
"""
from __future__ import annotations

import os
import pickle
import re

import numpy as np
import torch
from mmengine.fileio.backends.local_backend import LocalBackend
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

from vsrkit.errors import CheckpointError


def _numpy_globals() -> list:
    names = [np.ndarray, np.dtype]
    try:  # numpy >= 2
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy 1.x
        from numpy.core.multiarray import _reconstruct, scalar
    names += [_reconstruct, scalar]
    # dtype classes (numpy >= 1.25 pickles dtypes by their class, e.g. Float64DType).
    names += [getattr(np.dtypes, n) for n in dir(np.dtypes) if n.endswith('DType')]
    return names


SAFE_GLOBALS = [HistoryBuffer, *_numpy_globals()]


def load_checkpoint_file(path: str, map_location='cpu') -> dict:
    """Load a checkpoint with ``weights_only=True`` and the allow-list above."""
    if not os.path.isfile(path):
        raise CheckpointError(f'{path}: checkpoint file not found')
    try:
        with torch.serialization.safe_globals(SAFE_GLOBALS):
            return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        found = re.search(r'(Unsupported (global|operand)|unsupported GLOBAL)[^\n]*', str(err))
        culprit = found.group(0) if found else str(err).strip().splitlines()[-1]
        raise CheckpointError(f'{path}: refused to load, it holds objects outside the weights-only '
                              f'allow-list ({culprit})') from None
    except (RuntimeError, EOFError, OSError) as err:
        raise CheckpointError(f'{path}: not a readable checkpoint ({str(err).splitlines()[0]})') from None


def _load_from_local(filename, map_location):
    return load_checkpoint_file(os.path.expanduser(filename), map_location)


def _history_buffer_state(self) -> dict:
    # mmengine pickles the class-level statistics table (bound methods, via
    # ``getattr``) into every buffer; allowing ``getattr`` would open the door to
    # arbitrary calls, so we store only the data. __setstate__ rebuilds the table.
    return {k: v for k, v in self.__dict__.items() if k != 'statistics_methods'}


def atomic_write_bytes(data: bytes, path: str) -> None:
    """Write ``data`` to ``path`` via a temporary file, fsync and rename.

    A process killed mid-write leaves the previous file (or none) under
    ``path``, never a truncated one.
    """
    path = os.fspath(path)
    folder = os.path.dirname(path) or '.'
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f'.{os.path.basename(path)}.tmp-{os.getpid()}')
    try:
        with open(tmp, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _atomic_put(self, obj: bytes, filepath) -> None:
    atomic_write_bytes(obj, filepath)


def _atomic_put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
    atomic_write_bytes(obj.encode(encoding), filepath)


_installed = False


def patch_mmengine() -> None:
    """Make mmengine's checkpoints safe: the one place vsrkit changes mmengine (idempotent).

    Three patches, applied explicitly (never on import) by every command-line tool at
    start-up (:func:`vsrkit.cli.entry_point`) and by :func:`vsrkit.apis.init_model`; call it
    before using mmengine's ``Runner`` yourself:

    - mmengine's local checkpoint loading (``load_checkpoint``, ``resume``) goes through
      :func:`load_checkpoint_file` (weights only, the allow-list above);
    - ``HistoryBuffer`` pickles its data only, not the bound methods that the allow-list
      would have to admit;
    - ``LocalBackend.put`` / ``put_text`` (what ``save_checkpoint`` writes through) write
      atomically (:func:`atomic_write_bytes`), so a kill mid-save never leaves a truncated
      checkpoint.
    """
    global _installed
    if not _installed:
        CheckpointLoader.register_scheme(prefixes='', loader=_load_from_local, force=True)
        HistoryBuffer.__getstate__ = _history_buffer_state
        # mmengine's save_checkpoint writes through LocalBackend.put with a plain
        # open('wb'): a kill mid-save would leave a truncated checkpoint.
        LocalBackend.put = _atomic_put
        LocalBackend.put_text = _atomic_put_text
        _installed = True
