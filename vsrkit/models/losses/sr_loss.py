"""The SR loss over the fusion net's time steps: ``sum_i k_i * mean(rho(out_i - gt))``."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn
from torch import Tensor

from vsrkit.registry import MODELS, ConfigError


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
