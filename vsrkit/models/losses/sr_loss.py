"""The SR loss over the fusion net's time steps: ``sum_i k_i * mean(rho(out_i - gt))``."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn
from torch import Tensor

from vsrkit.registry import MODELS, ConfigError


@MODELS.register_module()
class TemporalSRLoss(nn.Module):
    """Weighted SR loss over the T outputs of the fusion net (SPEC section 3).

    Args:
        weights: k_i, one per time step; None means uniform 1/T (a mean over steps).
        criterion: 'l2' (``rho(d) = d^2``, the paper) or 'charbonnier'
            (``rho(d) = sqrt(d^2 + eps^2)``).
        eps: Charbonnier epsilon.

    Shapes: forward(outputs (B, T, C, H, W), gt (B, C, H, W)) -> scalar.
    """

    def __init__(self, weights: Sequence[float] | None = None, criterion: str = 'l2',
                 eps: float = 1e-3):
        super().__init__()
        if criterion not in ('l2', 'charbonnier'):
            raise ConfigError(f"TemporalSRLoss: criterion must be 'l2' or 'charbonnier', "
                              f'got {criterion!r}')
        if weights is not None:
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
        if self.weights is None:
            k = outputs.new_full((t,), 1.0 / t)
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
