"""Zero flow: the 'no motion compensation' ablation."""
from __future__ import annotations

import torch.nn as nn
from torch import Tensor

from vsrkit.registry import MODELS


@MODELS.register_module()
class ZeroMotion(nn.Module):
    """Motion estimator that returns zero flow (the 'no motion compensation' ablation).

    Shapes: forward(frame_i (N, C, h, w), frame_0 (N, C, h, w)) -> (N, 2, h, w) zeros.
    """

    def forward(self, frame_i: Tensor, frame_0: Tensor) -> Tensor:
        if frame_i.dim() != 4 or frame_i.shape != frame_0.shape:
            raise ValueError('ZeroMotion: expected frame_i and frame_0 of equal shape (N,C,h,w), '
                             f'got {tuple(frame_i.shape)} and {tuple(frame_0.shape)}')
        n, _, h, w = frame_i.shape
        return frame_i.new_zeros(n, 2, h, w)
