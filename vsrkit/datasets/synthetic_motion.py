"""Known-motion windows: real frames moved by known smooth sub-pixel flow fields.

Motion estimation can only be scored (end-point error, EPE) where the true flow is known.
This dataset takes real frames (any GT LMDB / frame folder, e.g. the demo set cut from the
bundled videos) and makes each non-reference frame of a window by warping the reference with
a random smooth flow, so every item carries its exact ``flow_gt``.

Construction of one item (all random draws come from ``seed`` and the item index, so a test
set is the same on every run and machine):

1. Pick a clip and frame and an HR crop of ``(p + 2m) * s`` pixels (``p`` the LR patch size,
   ``m`` a margin of ``ceil(max_flow) + 2`` LR pixels, ``s`` the scale).
2. For every frame ``i != k`` of the window draw a flow ``f_i(u, v)`` in LR pixels on continuous
   LR coordinates: a global translation plus two low-frequency sinusoids, scaled so that
   ``|f_i| <= max_flow``. Frame k has zero flow.
3. Frame i at HR: ``I_i(q) = I_0(q + s * f_i(u(q)))`` with ``u(q) = (q + 0.5) / s - 0.5`` the LR
   coordinate of HR pixel q (pixel-centre alignment of bicubic resizing). This is the
   toolkit's flow convention: pixel p of frame i lies at ``p + F_{i->0}(p)`` in frame 0.
4. Crop the margin away (so no sample ever leaves the source frame: no holes), round to 8 bit
   and downsample with MATLAB bicubic (``BI``). ``flow_gt`` is ``f_i`` at the LR pixel centres.
   Because the flows are smooth, warping before downsampling equals downsampling before
   warping up to interpolation error: backward-warping the LR reference by ``flow_gt``
   reproduces LR frame i with a mean residual of ~0.01 (in [0, 1]), against ~0.02-0.05 for
   zero flow (tests/benchmarks/test_synthetic_motion.py checks this gap).
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch

from mmengine.dataset import BaseDataset

from vsrkit.errors import ConfigError
from vsrkit.io.frames import frame_key, open_frame_store
from vsrkit.ops import backward_warp
from vsrkit.registry import DATASETS, vsrkit_scope

from .degradations import bicubic_downsample
from .video_datasets import bgr_to_float_rgb


def smooth_flow(rng: np.random.Generator, u: np.ndarray, v: np.ndarray, max_flow: float) -> np.ndarray:
    """A random smooth flow (H, W, 2) (x then y, LR pixels) on coordinate grids ``u, v`` (H, W).

    Half of the magnitude budget is a global translation, half two sinusoids with periods of
    24-64 LR pixels; the result is clipped to norm ``max_flow``.
    """
    out = np.empty(u.shape + (2,), np.float64)
    for c in range(2):
        field = rng.uniform(-0.5, 0.5) * max_flow
        for _ in range(2):
            period = rng.uniform(24.0, 64.0)
            angle = rng.uniform(0.0, 2 * math.pi)
            phase = rng.uniform(0.0, 2 * math.pi)
            amp = rng.uniform(0.0, 0.25) * max_flow
            field = field + amp * np.sin(2 * math.pi * (u * math.cos(angle) + v * math.sin(angle))
                                         / period + phase)
        out[..., c] = field
    norm = np.linalg.norm(out, axis=-1, keepdims=True)
    return out * np.minimum(1.0, max_flow / np.maximum(norm, 1e-12))


@DATASETS.register_module()
class SyntheticMotionDataset(BaseDataset):
    """Windows of real frames with known synthetic motion (see the module docstring).

    Args:
        gt_path: GT LMDB or frame folder holding the source frames (e.g.
            ``data/demo/test_GT.lmdb``).
        num_frames: window length T (odd); the reference is frame ``T // 2``.
        scale: HR / LR size ratio s.
        patch_size: LR patch size p (items are p x p LR, s*p x s*p HR).
        num_samples: dataset length (items are generated, not stored).
        max_flow: largest flow magnitude in LR pixels.
        seed: base seed; item ``i`` depends only on (seed, i).
        clips: source clips (default all).
        backend: 'lmdb' or 'folder'.
        pipeline: transforms applied to the results dict (e.g. RGBToY, PackVSRInputs). Do not
            use geometric augmentations: they would not move ``flow_gt`` with the frames.
        cache: keep generated items in memory (an item costs tens of ms of warping and
            bicubic resizing; a training set of a few hundred items then costs that only once
            per worker).

    Item (after ``PackVSRInputs``): ``dict(inputs=(T, C, p, p), data_samples=dict(gt=(C, sp, sp),
    flow_gt=(T, 2, p, p), key, clip, frame))``, pixels in [0, 1], flow in LR pixels (zero at T//2).
    """

    def __init__(self, gt_path: str, num_frames: int = 3, scale: int = 4, patch_size: int = 48,
                 num_samples: int = 1000, max_flow: float = 2.0, seed: int = 0,
                 clips: Sequence[str] | None = None, backend: str = 'lmdb',
                 pipeline: Sequence = (dict(type='PackVSRInputs'),), cache: bool = False):
        if num_frames < 1 or num_frames % 2 == 0:
            raise ConfigError(f'SyntheticMotionDataset: num_frames must be odd and >= 1, got {num_frames!r}')
        if int(scale) != scale or scale < 1:
            raise ConfigError(f'SyntheticMotionDataset: scale must be a positive integer, got {scale!r}')
        if patch_size < 4 or num_samples < 1 or not max_flow > 0:
            raise ConfigError('SyntheticMotionDataset: need patch_size >= 4, num_samples >= 1 and '
                              f'max_flow > 0, got {patch_size!r}, {num_samples!r}, {max_flow!r}')
        self.num_frames, self.scale = int(num_frames), int(scale)
        self.patch_size, self.num_samples = int(patch_size), int(num_samples)
        self.max_flow, self.seed = float(max_flow), int(seed)
        self.margin = int(math.ceil(self.max_flow)) + 2
        self.store = open_frame_store(gt_path, backend)
        names = list(self.store.clips) if clips is None else list(clips)
        need = (self.patch_size + 2 * self.margin) * self.scale
        for name in names:
            if name not in self.store.clips:
                raise ConfigError(f'SyntheticMotionDataset: {gt_path}: no clip {name!r}')
            h, w = self.store.clips[name].shape[:2]
            if min(h, w) < need:
                raise ConfigError(f'SyntheticMotionDataset: {gt_path}: clip {name!r} is {h}x{w}, '
                                  f'smaller than patch + margin ({need} HR pixels)')
        if not names:
            raise ConfigError(f'SyntheticMotionDataset: {gt_path}: no clips')
        self.clip_names = names
        self._cache: dict[int, dict] | None = {} if cache else None
        metainfo = dict(clips=self.clip_names, scale=self.scale, num_frames=self.num_frames)
        with vsrkit_scope():  # Compose builds the transforms from mmengine's root registry
            super().__init__(metainfo=metainfo, pipeline=list(pipeline))

    def load_data_list(self) -> list[dict]:
        return [dict(sample=i) for i in range(self.num_samples)]

    def make(self, idx: int) -> dict:
        """The raw results dict of item ``idx`` (``lq``, ``gt``, ``flow_gt`` channel-last)."""
        if not 0 <= idx < self.num_samples:
            raise IndexError(f'SyntheticMotionDataset index {idx} out of range [0, {self.num_samples})')
        rng = np.random.default_rng([self.seed, idx])
        s, p, m = self.scale, self.patch_size, self.margin
        clip = self.clip_names[rng.integers(len(self.clip_names))]
        info = self.store.clips[clip]
        frame = int(rng.integers(info.num_frames))
        src = self.store.read(clip, frame)
        big = (p + 2 * m) * s
        y0 = int(rng.integers(src.shape[0] - big + 1))
        x0 = int(rng.integers(src.shape[1] - big + 1))
        hr = torch.from_numpy(bgr_to_float_rgb(src[y0:y0 + big, x0:x0 + big])).permute(2, 0, 1)[None]
        # LR coordinates of HR pixel centres, and of the LR pixels, on the padded patch.
        q = np.arange(big, dtype=np.float64)
        u_hr = (q + 0.5) / s - 0.5
        uu, vv = np.meshgrid(u_hr, u_hr)
        lr_coords = np.arange(m, m + p, dtype=np.float64)
        uu_lr, vv_lr = np.meshgrid(lr_coords, lr_coords)
        crop = slice(m * s, (m + p) * s)
        k = self.num_frames // 2
        lq, flows = [], []
        for i in range(self.num_frames):
            if i == k:
                hr_i = hr
                flow_lr = np.zeros((p, p, 2), np.float32)
            else:
                # One generator per frame so the HR flow and its LR samples are the same field.
                state = rng.integers(2 ** 63)
                f_hr = smooth_flow(np.random.default_rng(state), uu, vv, self.max_flow)
                f_lr = smooth_flow(np.random.default_rng(state), uu_lr, vv_lr, self.max_flow)
                flow_t = torch.from_numpy(f_hr * s).permute(2, 0, 1)[None].float()
                hr_i = backward_warp(hr, flow_t)
                flow_lr = f_lr.astype(np.float32)
            patch = hr_i[0, :, crop, crop].permute(1, 2, 0).numpy()
            patch8 = np.clip(np.rint(patch * 255.0), 0, 255).astype(np.uint8)
            lq.append(bicubic_downsample(patch8, s).astype(np.float32) / np.float32(255.0))
            flows.append(flow_lr)
            if i == k:
                gt = patch8.astype(np.float32) / np.float32(255.0)
        return dict(lq=lq, gt=gt, flow_gt=flows, key=frame_key(clip, frame), clip=clip,
                    frame=frame, scale=s)

    def prepare_data(self, idx: int) -> dict:
        """Item ``idx`` through the pipeline (generated, or from the cache)."""
        sample = self.get_data_info(idx)['sample']
        if self._cache is None:
            return self.pipeline(self.make(sample))
        if sample not in self._cache:
            self._cache[sample] = self.make(sample)
        # Transforms may replace entries of the dict: give them a shallow copy.
        return self.pipeline(dict(self._cache[sample]))
