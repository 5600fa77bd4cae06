"""The paper's baseline compensation: backward-warp in LR, then bicubic upsample."""
from __future__ import annotations

import torch.nn as nn
from torch import Tensor

from vsrkit.ops import backward_warp, bicubic_upsample
from vsrkit.registry import MODELS

from .spmc import check_scale


@MODELS.register_module()
class BackwardWarpResize(nn.Module):
    """Align frame i to the reference by backward warping, then MATLAB-bicubic upsample.

    The motion nets give ``F_{i->0}`` on frame i's grid, but backward warping onto
    the reference grid needs ``F_{0->i}`` on the reference grid. We use the
    first-order inverse ``F_{0->i}(q) ~ -F_{i->0}(q)`` (exact for a constant
    translation, an approximation where the flow varies): ``aligned(q) =
    lr(q - flow(q))``. Holes are not possible (every target samples something);
    samples falling outside the frame read 0. No parameters.

    Shapes: forward(lr (N, C, h, w), flow (N, 2, h, w)) -> (N, C, s*h, s*w).
    """

    def __init__(self, scale: int = 4):
        super().__init__()
        self.scale = check_scale('BackwardWarpResize', scale)

    def forward(self, lr: Tensor, flow: Tensor) -> Tensor:
        return bicubic_upsample(backward_warp(lr, -flow), self.scale)

    def extra_repr(self) -> str:
        return f'scale={self.scale}'
