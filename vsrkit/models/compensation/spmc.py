"""The SPMC layer: sub-pixel motion compensation (forward warp + upscale in one splat)."""
from __future__ import annotations

import torch.nn as nn
from torch import Tensor

from vsrkit.ops import spmc_warp
from vsrkit.registry import MODELS, ConfigError


def check_scale(name: str, scale) -> int:
    """Validate an integer upscaling factor from a config."""
    if isinstance(scale, float) and scale.is_integer():
        scale = int(scale)
    if not isinstance(scale, int) or isinstance(scale, bool) or scale < 1:
        raise ConfigError(f'{name}: scale must be a positive integer, got {scale!r}')
    return scale


@MODELS.register_module()
class SPMC(nn.Module):
    """Sub-pixel motion compensation layer (SPEC section 2), no parameters.

    Every LR pixel p of frame i moves to ``scale * (p + flow(p))`` on the HR grid of
    the reference and splats onto its 4 HR neighbours with bilinear weights
    (:func:`vsrkit.ops.spmc_warp`). The output is sparse (at x4 about 15/16 of the
    HR pixels stay 0 under zero flow); the fusion net fills the holes.

    Shapes: forward(lr (N, C, h, w), flow (N, 2, h, w)) -> (N, C, s*h, s*w).
    """

    def __init__(self, scale: int = 4):
        super().__init__()
        self.scale = check_scale('SPMC', scale)

    def forward(self, lr: Tensor, flow: Tensor) -> Tensor:
        return spmc_warp(lr, flow, self.scale)

    def extra_repr(self) -> str:
        return f'scale={self.scale}'
