"""Fuzz driver (run as a subprocess by test_fuzz_frames.py, so a hard crash shows as a
non-zero exit status): corrupted PNG records and random-shaped arrays are written into an
LMDB and a frame folder and read back through the datasets. Every item must load as a valid
item or raise DataError. Prints one JSON line: counts, and any other outcome."""
import json
import os
import sys
import traceback

import cv2
import lmdb
import numpy as np

from vsrkit.datasets import VideoTestDataset
from vsrkit.errors import DataError
from vsrkit.io.frames import ClipInfo, encode_frame, frame_key, write_meta_info

H, W = 12, 16


def mutate(buf: bytes, rng) -> bytes:
    b = bytearray(buf)
    op = rng.integers(6)
    if op == 0:  # flip a few bytes (header, chunk data or CRCs alike)
        for i in rng.integers(0, len(b), rng.integers(1, 8)):
            b[i] = rng.integers(256)
    elif op == 1:  # truncate
        b = b[:rng.integers(0, len(b))]
    elif op == 2:  # a run of zeros or 0xFF
        i = rng.integers(0, len(b))
        b[i:i + rng.integers(1, 64)] = bytes([0 if rng.random() < 0.5 else 255]) * 64
    elif op == 3:  # random bytes inserted
        i = rng.integers(0, len(b))
        b[i:i] = rng.integers(0, 256, rng.integers(1, 32)).astype(np.uint8).tobytes()
    elif op == 4:  # chunk bytes swapped around
        i, j = sorted(rng.integers(8, len(b), 2))
        b[i:j] = b[i:j][::-1]
    else:  # huge IHDR size (decompression bomb header)
        b[16:24] = rng.integers(0, 256, 8).astype(np.uint8).tobytes()
    return bytes(b)


def random_array_record(rng) -> bytes:
    # half of them of the clip's size, so only channels/dtype betray them
    h, w = (int(v) for v in rng.integers(0, 24, 2)) if rng.random() < 0.5 else (H, W)
    c = int(rng.choice([1, 2, 3, 4]))
    dtype = np.uint16 if rng.random() < 0.3 else np.uint8
    arr = rng.integers(0, np.iinfo(dtype).max, (max(h, 1), max(w, 1), c)).astype(dtype)
    if rng.random() < 0.5 and dtype == np.uint8:
        return encode_frame(arr, None)  # a raw record of the wrong shape
    ok, buf = cv2.imencode('.png', arr if c != 2 else arr[:, :, 0])
    return buf.tobytes()


def main(out_dir: str, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    good = rng.integers(0, 256, (H, W, 3)).astype(np.uint8)
    base = encode_frame(good, 1)
    records = [mutate(base, rng) if k % 3 else random_array_record(rng) for k in range(n)]
    records[0] = base  # one known-good record
    db = os.path.join(out_dir, 'fuzz.lmdb')
    env = lmdb.open(db, map_size=1 << 26)
    with env.begin(write=True) as txn:
        for k, rec in enumerate(records):
            txn.put(frame_key('fuzz', k).encode(), rec)
    env.close()
    write_meta_info(db, [ClipInfo('fuzz', n, (H, W, 3))])
    folder = os.path.join(out_dir, 'frames', 'fuzz')
    os.makedirs(folder)
    for k, rec in enumerate(records):
        with open(os.path.join(folder, f'{k:05d}.png'), 'wb') as f:
            f.write(rec)
    counts = dict(loaded=0, data_error=0)
    other = []
    for backend, path in (('lmdb', db), ('folder', os.path.join(out_dir, 'frames'))):
        try:
            ds = VideoTestDataset(None, path, num_frames=1, scale=1, backend=backend)
        except DataError as err:  # the folder store reads frame 0 (good) to learn the shape
            other.append(f'{backend}: dataset construction failed: {err}')
            continue
        for k in range(len(ds)):
            try:
                x = ds[k]['inputs']
                assert tuple(x.shape) == (1, 3, H, W) and x.dtype.is_floating_point
                assert float(x.min()) >= 0 and float(x.max()) <= 1
                counts['loaded'] += 1
            except DataError as err:
                assert '\n' not in str(err) and frame_key('fuzz', k) in str(err) or \
                    f'{k:05d}.png' in str(err), str(err)
                counts['data_error'] += 1
            except Exception:  # noqa: BLE001 - anything else is a finding
                other.append(f'{backend} item {k}: {traceback.format_exc(limit=3)}')
    print(json.dumps(dict(counts, other=other[:10], n_other=len(other))))


if __name__ == '__main__':
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
