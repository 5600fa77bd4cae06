"""The losses: motion estimation's warp loss (photometric L1), flow smoothness (TV) and flow
end-point error on known motion; the SR loss over the fusion net's time steps,
``sum_i k_i * mean(rho(out_i - gt))``."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn
from torch import Tensor

from vsrkit.ops import backward_warp
from vsrkit.registry import MODELS, ConfigError


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


@MODELS.register_module()
class TemporalSRLoss(nn.Module):
    """Weighted SR loss over the T outputs of the fusion net.

    Output i has seen compensated frames 0..i; the last one is the model's answer. The
    reference implementation weights the steps by ``k_i`` rising linearly from 0.5 to 1,
    normalised to sum 1 ('linear'), so most of the gradient goes to the outputs that have
    already seen the reference frame and its neighbours.

    Args:
        weights: 'linear' (default: ``k = linspace(0.5, 1, T) / sum``), 'uniform' (1/T),
            or an explicit list of T non-negative numbers (used as given). None means 'uniform'.
        criterion: 'l2' (``rho(d) = d^2``, the paper) or 'charbonnier'
            (``rho(d) = sqrt(d^2 + eps^2)``).
        eps: Charbonnier epsilon.

    Shapes: forward(outputs (B, T, C, H, W), gt (B, C, H, W)) -> scalar.
    """

    def __init__(self, weights: str | Sequence[float] = 'linear', criterion: str = 'l2',
                 eps: float = 1e-3):
        super().__init__()
        if criterion not in ('l2', 'charbonnier'):
            raise ConfigError(f"TemporalSRLoss: criterion must be 'l2' or 'charbonnier', "
                              f'got {criterion!r}')
        if weights is None:
            weights = 'uniform'
        if isinstance(weights, str):
            if weights not in ('linear', 'uniform'):
                raise ConfigError(f"TemporalSRLoss: weights must be 'linear', 'uniform' or a list "
                                  f'of numbers, got {weights!r}')
        else:
            weights = [float(k) for k in weights]
            if not weights or min(weights) < 0:
                raise ConfigError(f'TemporalSRLoss: weights must be a non-empty list of '
                                  f'non-negative numbers, got {weights}')
        self.weights = weights
        self.criterion = criterion
        self.eps = float(eps)

    def forward(self, outputs: Tensor, gt: Tensor) -> Tensor:
        if outputs.dim() != 5 or gt.shape != outputs.shape[:1] + outputs.shape[2:]:
            raise ValueError(f'TemporalSRLoss: expected outputs (B,T,C,H,W) and gt (B,C,H,W), '
                             f'got {tuple(outputs.shape)} and {tuple(gt.shape)}')
        t = outputs.shape[1]
        if self.weights == 'uniform':
            k = outputs.new_full((t,), 1.0 / t)
        elif self.weights == 'linear':
            k = torch.linspace(0.5, 1.0, t, dtype=outputs.dtype, device=outputs.device)
            k = k / k.sum() if t > 1 else outputs.new_ones(1)
        elif len(self.weights) != t:
            raise ValueError(f'TemporalSRLoss: {len(self.weights)} weights for {t} time steps')
        else:
            k = torch.tensor(self.weights, dtype=outputs.dtype, device=outputs.device)
        d = outputs - gt.unsqueeze(1)
        rho = d * d if self.criterion == 'l2' else torch.sqrt(d * d + self.eps ** 2)
        per_step = rho.flatten(2).mean(dim=2).mean(dim=0)  # (T,)
        return (k * per_step).sum()

    def extra_repr(self) -> str:
        return f'weights={self.weights}, criterion={self.criterion!r}, eps={self.eps}'
