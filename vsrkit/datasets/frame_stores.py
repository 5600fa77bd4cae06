"""Read-only frame stores: an LMDB written by ``data_prep/`` or a folder of frame images.

Both expose ``clips`` (name -> :class:`ClipInfo`) and ``read(clip, index)`` returning a
BGR uint8 (H, W, C) frame, and both fail with a :class:`DataError` naming the store and
the clip/key/file at fault.
"""
from __future__ import annotations

import os

import lmdb
import numpy as np

from .errors import DataError
from .frame_io import ClipInfo, decode_frame, frame_key, list_images, natural_key, read_image, \
    read_meta_info


class FrameStore:
    """Base: ``clips`` plus shape-checked ``read``."""

    path: str
    clips: dict[str, ClipInfo]

    def read(self, clip: str, index: int) -> np.ndarray:
        """Frame ``index`` of ``clip`` as BGR uint8 (H, W, C)."""
        info = self.clips.get(clip)
        if info is None:
            raise DataError(f'{self.path}: no clip {clip!r}')
        key = frame_key(clip, index)
        if not 0 <= index < info.num_frames:
            raise DataError(f'{self.path}: key {key!r} out of range '
                            f'(clip {clip!r} has {info.num_frames} frames)')
        img = self._read(clip, index, key)
        if img.shape != info.shape:
            raise DataError(f'{self.path}: {self._where(clip, index, key)} has shape {img.shape}, '
                            f'but clip {clip!r} is {info.shape} (mixed frame sizes)')
        return img

    def _read(self, clip: str, index: int, key: str) -> np.ndarray:
        raise NotImplementedError

    def _where(self, clip: str, index: int, key: str) -> str:
        return f'key {key!r}'


# One read-only environment per LMDB and process: py-lmdb refuses to open the same
# environment twice in a process (two datasets may share test_GT.lmdb), and a handle
# inherited through fork must not be used (LMDB's rule), so a child drops them all.
_ENVS: dict[str, lmdb.Environment] = {}
_ENVS_PID: int | None = None


def _shared_env(path: str) -> lmdb.Environment:
    global _ENVS_PID
    if _ENVS_PID != os.getpid():
        for env in set(_ENVS.values()):
            try:
                # Read-only and lock-free: closing only unmaps this process's view.
                env.close()
            except lmdb.Error:
                pass
        _ENVS.clear()
        _ENVS_PID = os.getpid()
    env = _ENVS.get(path)
    if env is None:
        key = os.path.realpath(path)  # one handle also when two spellings name one LMDB
        env = _ENVS.get(key)
        if env is None:
            try:
                env = lmdb.open(path, readonly=True, lock=False, readahead=False, meminit=False)
            except lmdb.Error as err:
                raise DataError(f'{path}: cannot open LMDB: {err}') from None
        _ENVS[key] = _ENVS[path] = env
    return env


def close_lmdb(path: str) -> None:
    """Close this process's handle on the LMDB at ``path`` (reopened lazily if read again)."""
    if _ENVS_PID != os.getpid():
        return
    env = _ENVS.pop(os.path.realpath(path), None)
    for alias in [k for k, v in _ENVS.items() if v is env]:
        del _ENVS[alias]
    if env is not None:
        env.close()


class LMDBFrameStore(FrameStore):
    """Frames from an LMDB folder (``meta_info.txt`` lists its clips).

    The environment is opened lazily, read-only, ``lock=False``, ``readahead=False``, once
    per process and path (shared by all stores of that path): DataLoader workers, forked
    or spawned, open their own on first read and never use the parent's.
    """

    def __init__(self, path: str):
        self.path = str(path)
        if not os.path.isfile(os.path.join(self.path, 'data.mdb')):
            raise DataError(f'{self.path}: not an LMDB (no data.mdb)')
        self.clips = read_meta_info(self.path)

    def _read(self, clip: str, index: int, key: str) -> np.ndarray:
        with _shared_env(self.path).begin(write=False, buffers=False) as txn:
            buf = txn.get(key.encode('ascii'))
        if buf is None:
            raise DataError(f'{self.path}: key {key!r} missing from the LMDB')
        return decode_frame(buf, f'{self.path}: key {key!r}')

    def close(self) -> None:
        """Close this process's handle on the LMDB (reopened lazily on the next read)."""
        close_lmdb(self.path)


class FolderFrameStore(FrameStore):
    """Frames from image files: every folder under ``path`` that holds images is a clip,
    named by its path relative to ``path`` (``calendar``, ``00001/0001``); frames are the
    images in natural order (index i = i-th file). ``path`` itself may be a single clip.
    The shape of a clip is that of its first frame; other frames are checked as read.
    """

    def __init__(self, path: str):
        self.path = str(path)
        if not os.path.isdir(self.path):
            raise DataError(f'{self.path}: no such frame folder')
        self._files: dict[str, list[str]] = {}
        for folder, dirs, _ in os.walk(self.path):
            dirs.sort(key=natural_key)
            names = list_images(folder)
            if names:
                rel = os.path.relpath(folder, self.path).replace(os.sep, '/')
                clip = os.path.basename(os.path.normpath(self.path)) if rel == '.' else rel
                self._files[clip] = [os.path.join(folder, n) for n in names]
        if not self._files:
            raise DataError(f'{self.path}: no image frames found')
        self.clips = {}
        for clip, files in sorted(self._files.items(), key=lambda kv: natural_key(kv[0])):
            self.clips[clip] = ClipInfo(clip, len(files), read_image(files[0]).shape)

    def _read(self, clip: str, index: int, key: str) -> np.ndarray:
        return read_image(self._files[clip][index])

    def _where(self, clip: str, index: int, key: str) -> str:
        return f'file {self._files[clip][index]}'


def open_frame_store(path: str, backend: str = 'lmdb') -> FrameStore:
    """``backend`` 'lmdb' or 'folder'."""
    if backend == 'lmdb':
        return LMDBFrameStore(path)
    if backend == 'folder':
        return FolderFrameStore(path)
    raise DataError(f"unknown frame store backend {backend!r}; use 'lmdb' or 'folder'")
