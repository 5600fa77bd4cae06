"""Training dataset: windows of LR frames around a centre frame, with its GT frame."""
from __future__ import annotations

from typing import Sequence

from ..registry import DATASETS, ConfigError
from .base import VideoWindowDataset


@DATASETS.register_module()
class LMDBVideoDataset(VideoWindowDataset):
    """Samples (clip, centre frame) pairs from GT and LR LMDBs for training.

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

    def __init__(self, gt_path: str, lq_path: str | None, num_frames: int = 3, interval: int = 1,
                 scale: int = 4, pipeline: Sequence = (), samples_per_epoch: int | None = None,
                 backend: str = 'lmdb', clips: Sequence[str] | None = None,
                 degradation: str = 'BI', skip_corrupt: bool = False):
        if gt_path is None:
            raise ConfigError('LMDBVideoDataset: gt_path is required for training')
        super().__init__(gt_path, lq_path, num_frames, interval, scale, pipeline, backend,
                         clips, degradation, skip_corrupt)
        self._centres = [(name, f) for name, info in self.clips.items()
                         for f in range(info.num_frames)]
        if samples_per_epoch is not None and samples_per_epoch < 1:
            raise ConfigError(f'samples_per_epoch must be >= 1, got {samples_per_epoch!r}')
        self.samples_per_epoch = samples_per_epoch

    def __len__(self) -> int:
        return self.samples_per_epoch or len(self._centres)

    def _index(self, idx: int) -> tuple[str, int]:
        if not 0 <= idx < len(self):
            raise IndexError(f'LMDBVideoDataset index {idx} out of range [0, {len(self)})')
        return self._centres[idx % len(self._centres)]
