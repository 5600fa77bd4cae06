"""Transforms of a sample's ``results`` dict, applied in the order of the config's ``pipeline``
(mmengine's ``Compose``), all registered in ``vsrkit.registry.TRANSFORMS``.

Before packing, ``results`` holds ``lq``: a list of T LR frames (h, w, C) and ``gt``: the GT
frame (H, W, C), float32 RGB in [0, 1] (``flow_gt``: T flows (h, w, 2) where known), plus
``key``, ``clip``, ``frame``, ``scale``. :class:`PackVSRInputs` turns it into the dataset item
``dict(inputs=(T, C, h, w), data_samples=dict(gt=(C, H, W), key, clip, frame))``
(docs/ARCHITECTURE.md).
"""
from __future__ import annotations

import numpy as np
import torch

from vsrkit.errors import DataError
from vsrkit.ops.color import rgb_to_y
from vsrkit.registry import TRANSFORMS, ConfigError


@TRANSFORMS.register_module()
class PairedRandomCrop:
    """Crop the same random LR window ``(gt_patch_size // scale)^2`` from every ``lq`` frame
    (and ``flow_gt`` if present) and the matching ``gt_patch_size^2`` window from ``gt``.

    ``results['lq']``: T x (h, w, C); ``results['gt']``: (h * scale, w * scale, C). LR top-left
    (y, x) maps to GT top-left (scale * y, scale * x), so the patches cover the same scene.
    """

    def __init__(self, gt_patch_size: int, scale: int):
        if scale < 1 or gt_patch_size < scale or gt_patch_size % scale:
            raise ConfigError(f'PairedRandomCrop: gt_patch_size ({gt_patch_size}) must be a '
                              f'positive multiple of scale ({scale})')
        self.gt_patch_size = int(gt_patch_size)
        self.scale = int(scale)

    def __call__(self, results: dict) -> dict:
        s, gp = self.scale, self.gt_patch_size
        lp = gp // s
        key = results.get('key', '?')
        if 'gt' not in results:
            raise DataError(f'{key}: PairedRandomCrop needs a GT frame')
        h, w = results['lq'][0].shape[:2]
        gh, gw = results['gt'].shape[:2]
        if (gh, gw) != (h * s, w * s):
            raise DataError(f'{key}: GT/LR size mismatch: GT {gh}x{gw}, LR {h}x{w}, scale {s}')
        if h < lp or w < lp:
            raise DataError(f'{key}: LR frame {h}x{w} is smaller than the patch {lp}x{lp}')
        y = np.random.randint(0, h - lp + 1)
        x = np.random.randint(0, w - lp + 1)
        results['lq'] = [f[y:y + lp, x:x + lp] for f in results['lq']]
        if 'flow_gt' in results:
            results['flow_gt'] = [f[y:y + lp, x:x + lp] for f in results['flow_gt']]
        results['gt'] = results['gt'][s * y:s * y + gp, s * x:s * x + gp]
        results['crop_lq_yx'] = (y, x)
        return results

    def __repr__(self) -> str:
        return f'PairedRandomCrop(gt_patch_size={self.gt_patch_size}, scale={self.scale})'


@TRANSFORMS.register_module()
class RandomFlipTranspose:
    """With probability 0.5 each (drawn once per sample): horizontal flip, vertical flip,
    transpose (swap H and W). Applied identically to every ``lq`` frame, ``gt`` and, if
    present, ``flow_gt`` (T x (h, w, 2), x then y), whose vectors are flipped/swapped too
    so the motion stays consistent with the frames.

    Records the draw in ``results['flip'] = (hflip, vflip, transpose)``.
    """

    def __init__(self, hflip: bool = True, vflip: bool = True, transpose: bool = True):
        self.hflip, self.vflip, self.transpose = hflip, vflip, transpose

    def __call__(self, results: dict) -> dict:
        h = bool(self.hflip and np.random.rand() < 0.5)
        v = bool(self.vflip and np.random.rand() < 0.5)
        t = bool(self.transpose and np.random.rand() < 0.5)
        results['lq'] = [self._apply(f, h, v, t) for f in results['lq']]
        if 'gt' in results:
            results['gt'] = self._apply(results['gt'], h, v, t)
        if 'flow_gt' in results:
            results['flow_gt'] = [self._apply_flow(f, h, v, t) for f in results['flow_gt']]
        results['flip'] = (h, v, t)
        return results

    @staticmethod
    def _apply(img: np.ndarray, h: bool, v: bool, t: bool) -> np.ndarray:
        if h:
            img = img[:, ::-1]
        if v:
            img = img[::-1]
        if t:
            img = img.transpose(1, 0, 2)
        return np.ascontiguousarray(img)

    @classmethod
    def _apply_flow(cls, flow: np.ndarray, h: bool, v: bool, t: bool) -> np.ndarray:
        flow = cls._apply(flow, h, v, t).copy()
        if h:
            flow[..., 0] *= -1
        if v:
            flow[..., 1] *= -1
        if t:
            flow = np.ascontiguousarray(flow[..., ::-1])
        return flow

    def __repr__(self) -> str:
        return f'RandomFlipTranspose(hflip={self.hflip}, vflip={self.vflip}, transpose={self.transpose})'


@TRANSFORMS.register_module()
class RGBToY:
    """Replace the RGB ``lq`` frames and ``gt`` (H, W, 3) float in [0, 1] by their BT.601
    luminance (H, W, 1) in [16/255, 235/255], with :func:`vsrkit.ops.rgb_to_y`."""

    def __call__(self, results: dict) -> dict:
        results['lq'] = [rgb_to_y(f).astype(np.float32) for f in results['lq']]
        if 'gt' in results:
            results['gt'] = rgb_to_y(results['gt']).astype(np.float32)
        return results

    def __repr__(self) -> str:
        return 'RGBToY()'


def _chw(img: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1), dtype=np.float32))


@TRANSFORMS.register_module()
class PackVSRInputs:
    """``results`` -> ``dict(inputs=(T, C, h, w), data_samples=dict(gt=(C, H, W), key, clip,
    frame[, flow_gt=(T, 2, h, w)]))``, float32 tensors; ``gt`` only if the results have it."""

    def __call__(self, results: dict) -> dict:
        inputs = torch.stack([_chw(f) for f in results['lq']])
        samples = dict(key=results['key'], clip=results['clip'], frame=int(results['frame']))
        if 'gt' in results:
            samples['gt'] = _chw(results['gt'])
        if 'flow_gt' in results:
            samples['flow_gt'] = torch.stack([_chw(f) for f in results['flow_gt']])
        return dict(inputs=inputs, data_samples=samples)

    def __repr__(self) -> str:
        return 'PackVSRInputs()'
