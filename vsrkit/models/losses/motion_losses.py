"""Motion-estimation losses: warp (photometric L1) and flow smoothness (TV)."""
from __future__ import annotations

import torch.nn as nn
from torch import Tensor

from vsrkit.ops import backward_warp
from vsrkit.registry import MODELS


@MODELS.register_module()
class WarpLoss(nn.Module):
    """L1 between frame i and the reference warped onto it: ``|I_i - I_0(p + F(p))|``.

    Args:
        mask_holes: if True, average only over pixels whose sample ``p + F(p)``
            lies inside the reference (zero-filled samples outside would otherwise
            pull the flow, though they say nothing about the motion). Without it the mean is
            over all pixels.

    Shapes: forward(frame_i (N, C, h, w), frame_0 (N, C, h, w), flow (N, 2, h, w)) -> scalar.
    """

    def __init__(self, mask_holes: bool = False):
        super().__init__()
        self.mask_holes = bool(mask_holes)

    def forward(self, frame_i: Tensor, frame_0: Tensor, flow: Tensor) -> Tensor:
        if frame_i.shape != frame_0.shape:
            raise ValueError(f'WarpLoss: frame_i {tuple(frame_i.shape)} and frame_0 '
                             f'{tuple(frame_0.shape)} differ')
        if not self.mask_holes:
            return (frame_i - backward_warp(frame_0, flow)).abs().mean()
        warped, mask = backward_warp(frame_0, flow, return_mask=True)
        # The mask is a step function of the flow: it selects pixels, it carries no gradient.
        mask = mask.detach()
        count = mask.sum() * frame_i.shape[1]
        return ((frame_i - warped).abs() * mask).sum() / count.clamp(min=1.0)

    def extra_repr(self) -> str:
        return f'mask_holes={self.mask_holes}'


@MODELS.register_module()
class FlowTVLoss(nn.Module):
    """Total variation of a flow: ``mean|dF/dx| + mean|dF/dy|`` (forward differences).

    Shapes: forward(flow (N, 2, h, w)) -> scalar.
    """

    def forward(self, flow: Tensor) -> Tensor:
        if flow.dim() != 4 or flow.shape[1] != 2:
            raise ValueError(f'FlowTVLoss: expected flow (N,2,h,w), got {tuple(flow.shape)}')
        dx = flow[..., :, 1:] - flow[..., :, :-1]
        dy = flow[..., 1:, :] - flow[..., :-1, :]
        loss = flow.new_zeros(())
        if dx.numel():
            loss = loss + dx.abs().mean()
        if dy.numel():
            loss = loss + dy.abs().mean()
        return loss
