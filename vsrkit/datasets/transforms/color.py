"""Colour space of the frames: RGB -> Y (BT.601), as the metrics measure."""
from __future__ import annotations

import numpy as np

from ...ops.color import rgb_to_y
from ...registry import TRANSFORMS


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
