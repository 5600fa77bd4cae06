"""Frame windows, and the video datasets made of them.

A window is the ``num_frames`` frames around a centre frame, reflected at the clip ends; the
centre is entry ``num_frames // 2``. One definition for training, evaluation and inference:
the datasets take each item's window from :func:`window_indices`, streaming inference slides
:func:`sliding_windows` over frames it reads one at a time.

The datasets, on mmengine's ``BaseDataset``: :class:`VideoTrainDataset` (windows around
sampled centre frames, for training) and :class:`VideoTestDataset` (every frame of every clip, in
order, for evaluation), over a GT and an LR frame store (LMDB or frame folder) checked to agree,
or LR made from GT on the fly. An item is a centre frame. ``load_data_list`` lists each item once
as ``dict(clip, frame, key, scale)``; ``prepare_data`` takes its window (``lq_indices``), reads
the window's LR frames and the GT frame as float32 RGB in [0, 1] and runs the config's
``pipeline`` (mmengine's ``Compose``; :mod:`vsrkit.datasets.transforms`). With
``skip_corrupt`` a :class:`DataError` is logged and the item replaced by a random other one
through ``BaseDataset``'s refetch.
"""
from __future__ import annotations

import logging
from collections import deque
from typing import Iterable, Iterator, Sequence, TypeVar

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from vsrkit.errors import ConfigError, DataError
from vsrkit.io.frames import ClipInfo, FrameStore, frame_key, open_frame_store
from vsrkit.registry import DATASETS, vsrkit_scope

from .degradations import DEGRADATIONS, crop_to_multiple, degrade

# ----------------------------------------------------------------------------- frame windows

T = TypeVar('T')


def reflect_index(i: int, n: int) -> int:
    """Mirror an out-of-range frame index into [0, n) without repeating the edge frame.

    ``-1 -> 1``, ``-2 -> 2``, ``n -> n - 2`` (numpy's 'reflect' mode, mmagic's 'reflection'
    padding), applied repeatedly when the window is longer than the clip (period
    ``2 (n - 1)``); a 1-frame clip maps everything to 0.
    """
    if n <= 0:
        raise ValueError(f'reflect_index: clip length must be positive, got {n}')
    if n == 1:
        return 0
    period = 2 * (n - 1)
    i %= period
    return i if i < n else period - i


def window_indices(centre: int, n: int, num_frames: int, interval: int = 1) -> list[int]:
    """Indices of the ``num_frames`` frames ``centre + k * interval`` (k = -T//2 .. ) of an
    n-frame clip, reflected at its ends."""
    half = num_frames // 2
    return [reflect_index(centre + (k - half) * interval, n) for k in range(num_frames)]


def sliding_windows(frames: Iterable[T], num_frames: int) -> Iterator[tuple[int, list[T]]]:
    """Yield ``(i, window)`` for every frame i of a stream, window = :func:`window_indices`.

    Only the frames ``i - r .. i + r`` (r = num_frames // 2) are held at any time, so memory
    does not depend on the stream length. The clip length is learnt when the stream ends;
    reflected indices then always fall inside the held range (a window longer than the clip
    already holds the whole clip).
    """
    if num_frames < 1:
        raise ValueError(f'sliding_windows: num_frames must be >= 1, got {num_frames}')
    r = num_frames // 2
    it = iter(frames)
    held: deque[tuple[int, T]] = deque()  # (index, frame), consecutive indices
    n = None  # clip length, known once the stream is exhausted
    next_read = 0
    i = 0
    while n is None or i < n:
        # Read ahead until frame i + r is held or the stream ends.
        while n is None and next_read <= i + r:
            try:
                held.append((next_read, next(it)))
                next_read += 1
            except StopIteration:
                n = next_read
        if n is not None and i >= n:
            return
        while held and held[0][0] < i - r:
            held.popleft()
        by_index = dict(held)
        if n is None:  # only the start can be out of range yet; |j| <= r < frames read
            idx = [abs(j) for j in range(i - r, i - r + num_frames)]
        else:
            idx = window_indices(i, n, num_frames)
        yield i, [by_index[j] for j in idx]
        i += 1


# ----------------------------------------------------------------------------- datasets

# skip_corrupt gives up (DataError) after this many corrupt items in a row: the data is then
# broken at large, not in a few records.
MAX_CORRUPT_IN_A_ROW = 20


