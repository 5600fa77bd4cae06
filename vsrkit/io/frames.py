"""Frames on disk: the LMDB record format that ``vsrkit.data_prep`` writes, image files, and the
read-only frame stores (LMDB or folder of images) that the datasets read clips from.

- Keys: ``<clip>/<8-digit frame index>`` (``calendar/00000012``); clip names may contain
  ``/`` (Vimeo-90K ``00001/0001``), so keys are split at the last ``/``.
- Values: a PNG (OpenCV, BGR) or a raw record ``b'RAW1' + H, W, C (uint32 LE) + bytes``;
  raw records carry their shape so a truncated one is detected, not misread.
- ``meta_info.txt``: one line per clip, ``<clip> <frame_count> (<H>,<W>,<C>)``.
- Image files (frame folders) are read with OpenCV, in natural order of their names.

Frames here are BGR uint8 (H, W, C), as OpenCV reads and writes them; the datasets and
:mod:`vsrkit.io.streams` turn them into RGB.
"""
from __future__ import annotations

import os
import re
import struct
from dataclasses import dataclass

import cv2
import lmdb
import numpy as np

from vsrkit.errors import DataError

META_FILE = 'meta_info.txt'
IMAGE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp')
_PNG_MAGIC = b'\x89PNG\r\n\x1a\n'
_RAW_MAGIC = b'RAW1'
_RAW_HEADER = struct.Struct('<4sIII')
_META_LINE = re.compile(r'^(\S+)\s+(\d+)\s+\((\d+),\s*(\d+),\s*(\d+)\)\s*$')


@dataclass(frozen=True)
class ClipInfo:
    """One clip of a frame store: name, frame count and frame shape (H, W, C)."""
    name: str
    num_frames: int
    shape: tuple[int, int, int]

    def meta_line(self) -> str:
        h, w, c = self.shape
        return f'{self.name} {self.num_frames} ({h},{w},{c})'


def frame_key(clip: str, index: int) -> str:
    """``frame_key('calendar', 12) == 'calendar/00000012'``."""
    return f'{clip}/{index:08d}'


def split_key(key: str) -> tuple[str, int]:
    """Inverse of :func:`frame_key`."""
    clip, _, idx = key.rpartition('/')
    if not clip or not idx.isdigit():
        raise DataError(f"malformed frame key {key!r}: expected '<clip>/<8-digit index>'")
    return clip, int(idx)


