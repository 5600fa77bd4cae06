"""What the training and test video datasets share: paired GT/LR frame stores checked
against each other, frame windows with reflected borders, the transform pipeline, and
``skip_corrupt``.
"""
from __future__ import annotations

import random
from typing import Callable, Sequence

import numpy as np
from mmengine.logging import print_log

from ..registry import TRANSFORMS, ConfigError
from .degradations import DEGRADATIONS, crop_to_multiple, degrade
from .errors import DataError
from .frame_io import ClipInfo, frame_key
from .frame_stores import FrameStore, open_frame_store


def reflect_index(i: int, n: int) -> int:
    """Map any integer to [0, n) by reflection about the end frames without repeating
    them (..., 2, 1, [0, 1, ..., n-1], n-2, ...), as mmagic's 'reflection' padding."""
    if n == 1:
        return 0
    period = 2 * (n - 1)
    i %= period
    return i if i < n else period - i


def window_indices(centre: int, n: int, num_frames: int, interval: int = 1) -> list[int]:
    """Indices of the ``num_frames`` window around ``centre`` (step ``interval``), reflected
    at the clip ends; the centre is entry ``num_frames // 2``."""
    half = num_frames // 2
    return [reflect_index(centre + k * interval, n) for k in range(-half, half + 1)]


def build_pipeline(pipeline: Sequence | None) -> list[Callable]:
    """Transforms from configs (``dict(type=...)``, built from TRANSFORMS) or callables."""
    out = []
    for t in pipeline or []:
        if isinstance(t, dict):
            out.append(TRANSFORMS.build(t))
        elif callable(t):
            out.append(t)
        else:
            raise ConfigError(f'pipeline entries must be dicts or callables, got {t!r}')
    return out


def bgr_to_float_rgb(img: np.ndarray) -> np.ndarray:
    """BGR uint8 (H, W, 3) -> RGB float32 in [0, 1]; single-channel frames stay (H, W, 1)."""
    if img.shape[2] == 3:
        img = img[:, :, ::-1]
    out = np.ascontiguousarray(img, dtype=np.float32)
    return np.divide(out, np.float32(255.0), out=out)  # in place: frames are the big arrays


class PairedVideoFrames:
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

    def load(self, clip: str, indices: Sequence[int], with_gt: bool, gt_index: int):
        """LR frames ``indices`` and GT frame ``gt_index`` as RGB float32 in [0, 1]."""
        if self.lq is not None:
            lq = [bgr_to_float_rgb(self.lq.read(clip, i)) for i in indices]
            gt = bgr_to_float_rgb(self.gt.read(clip, gt_index)) if with_gt and self.gt else None
            return lq, gt
        # On-the-fly degradation: each GT frame is read and degraded once per window.
        cache: dict[int, np.ndarray] = {}
        for i in set(indices) | ({gt_index} if with_gt else set()):
            cache[i] = crop_to_multiple(self.gt.read(clip, i), self.scale)
        lq = [bgr_to_float_rgb(degrade(cache[i], self.degradation, self.scale)) for i in indices]
        gt = bgr_to_float_rgb(cache[gt_index]) if with_gt else None
        return lq, gt


class VideoWindowDataset:
    """Base of the video datasets: item ``i`` is a centre frame (clip, frame) whose window
    of ``num_frames`` LR frames and GT frame go through ``pipeline``.

    Subclasses define ``_index`` (item -> (clip, frame)) and ``__len__``.
    """

    def __init__(self, gt_path, lq_path, num_frames: int, interval: int, scale: int,
                 pipeline, backend: str, clips, degradation: str, skip_corrupt: bool):
        if num_frames < 1 or num_frames % 2 == 0:
            raise ConfigError(f'num_frames must be odd and >= 1 (3, 5, 7), got {num_frames!r}')
        intervals = list(interval) if isinstance(interval, (list, tuple)) else [interval]
        if not intervals or any(int(i) != i or i < 1 for i in intervals):
            raise ConfigError(f'interval must be an integer >= 1 or a list of them, got {interval!r}')
        self.num_frames = int(num_frames)
        # A list draws the frame step per item (BasicSR's interval_list): more kinds of motion.
        self.interval = [int(i) for i in intervals] if isinstance(interval, (list, tuple)) else int(interval)
        self.scale = int(scale)
        self.frames = PairedVideoFrames(gt_path, lq_path, scale, backend, clips, degradation)
        self.pipeline = build_pipeline(pipeline)
        self.skip_corrupt = bool(skip_corrupt)

    @property
    def clips(self) -> dict[str, ClipInfo]:
        return self.frames.clips

    @property
    def metainfo(self) -> dict:
        """Read by mmengine's loops (visualizer / evaluator ``dataset_meta``)."""
        return dict(clips=list(self.clips), scale=self.scale, num_frames=self.num_frames,
                    interval=self.interval)

    def _index(self, idx: int) -> tuple[str, int]:
        raise NotImplementedError

    def prepare(self, idx: int) -> dict:
        """The transformed item ``idx`` (raises DataError on bad data)."""
        clip, frame = self._index(idx)
        n = self.clips[clip].num_frames
        interval = (self.interval if isinstance(self.interval, int)
                    else self.interval[np.random.randint(len(self.interval))])
        indices = window_indices(frame, n, self.num_frames, interval)
        with_gt = self.frames.gt is not None
        lq, gt = self.frames.load(clip, indices, with_gt, frame)
        results = dict(lq=lq, key=frame_key(clip, frame), clip=clip, frame=frame,
                       scale=self.scale, lq_indices=indices)
        if gt is not None:
            results['gt'] = gt
        for t in self.pipeline:
            results = t(results)
        return results

    def __getitem__(self, idx: int) -> dict:
        if not self.skip_corrupt:
            return self.prepare(idx)
        for _ in range(20):
            try:
                return self.prepare(idx)
            except DataError as err:
                print_log(f'skip_corrupt: skipping item {idx}: {err}', logger='current',
                          level=30)
                idx = random.randrange(len(self))
        raise DataError(f'skip_corrupt: 20 corrupt items in a row, last: item {idx}')
