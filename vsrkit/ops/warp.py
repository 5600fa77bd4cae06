"""Backward (gather) and forward (scatter, SPMC) warping of image batches.

Flows are in pixels with channel 0 = x (column) and channel 1 = y (row), on a
pixel-index grid: pixel (x, y) has its centre at integer coordinates.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from .precision import float32_op


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


@float32_op
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


def _spmc_taps(flow: Tensor, scale: float, offset: float, out_h: int, out_w: int):
    """Where every source pixel splats, on the output grid padded by a ring of one pixel.

    The target ``(tx, ty) = scale * ((x, y) + flow) + offset`` is clamped to
    ``[-1, out_w] x [-1, out_h]`` before taking the bilinear taps: a pixel that
    lands outside the output then puts all its weight on the pad ring, which is
    cropped away, so no per-tap bounds checks (and no per-tap masks) are needed.
    The splat is memory-bound: fewer passes over the taps is what makes it fast.

    Returns ``base`` (N, h*w) int64 flat position of the top-left tap on the
    padded grid of width ``out_w + 2`` (the other taps are at ``+1``, ``+W``,
    ``+W+1``), the per-axis weights ``wx``, ``wy`` (N, 2, h*w) of offsets 0 and 1,
    and the unclamped targets ``tx``, ``ty`` (N, h*w).
    """
    n, _, h, w = flow.shape
    hw = h * w
    xs, ys = pixel_grid(h, w, flow.device, flow.dtype)
    tx = torch.add(flow[:, 0], xs).mul_(scale).add_(offset).view(n, hw)
    ty = torch.add(flow[:, 1], ys).mul_(scale).add_(offset).view(n, hw)
    cx, cy = tx.clamp(-1, out_w), ty.clamp(-1, out_h)
    x0, y0 = cx.floor(), cy.floor()
    fx, fy = cx.sub_(x0), cy.sub_(y0)  # weight of the right / bottom tap
    wp = out_w + 2
    # A NaN target (NaN flow) survives clamp and would become an out-of-range index: it
    # splats at output pixel (0, 0) instead, with its NaN weights, so the NaN shows in the
    # output (and the loss, where a NaN guard skips the step) instead of crashing the scatter.
    base = torch.add(x0, y0, alpha=wp).add_(wp + 1).nan_to_num_(wp + 1).long()
    return base, torch.stack((1 - fx, fx), 1), torch.stack((1 - fy, fy), 1), tx, ty


class _SPMCSplat(torch.autograd.Function):
    """Forward splat by four scatter-adds; analytic backward by four gathers.

    Autograd through the scatter would keep the (N, C, 4, h*w) weighted values
    and several index tensors alive; the analytic form keeps the taps only.
    With tap weights ``W(dy, dx) = wy[dy] * wx[dx]`` and ``g(dy, dx)`` the
    incoming gradient at the taps: ``dL/dimg = sum W g``, ``dL/dtx = sum_c img *
    sum_dy wy[dy] (g(dy, 1) - g(dy, 0))`` and likewise for y.

    The output buffer is the padded grid plus two spare rows: a clamped pixel's
    zero-weight taps may step one row past the pad ring. Each tap offset is one
    ``scatter_add_`` into a shifted view of the buffer, sharing one (N, h*w)
    index instead of building a (N, 4*h*w) one.
    """

    @staticmethod
    def forward(ctx, img: Tensor, flow: Tensor, scale: float, offset: float, out_h: int,
                out_w: int) -> Tensor:
        n, c, h, w = img.shape
        hw = h * w
        wp = out_w + 2
        base, wx, wy, tx, ty = _spmc_taps(flow, scale, offset, out_h, out_w)
        values = img.reshape(n, c, 1, 1, hw) * (wy.unsqueeze(2) * wx.unsqueeze(1)).unsqueeze(1)
        buf = img.new_zeros(n, c, (out_h + 4) * wp)
        index = base.view(n, 1, hw).expand(n, c, hw)
        for dy in (0, 1):
            for dx in (0, 1):
                buf[:, :, dy * wp + dx:].scatter_add_(2, index, values[:, :, dy, dx])
        ctx.save_for_backward(img, base, wx, wy, tx, ty)
        ctx.scale, ctx.out_size = scale, (out_h, out_w)
        out = buf[:, :, :(out_h + 2) * wp].view(n, c, out_h + 2, wp)
        return out[:, :, 1:-1, 1:-1].contiguous()

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        img, base, wx, wy, tx, ty = ctx.saved_tensors
        n, c, h, w = img.shape
        hw = h * w
        out_h, out_w = ctx.out_size
        wp = out_w + 2
        padded = F.pad(grad_out, (1, 1, 1, 3)).reshape(n, c, -1)  # pad taps read 0
        index = base.view(n, 1, hw).expand(n, c, hw)
        g00, g01, g10, g11 = (padded[:, :, off:].gather(2, index) for off in (0, 1, wp, wp + 1))
        wx0, wx1 = wx[:, None, 0], wx[:, None, 1]  # (N, 1, hw)
        wy0, wy1 = wy[:, None, 0], wy[:, None, 1]
        grad_img = grad_flow = None
        if ctx.needs_input_grad[0]:
            grad_img = ((g00 * wx0 + g01 * wx1) * wy0 + (g10 * wx0 + g11 * wx1) * wy1).view(n, c, h, w)
        if ctx.needs_input_grad[1]:
            src = img.reshape(n, c, hw)
            grad_x = (((g01 - g00) * wy0 + (g11 - g10) * wy1) * src).sum(1)
            grad_y = (((g10 - g00) * wx0 + (g11 - g01) * wx1) * src).sum(1)
            # A clamped pixel lies wholly outside the output: its splat does not move with the flow.
            live = (tx >= -1) & (tx <= out_w) & (ty >= -1) & (ty <= out_h)
            grad_flow = (torch.stack((grad_x, grad_y), 1) * (live.unsqueeze(1) * ctx.scale)).view(n, 2, h, w)
        return grad_img, grad_flow, None, None, None, None


def grid_offset(scale: float, align: str) -> float:
    """High-res position of low-res pixel 0: ``(scale - 1) / 2`` ('center') or 0 ('corner').

    MATLAB ``imresize`` (BI and BD data, and the Vid4 / Vimeo-90K / REDS test sets) centres
    low-res pixel x (0-based) at high-res ``scale * x + (scale - 1) / 2``. The SPMC paper made
    its LR frames with a modified resize that puts it at ``scale * x`` ('corner'); with MATLAB
    data that form would place every splat ``(scale - 1) / 2`` high-res pixels up-left of the
    ground truth and of the bicubic base.
    """
    if align == 'center':
        return (scale - 1) / 2
    if align == 'corner':
        return 0.0
    raise ValueError(f"grid alignment must be 'center' or 'corner', got {align!r}")


@float32_op
def spmc_warp(img: Tensor, flow: Tensor, scale: float, return_weights: bool = False,
              offset: float = 0.0):
    """Sub-pixel motion compensation: forward-warp and upscale in one splat.

    ``J_q = sum_p img_p * M(x^s_p - x_q) * M(y^s_p - y_q)`` with
    ``M(t) = max(0, 1 - |t|)`` and ``(x^s, y^s) = scale * ((x, y) + flow) + offset``, on
    pixel-index coordinates (``offset = grid_offset(scale, align)``: ``(scale - 1) / 2``
    for MATLAB-resized frames, 0 for the paper's grid). Each source pixel splats onto its four high-res
    neighbours; contributions landing outside the output are dropped and
    several contributions to one target add up. Differentiable w.r.t. ``img``
    and ``flow`` (the bilinear weights are functions of the flow).

    Args:
        img: (N, C, h, w) low-res frame.
        flow: (N, 2, h, w) motion of each low-res pixel to the reference frame, in LR pixels.
        scale: upscaling factor (2, 3, 4, or any positive number).
        return_weights: also return the (N, 1, H, W) accumulated splat weights.
        offset: high-res position of low-res pixel 0 (see :func:`grid_offset`).

    Returns:
        (N, C, H, W) sparse high-res map with ``(H, W) = round(scale * (h, w))``,
        and the weight map if asked for.
    """
    _check_pair(img, flow, 'spmc_warp')
    if scale <= 0:
        raise ValueError(f'spmc_warp: scale must be positive, got {scale}')
    out_h, out_w = spmc_output_size(img.shape[2], img.shape[3], scale)
    flow = flow.to(img.dtype)
    out = _SPMCSplat.apply(img, flow, float(scale), float(offset), out_h, out_w)
    if not return_weights:
        return out
    ones = img.new_ones(img.shape[0], 1, *img.shape[2:])
    return out, _SPMCSplat.apply(ones, flow, float(scale), float(offset), out_h, out_w)