def bgr_to_float_rgb(img: np.ndarray) -> np.ndarray:
    """BGR uint8 (H, W, 3) -> RGB float32 in [0, 1]; single-channel frames stay (H, W, 1)."""
    if img.shape[2] == 3:
        img = img[:, :, ::-1]
    out = np.ascontiguousarray(img, dtype=np.float32)
    return np.divide(out, np.float32(255.0), out=out)  # in place: frames are the big arrays


class PairedFrameStores:
    """A GT store and an LR store (or an on-the-fly degradation of GT), checked to agree.

    Args:
        gt_path: GT LMDB / frame folder, or None (LR only: GT-less inference).
        lq_path: LR LMDB / frame folder, or None to degrade GT on the fly with
            ``degradation`` (GT is then cropped to a multiple of ``scale``).
        scale: GT size / LR size (integer).
        backend: 'lmdb' or 'folder' (both stores).
        clips: subset of clip names (default: all, in natural order).
        degradation: 'BI' or 'BD', used only when ``lq_path`` is None.
    """

    def __init__(self, gt_path: str | None, lq_path: str | None, scale: int, backend: str,
                 clips: Sequence[str] | None, degradation: str = 'BI'):
        if backend not in ('lmdb', 'folder'):
            raise ConfigError(f"backend must be 'lmdb' or 'folder', got {backend!r}")
        if gt_path is None and lq_path is None:
            raise ConfigError('give gt_path, lq_path or both')
        if degradation not in DEGRADATIONS:
            raise ConfigError(f'degradation must be one of {DEGRADATIONS}, got {degradation!r}')
        if int(scale) != scale or scale < 1:
            raise ConfigError(f'scale must be a positive integer, got {scale!r}')
        self.scale = int(scale)
        self.degradation = degradation
        self.gt: FrameStore | None = open_frame_store(gt_path, backend) if gt_path else None
        self.lq: FrameStore | None = open_frame_store(lq_path, backend) if lq_path else None
        ref = self.lq or self.gt
        names = list(ref.clips) if clips is None else list(clips)
        for name in names:
            for store in (self.gt, self.lq):
                if store is not None and name not in store.clips:
                    raise DataError(f'{store.path}: no clip {name!r}')
        if not names:
            raise DataError(f'{ref.path}: no clips selected')
        self.clips: dict[str, ClipInfo] = {n: ref.clips[n] for n in names}
        if self.gt is not None and self.lq is not None:
            for name in names:
                self._check_pair(self.gt.clips[name], self.lq.clips[name])

    def _check_pair(self, gt: ClipInfo, lq: ClipInfo) -> None:
        if gt.num_frames != lq.num_frames:
            raise DataError(f'clip {gt.name!r}: {gt.num_frames} GT frames in {self.gt.path} but '
                            f'{lq.num_frames} LR frames in {self.lq.path}')
        s = self.scale
        if gt.shape[:2] != (lq.shape[0] * s, lq.shape[1] * s) or gt.shape[2] != lq.shape[2]:
            raise DataError(f'clip {gt.name!r}: GT/LR size mismatch: GT {gt.shape} in {self.gt.path}, '
                            f'LR {lq.shape} in {self.lq.path}, expected GT = LR x {s}')

    def load(self, clip: str, lq_indices: Sequence[int], gt_index: int):
        """(LR frames ``lq_indices``, GT frame ``gt_index`` or None without GT), float32 RGB in
        [0, 1]."""
        if self.lq is not None:
            lq = [bgr_to_float_rgb(self.lq.read(clip, i)) for i in lq_indices]
            gt = bgr_to_float_rgb(self.gt.read(clip, gt_index)) if self.gt else None
            return lq, gt
        # On-the-fly degradation: each GT frame is read and degraded once per window.
        cache = {i: crop_to_multiple(self.gt.read(clip, i), self.scale)
                 for i in set(lq_indices) | {gt_index}}
        lq = [bgr_to_float_rgb(degrade(cache[i], self.degradation, self.scale)) for i in lq_indices]
        return lq, bgr_to_float_rgb(cache[gt_index])


