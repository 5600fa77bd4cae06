"""Packing a ``results`` dict into the dataset item (docs/ARCHITECTURE.md)."""
from __future__ import annotations

import numpy as np
import torch

from ...registry import TRANSFORMS


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
