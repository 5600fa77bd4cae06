"""The detail-revealing test: real frames seen through known sub-pixel translations.

Multi-frame SR can only beat single-frame SR where the neighbours carry samples the reference
lacks. Here that is certain: every item is one real GT frame, and its window holds the reference
(the frame itself) and ``T - 1`` copies translated by a random whole number of HR pixels
``(dx, dy)`` in ``[0, s)`` per axis, i.e. by ``d / s`` LR pixels: sub-pixel shifts of the LR
sampling grid. Each is then MATLAB-bicubic downscaled (BI). Translating by whole HR pixels needs
no interpolation, so the neighbours are exact downscales of the same scene on shifted grids, and
the flow is known exactly: pixel p of frame i lies at ``p + d_i / s`` in the reference.

Frames are cropped by ``s`` HR pixels on every side, so every shifted copy stays inside the
source frame; the GT is the reference's crop.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from mmengine.dataset import BaseDataset

from vsrkit.errors import ConfigError
from vsrkit.io.frames import frame_key, open_frame_store
from vsrkit.registry import DATASETS, vsrkit_scope

from .degradations import bicubic_downsample
from .video_datasets import bgr_to_float_rgb


@DATASETS.register_module()
class KnownShiftDataset(BaseDataset):
    """Every frame of a GT clip as a window of known sub-pixel translations (module docstring).

    Args:
        gt_path: GT LMDB or frame folder (e.g. ``data/demo/test_GT.lmdb``); frames must be
            divisible by ``scale``.
        num_frames: window length T (odd); the reference is frame ``T // 2`` (shift 0).
        scale: s.
        seed: item ``i``'s shifts depend only on (seed, i).
        clips: source clips (default all).
        backend: 'lmdb' or 'folder'.
        pipeline: transforms (e.g. RGBToY, PackVSRInputs); no geometric augmentation.

    Item (after ``PackVSRInputs``): ``dict(inputs=(T, C, h, w), data_samples=dict(gt=(C, s*h, s*w),
    flow_gt=(T, 2, h, w), key, clip, frame))`` with ``(h, w) = (H / s - 2, W / s - 2)`` for
    (H, W) frames, pixels in [0, 1], flow constant per frame, in LR pixels, zero at T // 2.
    """

    def __init__(self, gt_path: str, num_frames: int = 3, scale: int = 4, seed: int = 0,
                 clips: Sequence[str] | None = None, backend: str = 'lmdb',
                 pipeline: Sequence = (dict(type='PackVSRInputs'),)):
        if num_frames < 1 or num_frames % 2 == 0:
            raise ConfigError(f'KnownShiftDataset: num_frames must be odd and >= 1, got {num_frames!r}')
        if int(scale) != scale or scale < 2:
            raise ConfigError(f'KnownShiftDataset: scale must be an integer >= 2, got {scale!r}')
        self.num_frames, self.scale, self.seed = int(num_frames), int(scale), int(seed)
        self.store = open_frame_store(gt_path, backend)
        names = list(self.store.clips) if clips is None else list(clips)
        for name in names:
            if name not in self.store.clips:
                raise ConfigError(f'KnownShiftDataset: {gt_path}: no clip {name!r}')
            h, w = self.store.clips[name].shape[:2]
            if h % self.scale or w % self.scale or min(h, w) < 4 * self.scale:
                raise ConfigError(f'KnownShiftDataset: {gt_path}: clip {name!r} is {h}x{w}; frames '
                                  f'must be divisible by {self.scale} and at least {4 * self.scale} px')
        if not names:
            raise ConfigError(f'KnownShiftDataset: {gt_path}: no clips')
        self.clip_names = names
        metainfo = dict(clips=names, scale=self.scale, num_frames=self.num_frames)
        with vsrkit_scope():  # Compose builds the transforms from mmengine's root registry
            super().__init__(metainfo=metainfo, pipeline=list(pipeline))

    def load_data_list(self) -> list[dict]:
        return [dict(clip=n, frame=f) for n in self.clip_names
                for f in range(self.store.clips[n].num_frames)]

    def shifts(self, idx: int) -> np.ndarray:
        """(T, 2) HR-pixel translations (dx, dy) of item ``idx``'s frames, zero at T // 2."""
        rng = np.random.default_rng([self.seed, idx])
        d = rng.integers(0, self.scale, size=(self.num_frames, 2))
        d[self.num_frames // 2] = 0
        return d

    def prepare_data(self, idx: int) -> dict:
        """Item ``idx`` (its window made from the source frame) through the pipeline."""
        info = self.get_data_info(idx)
        clip, frame = info['clip'], info['frame']
        src = self.store.read(clip, frame)
        s = self.scale
        h, w = src.shape[0] - 2 * s, src.shape[1] - 2 * s
        lq, flows = [], []
        for dx, dy in self.shifts(idx):
            # Frame i's pixel q shows the scene at q + d: it lies at p + d / s in the reference.
            crop = src[s + dy:s + dy + h, s + dx:s + dx + w]
            lq.append(bgr_to_float_rgb(bicubic_downsample(crop, s)))
            flow = np.empty((h // s, w // s, 2), np.float32)
            flow[..., 0], flow[..., 1] = dx / s, dy / s
            flows.append(flow)
        results = dict(lq=lq, gt=bgr_to_float_rgb(src[s:s + h, s:s + w]), flow_gt=flows,
                       key=frame_key(clip, frame), clip=clip, frame=frame, scale=s)
        return self.pipeline(results)