class VideoWindowDataset(BaseDataset):
    """Base of the video datasets: item ``i`` is a centre frame (clip, frame) whose window of
    ``num_frames`` LR frames (step ``interval``, or one drawn per item from a list of steps;
    reflected at the clip ends) and GT frame go through ``pipeline``. Subclasses list the
    centres (:meth:`centres`).
    """

    def __init__(self, gt_path, lq_path, num_frames: int, interval: int, scale: int,
                 pipeline: Sequence, backend: str, clips, degradation: str, skip_corrupt: bool):
        if num_frames < 1 or num_frames % 2 == 0:
            raise ConfigError(f'num_frames must be odd and >= 1 (3, 5, 7), got {num_frames!r}')
        intervals = list(interval) if isinstance(interval, (list, tuple)) else [interval]
        if not intervals or any(int(i) != i or i < 1 for i in intervals):
            raise ConfigError(f'interval must be an integer >= 1 or a list of them, got {interval!r}')
        self.num_frames, self.scale = int(num_frames), int(scale)
        # A list draws the frame step per item (BasicSR's interval_list): more kinds of motion.
        self.interval = [int(i) for i in intervals] if isinstance(interval, (list, tuple)) else int(interval)
        self.frames = PairedFrameStores(gt_path, lq_path, scale, backend, clips, degradation)
        self.skip_corrupt = bool(skip_corrupt)
        self._corrupt_in_a_row = 0
        metainfo = dict(clips=list(self.clips), scale=self.scale, num_frames=self.num_frames,
                        interval=self.interval)
        # Compose builds the transforms through mmengine's root registry; under vsrkit's scope
        # that finds vsrkit's transforms, also when no Runner has set the scope.
        with vsrkit_scope():
            super().__init__(metainfo=metainfo, pipeline=list(pipeline),
                             max_refetch=MAX_CORRUPT_IN_A_ROW - 1 if self.skip_corrupt else 0)

    @property
    def clips(self) -> dict[str, ClipInfo]:
        return self.frames.clips

    def centres(self) -> list[tuple[str, int]]:
        """(clip, frame) of every item, in item order."""
        raise NotImplementedError

    def load_data_list(self) -> list[dict]:
        return [dict(clip=clip, frame=frame, key=frame_key(clip, frame), scale=self.scale)
                for clip, frame in self.centres()]

    def window(self, clip: str, frame: int) -> list[int]:
        """The LR frame indices of the window around ``frame`` (the step drawn here when
        ``interval`` is a list)."""
        interval = (self.interval if isinstance(self.interval, int)
                    else self.interval[np.random.randint(len(self.interval))])
        return window_indices(frame, self.clips[clip].num_frames, self.num_frames, interval)

    def prepare_data(self, idx: int) -> dict | None:
        """The transformed item ``idx``; None (BaseDataset then draws another item) for a
        corrupt one under ``skip_corrupt``, else its DataError."""
        results = self.get_data_info(idx)
        results['lq_indices'] = self.window(results['clip'], results['frame'])
        try:
            results['lq'], gt = self.frames.load(results['clip'], results['lq_indices'],
                                                 results['frame'])
            if gt is not None:
                results['gt'] = gt
            item = self.pipeline(results)
        except DataError as err:
            if not self.skip_corrupt:
                raise
            self._corrupt_in_a_row += 1
            if self._corrupt_in_a_row >= MAX_CORRUPT_IN_A_ROW:
                self._corrupt_in_a_row = 0
                raise DataError(f'skip_corrupt: {MAX_CORRUPT_IN_A_ROW} corrupt items in a row, '
                                f'last: item {idx}: {err}') from None
            print_log(f'skip_corrupt: skipping item {idx}: {err}', logger='current',
                      level=logging.WARNING)
            return None
        self._corrupt_in_a_row = 0
        return item


