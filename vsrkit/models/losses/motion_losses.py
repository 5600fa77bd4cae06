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
            pull the flow; SPEC pitfall 2). Without it the mean is over all pixels.

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


@MODELS.register_module()
class FlowEPELoss(nn.Module):
    """Supervised flow loss: mean end-point error ``sqrt(|F - F_gt|^2 + eps^2)`` over pixels.

    Used where the true motion is known (synthetic motion on real frames): a direct signal for
    the motion net, where the warp loss only sees brightness differences, which vanish on flat
    regions and are ambiguous under sub-pixel motion.

    Args:
        eps: keeps the gradient finite at zero error.

    Shapes: forward(flow (N, 2, h, w), flow_gt (N, 2, h, w), weight=None | (N,)) -> scalar;
    ``weight`` (e.g. 1 where the flow is known, 0 where not) weights the samples' means.
    """

    def __init__(self, eps: float = 1e-3):
        super().__init__()
        self.eps = float(eps)

    def forward(self, flow: Tensor, flow_gt: Tensor, weight: Tensor | None = None) -> Tensor:
        if flow.shape != flow_gt.shape or flow.dim() != 4 or flow.shape[1] != 2:
            raise ValueError(f'FlowEPELoss: expected flow and flow_gt (N,2,h,w), got '
                             f'{tuple(flow.shape)} and {tuple(flow_gt.shape)}')
        epe = ((flow - flow_gt).square().sum(1) + self.eps ** 2).sqrt().flatten(1).mean(1)  # (N,)
        if weight is None:
            return epe.mean()
        weight = weight.to(epe.dtype)
        return (epe * weight).sum() / weight.sum().clamp(min=1.0)
