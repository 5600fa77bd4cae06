"""Safe checkpoints: weights-only loading with a short allow-list, integrity checks, atomic saving.

torch >= 2.6 loads with ``weights_only=True``; mmengine 0.10.7's resume files
carry its ``HistoryBuffer`` (numpy arrays inside) in the message hub, which
that refuses. We allow exactly those globals and nothing else: a checkpoint
with any other pickled object (a callable, a custom class) is refused with a
:class:`CheckpointError` naming the file and the offending global. There is
no fallback to ``weights_only=False``.

Every other way a file can fail to be a checkpoint (missing, a directory, empty,
text, random bytes, truncated, a damaged zip, a bit flipped on disk) is also a
one-line :class:`CheckpointError` naming the file: torch's readers raise whatever
the bytes lead them to (``IndexError`` from the unpickler on a text file, for one),
and torch does not check the zip's CRC-32s, so a flipped bit in the weights would
load silently without the check below.
"""
from __future__ import annotations

import contextlib
import os
import pickle
import re
import warnings
import zipfile

import numpy as np
import torch
from mmengine.fileio.backends.local_backend import LocalBackend
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
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

# What torch's weights-only unpickler says when a pickle asks for something outside the
# allow-list (a global, a call, an object build); anything else it raises means malformed bytes.
_REFUSED = re.compile(r'(Unsupported global|unsupported GLOBAL|unrecognized function|'
                      r'Can only create new object|Can only build)[^\n]*')


def _first_line(err: BaseException, limit: int = 200) -> str:
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    text = f'{type(err).__name__}: {lines[0]}' if lines else type(err).__name__
    return text if len(text) <= limit else text[:limit] + '...'


def _check_file(path: str) -> None:
    if os.path.isdir(path):
        raise CheckpointError(f'{path}: is a directory, not a checkpoint file')
    if not os.path.exists(path):
        raise CheckpointError(f'{path}: checkpoint file not found')
    if not os.path.isfile(path):  # a device or a FIFO (reading one could block forever)
        raise CheckpointError(f'{path}: not a regular file')
    if os.path.getsize(path) == 0:
        raise CheckpointError(f'{path}: empty file, not a checkpoint')


def _check_zip_crcs(path: str) -> None:
    """Read every member of a zip checkpoint, checking its CRC-32 (torch.load does not)."""
    try:
        if not zipfile.is_zipfile(path):
            return  # the legacy format (no checksums), or not a checkpoint: torch.load decides
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                # torch's zip reader skips an entry flagged as a directory (MS-DOS attribute
                # 0x10, one bit away from a file): that would load as missing data.
                if info.external_attr & 0x10:
                    raise zipfile.BadZipFile(f'member {info.filename!r} is flagged as a directory')
                if info.CRC == 0:  # torch.save under set_crc32_options(False) records none
                    continue
                with archive.open(info) as member:
                    while member.read(1 << 24):  # a CRC mismatch raises at the end
                        pass
    except Exception as err:  # noqa: BLE001 - whatever damaged bytes make zipfile raise
        raise CheckpointError(f'{path}: corrupt checkpoint archive ({_first_line(err)})') from None


def _not_a_checkpoint(path: str, err: BaseException) -> CheckpointError:
    try:
        with open(path, 'rb') as f:
            head = f.read(8)
    except OSError:  # unreadable: torch.load's own error says why
        head = b'\x80'
    if not head.startswith((b'PK\x03\x04', b'\x80')):  # neither a zip nor a pickle
        return CheckpointError(f'{path}: not a PyTorch checkpoint (the file starts with {head!r})')
    return CheckpointError(f'{path}: not a readable checkpoint ({_first_line(err)})')


def load_checkpoint_file(path: str, map_location='cpu') -> dict:
    """Load a checkpoint with ``weights_only=True`` and the allow-list above.

    Returns the checkpoint dict. Raises :class:`CheckpointError`, with one line naming
    ``path``, for every file that is not a whole, allow-listed checkpoint dict.
    """
    path = os.fspath(path)
    _check_file(path)
    _check_zip_crcs(path)
    try:
        with warnings.catch_warnings():  # e.g. 'looks like a TorchScript archive': we refuse it anyway
            warnings.simplefilter('ignore')
            with torch.serialization.safe_globals(SAFE_GLOBALS):
                ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        refused = _REFUSED.search(str(err))
        if refused:  # torch's advice that follows (allow-list it) is not for a file from elsewhere
            culprit = refused.group(0).split(' was not an allowed')[0].split('. Please')[0].rstrip('.')
            raise CheckpointError(f'{path}: refused to load, it holds objects outside the '
                                  f'weights-only allow-list ({culprit})') from None
        reason = re.search(r'WeightsUnpickler error:\s*([^\n]+)', str(err))
        raise _not_a_checkpoint(path, pickle.UnpicklingError(reason.group(1)) if reason else err) from None
    except Exception as err:  # noqa: BLE001 - malformed bytes make torch's readers raise anything
        raise _not_a_checkpoint(path, err) from None
    if not isinstance(ckpt, dict):
        raise CheckpointError(f'{path}: holds a {type(ckpt).__name__}, not a checkpoint dict')
    return ckpt


def _load_from_local(filename, map_location):
    return load_checkpoint_file(os.path.expanduser(filename), map_location)


def _history_buffer_state(self) -> dict:
    # mmengine pickles the class-level statistics table (bound methods, via
    # ``getattr``) into every buffer; allowing ``getattr`` would open the door to
    # arbitrary calls, so we store only the data. __setstate__ rebuilds the table.
    return {k: v for k, v in self.__dict__.items() if k != 'statistics_methods'}


