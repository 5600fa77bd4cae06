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


def _spmc_taps(flow: Tensor, scale: float, out_h: int, out_w: int):
    """The four bilinear taps of every source pixel on a padded HR grid.

    Taps are addressed on the output grid padded by one pixel on every side,
    ``(out_h + 2) x (out_w + 2)``: a source pixel whose top-left tap lies in
    ``[-1, out_w - 1] x [-1, out_h - 1]`` then has all four taps on the padded
    grid, taps on the pad ring are cropped away afterwards, and pixels landing
    further out get zero weight. This replaces four per-tap bounds checks by one
    per pixel (the splat is memory-bound: fewer passes is what makes it fast).

    Returns ``index`` (N, 4*h*w) flat padded-grid positions of the taps in the
    order (dy, dx) = (0, 0), (0, 1), (1, 0), (1, 1), and the per-axis weights
    ``wx``, ``wy`` (N, 2, h*w) for offsets 0 and 1, zero for pixels that land
    outside.
    """
    n, _, h, w = flow.shape
    hw = h * w
    xs, ys = pixel_grid(h, w, flow.device, flow.dtype)
    tx = torch.add(flow[:, 0], xs).mul_(scale).view(n, hw)  # target x on the HR grid
    ty = torch.add(flow[:, 1], ys).mul_(scale).view(n, hw)
    x0, y0 = tx.floor(), ty.floor()
    fx, fy = tx.sub_(x0), ty.sub_(y0)  # weight of the right / bottom tap
    x0c, y0c = x0.clamp(-1, out_w - 1), y0.clamp(-1, out_h - 1)
    inside = ((x0c == x0) & (y0c == y0)).to(flow.dtype).unsqueeze(1)
    wp = out_w + 2
    base = torch.add(x0c, y0c, alpha=wp).add_(wp + 1).long()  # top-left tap, padded grid
    offsets = torch.tensor((0, 1, wp, wp + 1), device=flow.device).view(1, 4, 1)
    index = (base.view(n, 1, hw) + offsets).view(n, 4 * hw)
    wx = torch.stack((1 - fx, fx), 1).mul_(inside)
    wy = torch.stack((1 - fy, fy), 1).mul_(inside)
    return index, wx, wy


class _SPMCSplat(torch.autograd.Function):
    """Forward splat by one scatter-add; analytic backward by one gather.

    Autograd through the scatter would keep the (N, C, 4, h*w) weighted values
    and several index tensors alive; the analytic form keeps the taps only.
    With the weights ``W(dy, dx) = wy[dy] * wx[dx]`` of the taps,
    ``dJ/dtx = sum_dy wy[dy] (g(dy, 1) - g(dy, 0))`` and likewise for y, where
    ``g`` is the incoming gradient gathered at the taps (times the source value).
    """

    @staticmethod
    def forward(ctx, img: Tensor, flow: Tensor, scale: float, out_h: int, out_w: int) -> Tensor:
        n, c, h, w = img.shape
        hw = h * w
        index, wx, wy = _spmc_taps(flow, scale, out_h, out_w)
        weight = (wy.unsqueeze(2) * wx.unsqueeze(1)).view(n, 1, 4, hw)
        values = (img.reshape(n, c, 1, hw) * weight).view(n, c, 4 * hw)
        out = img.new_zeros(n, c, (out_h + 2) * (out_w + 2))
        # scatter_add_ along the last dim runs in parallel over the (N, C) rows.
        out.scatter_add_(2, index.view(n, 1, 4 * hw).expand(n, c, 4 * hw), values)
        ctx.save_for_backward(img, index, wx, wy)
        ctx.scale = scale
        return out.view(n, c, out_h + 2, out_w + 2)[:, :, 1:-1, 1:-1].contiguous()

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        img, index, wx, wy = ctx.saved_tensors
        n, c, h, w = img.shape
        hw = h * w
        padded = F.pad(grad_out, (1, 1, 1, 1)).view(n, c, -1)  # pad ring taps read 0
        g = padded.gather(2, index.view(n, 1, 4 * hw).expand(n, c, 4 * hw)).view(n, c, 2, 2, hw)
        grad_img = grad_flow = None
        if ctx.needs_input_grad[0]:
            weight = (wy.unsqueeze(2) * wx.unsqueeze(1)).view(n, 1, 2, 2, hw)
            grad_img = (g * weight).sum((2, 3)).view(n, c, h, w)
        if ctx.needs_input_grad[1]:
            src = img.reshape(n, c, hw)
            g_dx = g[:, :, :, 1] - g[:, :, :, 0]  # (N, C, dy, hw)
            g_dy = g[:, :, 1] - g[:, :, 0]        # (N, C, dx, hw)
            grad_x = ((g_dx * wy.unsqueeze(1)).sum(2) * src).sum(1)
            grad_y = ((g_dy * wx.unsqueeze(1)).sum(2) * src).sum(1)
            grad_flow = torch.stack((grad_x, grad_y), 1).view(n, 2, h, w).mul_(ctx.scale)
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
