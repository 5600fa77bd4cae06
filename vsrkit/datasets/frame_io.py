"""The on-disk frame format shared by ``data_prep/`` (writer) and the datasets (reader).

- Keys: ``<clip>/<8-digit frame index>`` (``calendar/00000012``); clip names may contain
  ``/`` (Vimeo-90K ``00001/0001``), so keys are split at the last ``/``.
- Values: a PNG (OpenCV, BGR) or a raw record ``b'RAW1' + H, W, C (uint32 LE) + bytes``;
  raw records carry their shape so a truncated one is detected, not misread.
- ``meta_info.txt``: one line per clip, ``<clip> <frame_count> (<H>,<W>,<C>)``.
"""
from __future__ import annotations

import os
import re
import struct
from dataclasses import dataclass

import cv2
import numpy as np

from .errors import DataError

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
    """Sort key that orders ``im2`` before ``im10``."""
    return [int(t) if t.isdigit() else t for t in re.split(r'(\d+)', text)]


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


def list_images(folder: str) -> list[str]:
    """Image file names in ``folder``, naturally sorted."""
    names = [n for n in os.listdir(folder) if n.lower().endswith(IMAGE_EXTENSIONS)]
    return sorted(names, key=natural_key)