def _history_buffer_set_state(self, state: dict) -> None:
    # mmengine's own __setstate__ merges a 'statistics_methods' table found in the file
    # into the class-wide one that every buffer calls: a file must not install callables
    # (even allow-listed ones), so only the data fields are taken.
    self._set_default_statistics()
    self.max_length = int(state['max_length'])
    self._log_history = np.asarray(state['_log_history'])
    self._count_history = np.asarray(state['_count_history'])


def fitting_state_dict(path: str, checkpoint: dict, model: torch.nn.Module) -> dict:
    """The weights of ``checkpoint`` for ``model``, checked to fit it exactly.

    Takes ``checkpoint['state_dict']`` (an mmengine checkpoint) or the checkpoint itself (a
    bare state dict), drops the ``module.`` prefix of a DDP wrapper, and raises
    :class:`CheckpointError` naming ``path`` and the missing / unexpected / mis-shaped keys
    unless every tensor of ``model.state_dict()`` is there with its shape.
    """
    state = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f'{path}: holds no state_dict of tensors')
    if state and all(isinstance(k, str) and k.startswith('module.') for k in state):
        state = {k[len('module.'):]: v for k, v in state.items()}
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(map(str, set(state) - set(own)))
    shapes = sorted(f'{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}'
                    for k in set(own) & set(state) if state[k].shape != own[k].shape)
    problems = [f'{name} keys {_short_list(keys)}' for name, keys in
                (('missing', missing), ('unexpected', unexpected), ('mis-shaped', shapes)) if keys]
    if problems:
        raise CheckpointError(f'{path}: does not match the model '
                              f'({type(model).__name__}): ' + '; '.join(problems))
    return state


def _short_list(keys: list, limit: int = 6) -> str:
    shown = ', '.join(keys[:limit])
    return f'[{shown}{f", ... (+{len(keys) - limit} more)" if len(keys) > limit else ""}]'


@contextlib.contextmanager
def _errors_name(path: str, doing: str):
    """Turn what a well-formed file with the wrong content makes mmengine raise (a missing
    key, an optimizer state of other parameter groups) into one line naming ``path``."""
    try:
        yield
    except CheckpointError:
        raise
    except KeyError as err:
        raise CheckpointError(f'{path}: cannot {doing}: it has no {err} entry (a checkpoint '
                              'saved by a training run has meta, state_dict, message_hub, '
                              'optimizer)') from None
    except (TypeError, ValueError, IndexError, AttributeError, AssertionError) as err:
        raise CheckpointError(f'{path}: cannot {doing} ({_first_line(err)})') from None


def _runner_load_checkpoint(self, filename, map_location='cpu', strict=False, revise_keys=None):
    """``Runner.load_checkpoint`` (both ``load_from`` and resume come here) through
    :func:`load_checkpoint_file`, with the weights required to fit the model exactly:
    a mismatch would otherwise be a logged warning and a run from partly random weights.
    ``strict`` and ``revise_keys`` are accepted for mmengine's callers and not needed."""
    checkpoint = load_checkpoint_file(os.path.expanduser(filename), map_location)
    # mmengine's resume runs meta['config'] as Python (Config.fromstring) to compare GPU
    # counts: a checkpoint is data, and a config string in it must not run.
    if isinstance(checkpoint.get('meta'), dict):
        checkpoint['meta'].pop('config', None)
    with _errors_name(filename, 'load it'):
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
    model = self.model.module if is_model_wrapper(self.model) else self.model
    model.load_state_dict(fitting_state_dict(filename, checkpoint, model))
    self._has_loaded = True
    self.logger.info(f'Load checkpoint from {filename}')
    return checkpoint


_mmengine_resume = Runner.resume


def _runner_resume(self, filename, *args, **kwargs):
    with _errors_name(filename, 'resume from it'):
        return _mmengine_resume(self, filename, *args, **kwargs)


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

    Applied explicitly (never on import) by every command-line tool at start-up
    (:func:`vsrkit.cli.entry_point`) and by :func:`vsrkit.apis.init_model`; call it before
    using mmengine's ``Runner`` yourself:

    - mmengine's local checkpoint loading (``load_checkpoint``) goes through
      :func:`load_checkpoint_file` (weights only, the allow-list above, integrity checks);
    - ``Runner.load_checkpoint`` (``load_from`` and resume) too, with the weights required to
      fit the model and ``meta['config']`` (which ``Runner.resume`` would run as Python)
      dropped; ``Runner.resume`` turns a file without training state into one line;
    - ``HistoryBuffer`` pickles its data only, not the bound methods that the allow-list
      would have to admit, and takes only data from a file;
    - ``LocalBackend.put`` / ``put_text`` (what ``save_checkpoint`` writes through) write
      atomically (:func:`atomic_write_bytes`), so a kill mid-save never leaves a truncated
      checkpoint.
    """
    global _installed
    if not _installed:
        CheckpointLoader.register_scheme(prefixes='', loader=_load_from_local, force=True)
        HistoryBuffer.__getstate__ = _history_buffer_state
        HistoryBuffer.__setstate__ = _history_buffer_set_state
        Runner.load_checkpoint = _runner_load_checkpoint
        Runner.resume = _runner_resume
        # mmengine's save_checkpoint writes through LocalBackend.put with a plain
        # open('wb'): a kill mid-save would leave a truncated checkpoint.
        LocalBackend.put = _atomic_put
        LocalBackend.put_text = _atomic_put_text
        _installed = True
