"""Helpers for the dataset tests (a uniquely named module: several test folders have a
conftest.py, so ``from conftest import ...`` would be ambiguous in a full run)."""
import os

import lmdb
import numpy as np

from vsrkit.datasets.frame_io import ClipInfo, encode_frame, frame_key, write_meta_info


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
