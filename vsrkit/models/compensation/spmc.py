"""The SPMC layer: sub-pixel motion compensation (forward warp + upscale in one splat)."""
from __future__ import annotations

import torch
import torch.nn as nn
from torch import Tensor

from vsrkit.ops import grid_offset, spmc_warp
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
    """Sub-pixel motion compensation layer, no parameters.

    Every LR pixel p of frame i moves to ``scale * (p + flow(p)) + offset`` on the HR
    grid of the reference and splats onto its 4 HR neighbours with bilinear weights
    (:func:`vsrkit.ops.spmc_warp`). The output is sparse (at x4 most HR pixels
    receive nothing); the fusion net fills the holes.

    Args:
        scale: integer upscaling factor.
        align: 'center' (default): LR pixel x sits at HR ``scale * x + (scale - 1) / 2``,
            as MATLAB ``imresize`` makes LR frames (BI/BD data, Vid4, Vimeo-90K, REDS);
            'corner': at ``scale * x``, the paper's grid for LR made its own way.
        normalize: divide each HR pixel by the total splat weight it received (a
            weighted average of the samples that landed there; holes stay 0), so a
            value no longer mixes "how bright" with "how much of a sample landed".
        with_weights: append the splat-weight map as one more channel, telling the
            fusion net where samples landed and how much.

    Shapes: forward(lr (N, C, h, w), flow (N, 2, h, w)) -> (N, C + extra_channels, s*h, s*w)
    with ``extra_channels`` 1 when ``with_weights`` else 0.
    """

    def __init__(self, scale: int = 4, align: str = 'center', normalize: bool = False,
                 with_weights: bool = False):
        super().__init__()
        self.scale = check_scale('SPMC', scale)
        try:
            self.offset = grid_offset(self.scale, align)
        except ValueError as err:
            raise ConfigError(f'SPMC: {err}') from None
        self.align, self.normalize, self.with_weights = align, bool(normalize), bool(with_weights)
        self.extra_channels = int(self.with_weights)

    def forward(self, lr: Tensor, flow: Tensor) -> Tensor:
        if not (self.normalize or self.with_weights):
            return spmc_warp(lr, flow, self.scale, offset=self.offset)
        # One splat of [lr, 1]: the last channel accumulates the weights.
        ones = lr.new_ones(lr.shape[0], 1, *lr.shape[2:])
        both = spmc_warp(torch.cat((lr, ones), 1), flow, self.scale, offset=self.offset)
        hr, weights = both[:, :-1], both[:, -1:]
        if self.normalize:
            # Weights below 1e-3 come from samples that barely touch the pixel: treat as holes
            # instead of amplifying them a thousandfold.
            hr = torch.where(weights > 1e-3, hr / weights.clamp(min=1e-3), torch.zeros_like(hr))
        return torch.cat((hr, weights), 1) if self.with_weights else hr

    def extra_repr(self) -> str:
        return (f'scale={self.scale}, align={self.align!r}, normalize={self.normalize}, '
                f'with_weights={self.with_weights}')
