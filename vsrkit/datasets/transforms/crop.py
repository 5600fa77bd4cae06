"""Paired random crop: an LR patch from every frame of the window and the matching GT patch."""
from __future__ import annotations

import numpy as np

from ...registry import TRANSFORMS, ConfigError
from ..errors import DataError


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