def natural_key(text: str) -> list:
    """Sort key that orders ``im2`` before ``im10`` and ``B`` after ``a`` (names equal but for
    case keep a fixed order)."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r'(\d+)', text)], text


def read_meta_info(path: str) -> dict[str, ClipInfo]:
    """Parse ``meta_info.txt`` (path to the file or to the folder/LMDB holding it)."""
    meta = os.path.join(path, META_FILE) if os.path.isdir(path) else path
    if not os.path.isfile(meta):
        raise DataError(f'{meta}: missing (every LMDB made by data_prep has one)')
    clips: dict[str, ClipInfo] = {}
    with open(meta, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            m = _META_LINE.match(line)
            if m is None:
                raise DataError(f"{meta}:{lineno}: bad line {line.strip()!r}, "
                                "expected '<clip> <frame_count> (H,W,C)'")
            name, n, h, w, c = m.group(1), *(int(g) for g in m.groups()[1:])
            if name in clips:
                raise DataError(f'{meta}:{lineno}: clip {name!r} listed twice')
            clips[name] = ClipInfo(name, n, (h, w, c))
    if not clips:
        raise DataError(f'{meta}: lists no clips')
    return clips


def write_meta_info(path: str, clips: list[ClipInfo]) -> None:
    """Write ``meta_info.txt`` into the folder ``path``, clips in natural order."""
    lines = [c.meta_line() for c in sorted(clips, key=lambda c: natural_key(c.name))]
    with open(os.path.join(path, META_FILE), 'w', encoding='utf-8') as f:
        f.write('\n'.join(lines) + '\n')
        f.flush()
        os.fsync(f.fileno())


def encode_frame(img: np.ndarray, compress_level: int | None = 1) -> bytes:
    """BGR uint8 (H, W, C) -> PNG bytes (``compress_level`` 0-9) or a raw record (None)."""
    if img.dtype != np.uint8 or img.ndim != 3:
        raise ValueError(f'encode_frame: expected uint8 (H, W, C), got {img.dtype} {img.shape}')
    if compress_level is None:
        h, w, c = img.shape
        return _RAW_HEADER.pack(_RAW_MAGIC, h, w, c) + np.ascontiguousarray(img).tobytes()
    ok, buf = cv2.imencode('.png', img, [cv2.IMWRITE_PNG_COMPRESSION, int(compress_level)])
    if not ok:
        raise ValueError(f'encode_frame: PNG encoding failed for an image of shape {img.shape}')
    return buf.tobytes()


def decode_frame(buf: bytes, where: str) -> np.ndarray:
    """Record bytes -> BGR uint8 (H, W, C); ``where`` names the key/file for errors."""
    if buf[:8] == _PNG_MAGIC:
        try:
            img = cv2.imdecode(np.frombuffer(buf, np.uint8), cv2.IMREAD_UNCHANGED)
        except cv2.error as err:  # e.g. a header claiming an absurd size
            raise DataError(f'{where}: corrupt PNG record ({len(buf)} bytes): '
                            f'{str(err).strip().splitlines()[-1]}') from None
        if img is None:
            raise DataError(f'{where}: corrupt PNG record ({len(buf)} bytes)')
        if img.dtype != np.uint8:  # a 16-bit PNG would be read as values far above 1
            raise DataError(f'{where}: {img.dtype} PNG record, frames must be 8-bit')
        return img[:, :, None] if img.ndim == 2 else img
    if buf[:4] == _RAW_MAGIC and len(buf) >= _RAW_HEADER.size:
        _, h, w, c = _RAW_HEADER.unpack_from(buf)
        if len(buf) != _RAW_HEADER.size + h * w * c:
            raise DataError(f'{where}: corrupt raw record: {len(buf) - _RAW_HEADER.size} bytes '
                            f'for a ({h},{w},{c}) frame')
        return np.frombuffer(buf, np.uint8, offset=_RAW_HEADER.size).reshape(h, w, c)
    raise DataError(f'{where}: corrupt record (neither PNG nor raw, {len(buf)} bytes)')


def read_image(path: str) -> np.ndarray:
    """Read an image file as BGR uint8 (H, W, 3); DataError naming the file if unreadable."""
    if not os.path.isfile(path):
        raise DataError(f'{path}: no such image file')
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise DataError(f'{path}: unreadable or corrupt image')
    return img


def swap_rb(img: np.ndarray) -> np.ndarray:
    """RGB <-> BGR of an (H, W, 3) array, contiguous. A numpy copy, not ``cv2.cvtColor``: that
    would start OpenCV's thread pool, and a process forked afterwards (data preparation's
    workers) can hang on the pool's threads, which it does not inherit."""
    return np.ascontiguousarray(img[:, :, ::-1])


def write_image(path: str, img: np.ndarray, rgb: bool = False) -> None:
    """Write a uint8 (H, W, C) image file, format from the extension; ``rgb`` says the channels
    are RGB (default BGR, as OpenCV). DataError naming the file if it cannot be written."""
    if rgb and img.ndim == 3 and img.shape[2] == 3:
        img = swap_rb(img)
    try:
        ok = cv2.imwrite(path, img)
    except cv2.error:  # e.g. an extension OpenCV has no encoder for
        ok = False
    if not ok:
        raise DataError(f'{path}: could not write the image')


def is_image_path(path: str) -> bool:
    """True when ``path`` has an image extension (:data:`IMAGE_EXTENSIONS`)."""
    return path.lower().endswith(IMAGE_EXTENSIONS)


def list_images(folder: str) -> list[str]:
    """Image file names in ``folder``, naturally sorted."""
    return sorted((n for n in os.listdir(folder) if is_image_path(n)), key=natural_key)


# ----------------------------------------------------------------------------- frame stores

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
