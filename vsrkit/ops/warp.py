"""Backward (gather) and forward (scatter, SPMC) warping of image batches.

Flows are in pixels with channel 0 = x (column) and channel 1 = y (row), on a
pixel-index grid: pixel (x, y) has its centre at integer coordinates.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def _check_pair(img: Tensor, flow: Tensor, name: str) -> None:
    if img.dim() != 4 or flow.dim() != 4 or flow.shape[1] != 2:
        raise ValueError(f'{name}: expected img (N,C,H,W) and flow (N,2,H,W), '
                         f'got {tuple(img.shape)} and {tuple(flow.shape)}')
    if img.shape[0] != flow.shape[0] or img.shape[2:] != flow.shape[2:]:
        raise ValueError(f'{name}: img {tuple(img.shape)} and flow {tuple(flow.shape)} '
                         'differ in batch or spatial size')


def pixel_grid(h: int, w: int, device=None, dtype=None) -> tuple[Tensor, Tensor]:
    """Return the pixel-index coordinates ``(x, y)``, each of shape (H, W)."""
    ys = torch.arange(h, device=device, dtype=dtype).view(h, 1).expand(h, w)
    xs = torch.arange(w, device=device, dtype=dtype).view(1, w).expand(h, w)
    return xs, ys


def backward_warp(img: Tensor, flow: Tensor, return_mask: bool = False):
    """Gather: ``out(p) = img(p + flow(p))``, bilinear, zeros outside the image.

    Args:
        img: (N, C, H, W) image to sample from.
        flow: (N, 2, H, W) displacement in pixels, defined on the output grid.
        return_mask: also return a (N, 1, H, W) mask, 1 where ``p + flow(p)``
            lies inside the image (so all its bilinear taps are real pixels).

    Returns:
        (N, C, H, W) warped image, and the mask if asked for.
    """
    _check_pair(img, flow, 'backward_warp')
    _, _, h, w = img.shape
    xs, ys = pixel_grid(h, w, flow.device, flow.dtype)
    sx = xs + flow[:, 0]
    sy = ys + flow[:, 1]
    # align_corners=True maps -1/+1 to the centres of the border pixels.
    gx = sx * (2.0 / max(w - 1, 1)) - 1.0
    gy = sy * (2.0 / max(h - 1, 1)) - 1.0
    grid = torch.stack((gx, gy), dim=-1)
    out = F.grid_sample(img, grid, mode='bilinear', padding_mode='zeros', align_corners=True)
    if not return_mask:
        return out
    inside = (sx >= 0) & (sx <= w - 1) & (sy >= 0) & (sy <= h - 1)
    return out, inside.unsqueeze(1).to(img.dtype)


def spmc_output_size(h: int, w: int, scale: float) -> tuple[int, int]:
    """High-res size produced by :func:`spmc_warp` for an (h, w) input."""
    return int(round(h * scale)), int(round(w * scale))


def spmc_warp(img: Tensor, flow: Tensor, scale: float, return_weights: bool = False):
    """Sub-pixel motion compensation: forward-warp and upscale in one splat.

    ``J_q = sum_p img_p * M(x^s_p - x_q) * M(y^s_p - y_q)`` with
    ``M(t) = max(0, 1 - |t|)`` and ``(x^s, y^s) = scale * ((x, y) + flow)``, on
    pixel-index coordinates. Each source pixel splats onto its four high-res
    neighbours; contributions landing outside the output are dropped and
    several contributions to one target add up. Differentiable w.r.t. ``img``
    and ``flow`` (the bilinear weights are functions of the flow).

    Args:
        img: (N, C, h, w) low-res frame.
        flow: (N, 2, h, w) motion of each low-res pixel to the reference frame, in LR pixels.
        scale: upscaling factor (2, 3, 4, or any positive number).
        return_weights: also return the (N, 1, H, W) accumulated splat weights.

    Returns:
        (N, C, H, W) sparse high-res map with ``(H, W) = round(scale * (h, w))``,
        and the weight map if asked for.
    """
    _check_pair(img, flow, 'spmc_warp')
    if scale <= 0:
        raise ValueError(f'spmc_warp: scale must be positive, got {scale}')
    n, c, h, w = img.shape
    out_h, out_w = spmc_output_size(h, w, scale)
    xs, ys = pixel_grid(h, w, flow.device, flow.dtype)
    tx = (xs + flow[:, 0]) * scale  # (N, h, w) target x on the HR grid
    ty = (ys + flow[:, 1]) * scale
    x0 = torch.floor(tx)
    y0 = torch.floor(ty)
    fx = tx - x0  # weight of the right neighbour; the left one gets 1 - fx
    fy = ty - y0
    x0 = x0.long()
    y0 = y0.long()

    # The four taps, stacked on a new leading axis: (4, N, h*w).
    tap_x = torch.stack((x0, x0 + 1, x0, x0 + 1)).flatten(2)
    tap_y = torch.stack((y0, y0, y0 + 1, y0 + 1)).flatten(2)
    wx = torch.stack((1 - fx, fx, 1 - fx, fx)).flatten(2)
    wy = torch.stack((1 - fy, 1 - fy, fy, fy)).flatten(2)
    valid = (tap_x >= 0) & (tap_x < out_w) & (tap_y >= 0) & (tap_y < out_h)
    weight = wx * wy * valid.to(wx.dtype)
    index = torch.where(valid, tap_y * out_w + tap_x, torch.zeros_like(tap_x))

    # Lay the taps side by side: (N, 4*h*w), so one scatter_add does the whole splat.
    weight = weight.permute(1, 0, 2).reshape(n, 4 * h * w)
    index = index.permute(1, 0, 2).reshape(n, 1, 4 * h * w)
    values = img.reshape(n, c, 1, h * w).expand(n, c, 4, h * w).reshape(n, c, 4 * h * w)
    values = values * weight.unsqueeze(1).to(img.dtype)
    out = img.new_zeros(n, c, out_h * out_w)
    out = out.scatter_add(2, index.expand(n, c, 4 * h * w), values)
    out = out.view(n, c, out_h, out_w)
    if not return_weights:
        return out
    wmap = weight.new_zeros(n, 1, out_h * out_w).scatter_add(2, index, weight.unsqueeze(1))
    return out, wmap.view(n, 1, out_h, out_w)
