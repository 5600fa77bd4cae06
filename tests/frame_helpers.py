"""Test helpers for frames on disk: write an LMDB directly (bypassing data_prep, to make
broken ones), read one back, write frame folders. A uniquely named module: several test
folders have a conftest.py, so ``from conftest import ...`` would be ambiguous; pytest puts
tests/ on the import path for the root conftest.py."""
import os

import cv2
import lmdb
import numpy as np

from vsrkit.io.frames import ClipInfo, decode_frame, encode_frame, frame_key, write_meta_info


def write_lmdb(path, clips, compress_level=1, raw_values=None):
    """``clips``: {name: [BGR uint8 frames]} -> an LMDB at ``path`` with meta_info.txt.
    ``raw_values``: {key: bytes or None} stored instead of the encoded frame (None: key
    left out), to make missing keys and corrupt records."""
    os.makedirs(path, exist_ok=True)
    env = lmdb.open(str(path), map_size=1 << 28)
    with env.begin(write=True) as txn:
        for name, frames in clips.items():
            for i, f in enumerate(frames):
                key = frame_key(name, i)
                value = (raw_values or {}).get(key, encode_frame(f, compress_level))
                if value is not None:
                    txn.put(key.encode(), value)
    env.close()
    write_meta_info(str(path), [ClipInfo(n, len(f), f[0].shape) for n, f in clips.items()])
    return str(path)


def rgb01(bgr):
    """BGR uint8 -> RGB float32 in [0, 1], as the datasets return frames."""
    return bgr[:, :, ::-1].astype(np.float32) / 255.0


def records(path):
    """{key: value bytes} of an LMDB."""
    env = lmdb.open(str(path), readonly=True, lock=False)
    try:
        with env.begin() as txn:
            return {k.decode(): bytes(v) for k, v in txn.cursor()}
    finally:
        env.close()


def frames_of(path):
    """{key: decoded BGR frame} of an LMDB."""
    return {k: decode_frame(v, k) for k, v in records(path).items()}


def write_frames(folder, frames, names=None):
    os.makedirs(folder, exist_ok=True)
    for i, f in enumerate(frames):
        cv2.imwrite(os.path.join(folder, names[i] if names else f'{i:08d}.png'), f)


def meta(path):
    with open(os.path.join(path, 'meta_info.txt')) as f:
        return f.read()


def assert_same_lmdb(a, b):
    ra, rb = records(a), records(b)
    assert sorted(ra) == sorted(rb)
    for k in ra:
        assert ra[k] == rb[k], k
    assert meta(a) == meta(b)


def rounded(x):
    return np.clip(np.round(x), 0, 255).astype(np.uint8)
