"""Convert videos or frame folders into LMDBs of GT and degraded LR frames (installed as
``vsrkit-create-lmdb``).

Examples (from the repository root):
  # every video in a folder, split into 100-frame clips, 1080p/720p sources resized to
  # 960 px wide first; GT + BI x2/x3/x4 + BD x4 ... as data/my/train_*.lmdb
  python data_prep/create_lmdb.py --layout video --input videos/ --out data/my --name train \\
      --resize-gt 960 --clip-length 100 --degradations BI BD --scales 2 3 4 --workers 4
  # Vimeo-90K septuplets (sep_trainlist.txt), GT + BIx4
  python data_prep/create_lmdb.py --layout vimeo90k --input vimeo_septuplet --split train \\
      --out data/vimeo --name train
  # REDS4 from train_sharp, Vid4 / SPMCS test folders
  python data_prep/create_lmdb.py --layout reds --input REDS/train_sharp --clips 000 011 015 020 \\
      --out data/reds --name REDS4
  python data_prep/create_lmdb.py --layout vid4 --input Vid4/GT --out data/vid4 --name Vid4
  python data_prep/create_lmdb.py --layout spmcs --input SPMCS --out data/spmcs --name SPMCS

Writes <out>/<name>_GT.lmdb and <out>/<name>_<BI|BD>x<s>.lmdb, each with meta_info.txt
('<clip> <frames> (H,W,C)') and prep_info.json (settings and which source frames each
clip holds). Keys are '<clip>/<8-digit frame index>', values PNG (BGR) or raw.
GT frames are cropped (bottom rows / right columns) so H and W are divisible by every
requested scale; the closing line says when that happened. LMDBs are written to
<name>.lmdb.partial and renamed when complete; re-running an interrupted command resumes
it (--restart starts clean), and a complete LMDB with the same settings is skipped.
"""
from __future__ import annotations

import argparse
import os
import sys

from . import entry_point, one_blas_thread_per_process

one_blas_thread_per_process()  # before numpy loads: the parallelism is --workers processes

from vsrkit.data_prep.convert import PrepSettings, ResizeSpec, build_lmdbs  # noqa: E402
from vsrkit.data_prep.sources import FrameSelection, folder_sources, video_sources, \
    vimeo90k_sources  # noqa: E402
from vsrkit.errors import ConfigError  # noqa: E402

LAYOUTS = ('video', 'vimeo90k', 'reds', 'vid4', 'spmcs', 'folder')


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog='create_lmdb.py', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--layout', choices=LAYOUTS, required=True,
                   help="video: video files or folders of them; vimeo90k: <root>/sequences + "
                        "sep_*list.txt; reds, vid4, folder: <root>/<clip>/*.png; spmcs: "
                        "<root>/<clip>/truth/*.png")
    p.add_argument('--input', nargs='+', required=True, help='video file(s)/folder(s), or the dataset root')
    p.add_argument('--out', required=True, help='output folder')
    p.add_argument('--name', required=True, help='LMDB name prefix, e.g. train -> train_GT.lmdb')
    g = p.add_argument_group('what to write')
    g.add_argument('--degradations', nargs='*', default=['BI'], choices=['BI', 'BD'],
                   help='LR degradations (default BI); none = GT only')
    g.add_argument('--scales', nargs='+', type=int, default=[4], choices=[2, 3, 4], help='default 4')
    g.add_argument('--no-gt', action='store_true', help='write the LR LMDBs only')
    g.add_argument('--bd-sigma', type=float, default=1.6, help='BD Gaussian sigma (default 1.6)')
    g.add_argument('--resize-gt', metavar='SIZE',
                   help='resize sources first: WxH (480x270), width (960) or factor (0.5)')
    g.add_argument('--compress-level', type=int, default=1, help='PNG compression 0-9 (default 1)')
    g.add_argument('--raw', action='store_true', help='store raw pixels instead of PNG (larger, faster)')
    g = p.add_argument_group('which frames')
    g.add_argument('--start', type=int, default=0, help='first source frame (default 0)')
    g.add_argument('--end', type=int, default=None, help='stop before this source frame')
    g.add_argument('--step', type=int, default=1, help='frame stride (default 1)')
    g.add_argument('--clip-length', type=int, help='split each source into clips of N frames '
                   '(<name>_000, <name>_001, ...)')
    g.add_argument('--split-at', type=int, nargs='+', default=[],
                   help='or start a new clip at these source frames (scene cuts)')
    g.add_argument('--clips', nargs='+', help='folder layouts: only these clip folders')
    g.add_argument('--subdir', help="folder layouts: frames are in <clip>/<subdir>/ "
                   "(spmcs: 'truth')")
    g.add_argument('--split', default='train', help="vimeo90k: 'train', 'test' or a list file")
    g = p.add_argument_group('how')
    g.add_argument('--workers', type=int, default=max(1, min(4, os.cpu_count() or 1)),
                   help='worker processes (default min(4, CPUs))')
    g.add_argument('--restart', action='store_true', help='discard an interrupted run instead of resuming it')
    g.add_argument('--overwrite', action='store_true',
                   help='replace existing LMDBs (the old one stays until the new one is complete)')
    g.add_argument('--no-progress', action='store_true', help='no progress bar')
    return p


def make_sources(args) -> list:
    resize = ResizeSpec.parse(args.resize_gt) if args.resize_gt else None
    common = dict(selection=FrameSelection(args.start, args.end, args.step),
                  clip_length=args.clip_length, split_at=args.split_at, resize=resize)
    if args.layout == 'video':
        return video_sources(args.input, **common)
    if len(args.input) != 1:
        raise ConfigError(f'--layout {args.layout} takes one --input root, got {len(args.input)}')
    root = args.input[0]
    if args.layout == 'vimeo90k':
        return vimeo90k_sources(root, args.split, **common)
    subdir = args.subdir or ('truth' if args.layout == 'spmcs' else None)
    return folder_sources(root, subdir=subdir, clips=args.clips, **common)


@entry_point('create_lmdb.py', interrupted='interrupted: nothing was renamed; re-run the same '
             'command to resume (or add --restart)')
def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    if args.clip_length is not None and args.clip_length < 1:
        raise ConfigError('--clip-length must be >= 1')
    settings = PrepSettings(degradations=tuple(args.degradations), scales=tuple(args.scales),
                            gt=not args.no_gt, bd_sigma=args.bd_sigma,
                            compress_level=None if args.raw else args.compress_level)
    summary = build_lmdbs(make_sources(args), args.out, args.name, settings,
                          workers=args.workers, restart=args.restart,
                          overwrite=args.overwrite, progress=not args.no_progress)
    print(summary.line())


if __name__ == '__main__':
    sys.exit(main())
