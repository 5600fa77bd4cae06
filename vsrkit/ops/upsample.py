"""MATLAB-compatible bicubic upsampling by an integer factor.

MATLAB's ``imresize(x, s, 'bicubic')`` is the reference every published SR table
uses for its bicubic baseline and for the residual base ``I^{L up}_0``. It differs
from ``torch.nn.functional.interpolate(mode='bicubic')`` in two ways: the cubic
kernel has ``a = -0.5`` (torch uses ``a = -0.75``) and borders are mirrored
(``symmetric`` padding: index -1 reads pixel 0, -2 reads pixel 1) instead of
clamped.

For an integer scale ``s`` the output pixel ``j`` samples the input at
``u = (j + 0.5) / s - 0.5``. Writing ``j = s*k + r`` gives ``u = k + d_r`` with a
phase offset ``d_r = (r + 0.5) / s - 0.5`` that depends only on ``r``, so every
output phase is a fixed 5-tap filter over input pixels ``k-2 .. k+2`` (the cubic
has support (-2, 2); one of the five taps is always 0). Per axis the upsample is
then a mirrored gather-pad, one conv1d with ``s`` output channels (one per
phase) and an interleave of the phases.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from .precision import float32_op

_TAPS = 5  # input pixels k-2 .. k+2


def cubic_kernel(x: Tensor) -> Tensor:
    """Keys' cubic convolution kernel with ``a = -0.5`` (MATLAB's ``cubic``)."""
    ax = x.abs()
    ax2, ax3 = ax * ax, ax * ax * ax
    near = 1.5 * ax3 - 2.5 * ax2 + 1.0
    far = -0.5 * ax3 + 2.5 * ax2 - 4.0 * ax + 2.0
    return torch.where(ax <= 1, near, torch.where(ax < 2, far, torch.zeros_like(ax)))


def _phase_weights(scale: int) -> Tensor:
    """(scale, 5) float64 weights: row r filters input pixels k-2..k+2 for output s*k+r."""
    r = torch.arange(scale, dtype=torch.float64)
    offset = (r + 0.5) / scale - 0.5  # d_r in (-0.5, 0.5)
    taps = torch.arange(-2, 3, dtype=torch.float64)
    w = cubic_kernel(offset[:, None] - taps[None, :])
    # MATLAB normalises each row to sum 1 (already true for a=-0.5; kept for exactness).
    return w / w.sum(dim=1, keepdim=True)


def _mirror_index(n: int, pad: int, device) -> Tensor:
    """Indices ``-pad .. n-1+pad`` folded into [0, n) the way MATLAB's imresize does.

    MATLAB uses ``aux = [1:n, n:-1:1]`` and ``aux(mod(i-1, 2n) + 1)``: a symmetric
    reflection that repeats the edge pixel, valid for any ``n >= 1``.
    """
    idx = torch.arange(-pad, n + pad, device=device)
    idx = torch.remainder(idx, 2 * n)
    return torch.where(idx < n, idx, 2 * n - 1 - idx)


def _upsample_last_axis(x: Tensor, weights: Tensor) -> Tensor:
    """Upsample the last axis of ``x`` (..., n) -> (..., s*n) with per-phase weights (s, 5)."""
    n = x.shape[-1]
    s = weights.shape[0]
    xp = x.index_select(-1, _mirror_index(n, 2, x.device))  # (..., n+4)
    # One 5-tap conv per output phase: out[:, r, k] filters input pixels k-2..k+2.
    out = F.conv1d(xp.reshape(-1, 1, n + 4), weights.unsqueeze(1))  # (M, s, n)
    return out.transpose(1, 2).reshape(*x.shape[:-1], n * s)  # interleave: pixel s*k+r


@float32_op
def bicubic_upsample(x: Tensor, scale: int) -> Tensor:
    """MATLAB ``imresize(x, scale, 'bicubic')`` for an integer ``scale`` >= 1.

    Vectorised and differentiable (it is linear in ``x``).

    Args:
        x: (N, C, h, w) float tensor (any value range).
        scale: integer upscaling factor.

    Returns:
        (N, C, scale*h, scale*w) tensor of the same dtype (float32 for a half-precision input
        or under autocast: :func:`vsrkit.ops.precision.float32_op`) and device.
    """
    if isinstance(scale, float) and scale.is_integer():
        scale = int(scale)
    if not isinstance(scale, int) or isinstance(scale, bool) or scale < 1:
        raise ValueError(f'bicubic_upsample: scale must be a positive integer, got {scale!r}')
    if x.dim() != 4:
        raise ValueError(f'bicubic_upsample: expected x (N,C,h,w), got {tuple(x.shape)}')
    if not x.is_floating_point():
        raise ValueError(f'bicubic_upsample: expected a float tensor, got {x.dtype}')
    if scale == 1:
        return x
    weights = _phase_weights(scale).to(device=x.device, dtype=x.dtype)
    out = _upsample_last_axis(x, weights)  # along W
    out = _upsample_last_axis(out.transpose(-1, -2), weights)  # along H
    return out.transpose(-1, -2).contiguous()

