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


# Sign of d(weight)/d(target coordinate) for the four taps (left/right in x, top/bottom in y).
_TAP_SIGN_X = (-1.0, 1.0, -1.0, 1.0)
_TAP_SIGN_Y = (-1.0, -1.0, 1.0, 1.0)


def _spmc_taps(flow: Tensor, scale: float, out_h: int, out_w: int):
    """The four bilinear taps of every source pixel on the HR grid.

    Returns ``index`` (N, 4, h*w) flat HR positions (0 where invalid), ``wx``,
    ``wy`` (N, 4, h*w) the per-axis kernel values, and ``valid`` (N, 4, h*w).
    """
    n, _, h, w = flow.shape
    xs, ys = pixel_grid(h, w, flow.device, flow.dtype)
    tx = ((xs + flow[:, 0]) * scale).reshape(n, 1, h * w)  # target x on the HR grid
    ty = ((ys + flow[:, 1]) * scale).reshape(n, 1, h * w)
    x0 = torch.floor(tx)
    y0 = torch.floor(ty)
    fx = tx - x0  # weight of the right neighbour; the left one gets 1 - fx
    fy = ty - y0
    offset_x = x0.new_tensor((0.0, 1.0, 0.0, 1.0)).view(1, 4, 1)
    offset_y = y0.new_tensor((0.0, 0.0, 1.0, 1.0)).view(1, 4, 1)
    tap_x = (x0 + offset_x).long()
    tap_y = (y0 + offset_y).long()
    wx = torch.where(offset_x > 0, fx, 1 - fx)
    wy = torch.where(offset_y > 0, fy, 1 - fy)
    valid = (tap_x >= 0) & (tap_x < out_w) & (tap_y >= 0) & (tap_y < out_h)
    index = torch.where(valid, tap_y * out_w + tap_x, torch.zeros_like(tap_x))
    return index, wx, wy, valid


class _SPMCSplat(torch.autograd.Function):
    """Forward splat by one scatter-add; analytic backward by one gather.

    Autograd through the scatter would keep the (N, C, 4, h*w) weighted values
    and several index tensors alive; the analytic form keeps the taps only.
    """

    @staticmethod
    def forward(ctx, img: Tensor, flow: Tensor, scale: float, out_h: int, out_w: int) -> Tensor:
        n, c, h, w = img.shape
        index, wx, wy, valid = _spmc_taps(flow, scale, out_h, out_w)
        weight = (wx * wy * valid).to(img.dtype)  # (N, 4, hw)
        values = (img.reshape(n, c, 1, h * w) * weight.unsqueeze(1)).reshape(n, c, 4 * h * w)
        out = img.new_zeros(n, c, out_h * out_w)
        out.scatter_add_(2, index.reshape(n, 1, 4 * h * w).expand(n, c, 4 * h * w), values)
        ctx.save_for_backward(img, index, wx, wy, valid)
        ctx.scale = scale
        return out.view(n, c, out_h, out_w)

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        img, index, wx, wy, valid = ctx.saved_tensors
        n, c, h, w = img.shape
        hw = h * w
        g = grad_out.reshape(n, c, -1).gather(2, index.reshape(n, 1, 4 * hw).expand(n, c, 4 * hw))
        g = g.view(n, c, 4, hw)  # dL/dJ at each tap
        grad_img = grad_flow = None
        if ctx.needs_input_grad[0]:
            weight = (wx * wy * valid).to(img.dtype)
            grad_img = (g * weight.unsqueeze(1)).sum(2).view(n, c, h, w)
        if ctx.needs_input_grad[1]:
            g_weight = (g * img.reshape(n, c, 1, hw)).sum(1) * valid  # dL/d(weight of tap k)
            sign_x = wx.new_tensor(_TAP_SIGN_X).view(1, 4, 1)
            sign_y = wx.new_tensor(_TAP_SIGN_Y).view(1, 4, 1)
            grad_x = (g_weight * wy * sign_x).sum(1)
            grad_y = (g_weight * wx * sign_y).sum(1)
            grad_flow = torch.stack((grad_x, grad_y), 1).view(n, 2, h, w) * ctx.scale
        return grad_img, grad_flow, None, None, None


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
    out_h, out_w = spmc_output_size(img.shape[2], img.shape[3], scale)
    out = _SPMCSplat.apply(img, flow.to(img.dtype), float(scale), out_h, out_w)
    if not return_weights:
        return out
    ones = img.new_ones(img.shape[0], 1, *img.shape[2:])
    return out, _SPMCSplat.apply(ones, flow.to(img.dtype), float(scale), out_h, out_w)
