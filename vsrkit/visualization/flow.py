"""Optical flow as the standard colour-wheel image (Middlebury; Baker et al., IJCV 2011).

Hue encodes direction, saturation encodes magnitude relative to ``max_flow``: zero motion is
white, a flow of ``max_flow`` pixels is the fully saturated wheel colour, and flows beyond it are
drawn darker (x 0.75). Right is red, left is cyan-blue, down is yellow, up is blue-purple.
"""
from __future__ import annotations

import numpy as np
import torch

# Number of hues in each sector of the wheel: red-yellow, yellow-green, green-cyan,
# cyan-blue, blue-magenta, magenta-red (chosen by Baker et al. for perceptual evenness).
_SECTORS = (15, 6, 4, 11, 13, 6)


def make_colorwheel() -> np.ndarray:
    """The (55, 3) float64 wheel of the Middlebury flow code, RGB in [0, 255]."""
    ry, yg, gc, cb, bm, mr = _SECTORS
    wheel = np.zeros((sum(_SECTORS), 3))
    ramp = lambda n: np.floor(255 * np.arange(n) / n)  # noqa: E731
    col = 0
    for n, (fixed, rising, falling) in zip(
            (ry, yg, gc, cb, bm, mr),
            ((0, 1, None), (1, None, 0), (1, 2, None), (2, None, 1), (2, 0, None), (0, None, 2))):
        wheel[col:col + n, fixed] = 255
        if rising is not None:
            wheel[col:col + n, rising] = ramp(n)
        if falling is not None:
            wheel[col:col + n, falling] = 255 - ramp(n)
        col += n
    return wheel


_WHEEL = make_colorwheel()


def flow_to_color(flow, max_flow: float | None = None) -> np.ndarray:
    """Colour-code a flow field.

    Args:
        flow: (2, H, W) tensor/array or (H, W, 2) array, channel 0 = x (right), 1 = y (down),
            in pixels. Non-finite values are drawn black.
        max_flow: magnitude drawn fully saturated; None uses the field's largest magnitude
            (a zero field is then all white).

    Returns:
        (H, W, 3) uint8 RGB image.
    """
    if isinstance(flow, torch.Tensor):
        flow = flow.detach().cpu().numpy()
    flow = np.asarray(flow, dtype=np.float64)
    if flow.ndim == 3 and flow.shape[0] == 2 and flow.shape[-1] != 2:
        flow = flow.transpose(1, 2, 0)
    if flow.ndim != 3 or flow.shape[-1] != 2:
        raise ValueError(f'flow_to_color: expected a flow (2, H, W) or (H, W, 2), got {flow.shape}')
    bad = ~np.isfinite(flow).all(axis=-1)
    u = np.where(bad, 0.0, flow[..., 0])
    v = np.where(bad, 0.0, flow[..., 1])
    rad = np.sqrt(u * u + v * v)
    norm = float(max_flow) if max_flow is not None else float(rad.max())
    if norm <= 0:
        norm = 1.0
    u, v, rad = u / norm, v / norm, rad / norm

    ncols = len(_WHEEL)
    angle = np.arctan2(-v, -u) / np.pi  # in [-1, 1]
    fk = (angle + 1) / 2 * (ncols - 1)
    k0 = np.floor(fk).astype(int)
    k1 = (k0 + 1) % ncols
    f = (fk - k0)[..., None]
    col = ((1 - f) * _WHEEL[k0] + f * _WHEEL[k1]) / 255.0
    inside = (rad <= 1)[..., None]
    col = np.where(inside, 1 - rad[..., None] * (1 - col), col * 0.75)
    img = np.floor(255 * col).astype(np.uint8)
    img[bad] = 0
    return img


def color_wheel_legend(size: int = 64) -> np.ndarray:
    """(size, size, 3) uint8 key: the colour of every direction at every magnitude up to 1."""
    c = (size - 1) / 2
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float64)
    flow = np.stack(((xs - c) / c, (ys - c) / c), axis=-1)
    img = flow_to_color(flow, max_flow=1.0)
    img[np.hypot(flow[..., 0], flow[..., 1]) > 1] = 255  # white outside the disc
    return img


def flow_image(flow, max_flow: float | None = None, legend: bool = True) -> np.ndarray:
    """:func:`flow_to_color` with the wheel key pasted in the top-right corner (if it fits)."""
    img = flow_to_color(flow, max_flow)
    size = min(img.shape[0], img.shape[1]) // 4
    if legend and size >= 16:
        img[2:2 + size, -size - 2:-2] = color_wheel_legend(size)
    return img
