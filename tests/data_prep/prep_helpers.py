"""Helpers for the data_prep tests (uniquely named: see tests/datasets/ds_helpers.py)."""
import os

import cv2
import lmdb
import numpy as np

from vsrkit.datasets.frame_io import decode_frame


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