@DATASETS.register_module()
class VideoTrainDataset(VideoWindowDataset):
    """Windows of LR frames around centre frames, with the GT centre frame, for training.

    Item ``i`` is centre frame ``i mod N`` of the N frames of all clips (clip order, then
    frame order), so a shuffling sampler draws clips in proportion to their length and
    every frame is a centre equally often. Its window holds ``num_frames`` LR frames
    ``centre + k * interval`` (k = -T..T), reflected at the clip ends.

    Before the pipeline an item is ``results = dict(lq=[T x (h, w, C) float32 RGB in [0, 1]],
    gt=(H, W, C) float32, key='clip/00000012', clip, frame, scale, lq_indices)``; the
    usual pipeline (PairedRandomCrop, RandomFlipTranspose, [RGBToY], PackVSRInputs) turns
    it into ``dict(inputs=(T, C, h, w), data_samples=dict(gt=(C, H, W), key, clip, frame))``.

    Args:
        gt_path: GT LMDB (or frame folder with ``backend='folder'``).
        lq_path: LR LMDB / folder; None degrades GT on the fly with ``degradation``
            (slow: meant for quick experiments, not for training throughput).
        num_frames: window length (odd: 3, 5, 7).
        interval: frame step inside the window, or a list of steps to draw from per item.
        scale: GT / LR size ratio; checked against the stores' shapes.
        pipeline: transform configs (TRANSFORMS) or callables.
        samples_per_epoch: dataset length; default the number of frames. A long epoch
            keeps mmengine's epoch loop from restarting workers often; with
            ``InfiniteSampler`` it does not matter.
        backend: 'lmdb' or 'folder'.
        clips: names of the clips to use (default all).
        degradation: 'BI' or 'BD' for on-the-fly LR (only when ``lq_path`` is None).
        skip_corrupt: on a DataError, log it and draw another item instead of raising.
    """

    def __init__(self, gt_path: str, lq_path: str | None, num_frames: int = 3,
                 interval: int | Sequence[int] = 1,
                 scale: int = 4, pipeline: Sequence = (), samples_per_epoch: int | None = None,
                 backend: str = 'lmdb', clips: Sequence[str] | None = None,
                 degradation: str = 'BI', skip_corrupt: bool = False):
        if gt_path is None:
            raise ConfigError('VideoTrainDataset: gt_path is required for training')
        if samples_per_epoch is not None and samples_per_epoch < 1:
            raise ConfigError(f'samples_per_epoch must be >= 1, got {samples_per_epoch!r}')
        self.samples_per_epoch = samples_per_epoch
        super().__init__(gt_path, lq_path, num_frames, interval, scale, pipeline, backend,
                         clips, degradation, skip_corrupt)

    def centres(self) -> list[tuple[str, int]]:
        every = [(name, f) for name, info in self.clips.items() for f in range(info.num_frames)]
        return [every[i % len(every)] for i in range(self.samples_per_epoch or len(every))]


@DATASETS.register_module()
class VideoTestDataset(VideoWindowDataset):
    """Every frame of every selected clip as a centre frame, clip by clip, in frame order.

    Items are as in :class:`VideoTrainDataset` (window of ``num_frames`` LR frames reflected
    at the clip ends, ``interval`` 1); the default pipeline only packs them:
    ``dict(inputs=(T, C, h, w), data_samples=dict(gt=(C, H, W), key, clip, frame))``.

    Args:
        gt_path: GT LMDB / frame folder; None for GT-less inference (no ``gt`` in items).
        lq_path: LR LMDB / frame folder; None makes LR from GT on the fly with
            ``degradation`` (so a GT-only frame folder is a test set).
        num_frames: window length (odd).
        scale: GT / LR size ratio.
        backend: 'lmdb' or 'folder'.
        pipeline: transform configs; default ``[dict(type='PackVSRInputs')]``.
        clips: clip names to evaluate (default all, natural order).
        max_frames: use only the first ``max_frames`` frames of each clip (quick checks).
        degradation: 'BI' or 'BD' (only when ``lq_path`` is None).
        skip_corrupt: on a DataError, log it and use another item instead of raising.
    """

    def __init__(self, gt_path: str | None, lq_path: str | None, num_frames: int = 3,
                 scale: int = 4, backend: str = 'lmdb',
                 pipeline: Sequence = (dict(type='PackVSRInputs'),),
                 clips: Sequence[str] | None = None, max_frames: int | None = None,
                 degradation: str = 'BI', skip_corrupt: bool = False):
        if max_frames is not None and max_frames < 1:
            raise ConfigError(f'max_frames must be >= 1, got {max_frames!r}')
        self.max_frames = max_frames
        super().__init__(gt_path, lq_path, num_frames, 1, scale, pipeline, backend,
                         clips, degradation, skip_corrupt)

    def centres(self) -> list[tuple[str, int]]:
        return [(name, f) for name, info in self.clips.items()
                for f in range(min(info.num_frames, self.max_frames or info.num_frames))]
