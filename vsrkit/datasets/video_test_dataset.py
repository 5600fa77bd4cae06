"""Evaluation dataset: every frame of every clip, in order, with its window."""
from __future__ import annotations

from typing import Sequence

from ..registry import DATASETS, ConfigError
from .base import VideoWindowDataset


@DATASETS.register_module()
class VideoTestDataset(VideoWindowDataset):
    """Every frame of every selected clip as a centre frame, clip by clip, in frame order.

    Items are as in :class:`LMDBVideoDataset` (window of ``num_frames`` LR frames reflected
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
        super().__init__(gt_path, lq_path, num_frames, 1, scale, list(pipeline), backend,
                         clips, degradation, skip_corrupt)
        if max_frames is not None and max_frames < 1:
            raise ConfigError(f'max_frames must be >= 1, got {max_frames!r}')
        self.max_frames = max_frames
        self._items = [(name, f) for name, info in self.clips.items()
                       for f in range(min(info.num_frames, max_frames or info.num_frames))]

    def __len__(self) -> int:
        return len(self._items)

    def _index(self, idx: int) -> tuple[str, int]:
        if not 0 <= idx < len(self._items):
            raise IndexError(f'VideoTestDataset index {idx} out of range [0, {len(self)})')
        return self._items[idx]
