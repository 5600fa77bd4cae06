"""Image-quality and flow-error functions, computed as published VSR tables compute them.

The recipe is BasicSR's ``calculate_psnr`` / ``calculate_ssim`` with ``test_y_channel=True``:
round the images to 8 bit, convert RGB to Y (ITU-R BT.601, kept as float in [16, 235]),
crop ``crop_border`` pixels on every side, then PSNR with peak 255 and SSIM with an 11x11
Gaussian window (sigma 1.5) over the valid region only. All arithmetic is float64.
"""
from __future__ import annotations

import math

import cv2
import numpy as np
import torch

from vsrkit.ops import rgb_to_y


def _as_tensor(img) -> torch.Tensor:
    if isinstance(img, np.ndarray):
        img = torch.from_numpy(img)
    if not isinstance(img, torch.Tensor):
        raise TypeError(f'expected a tensor or array (C, H, W), got {type(img).__name__}')
    return img.detach().cpu().to(torch.float64)


def prepare(img, crop_border: int = 0, convert_to: str | None = 'y') -> torch.Tensor:
    """(C, H, W) in [0, 1] -> (C', H', W') in [0, 255], float64, as the metrics see it.

    Values are clipped to [0, 1] and rounded to 8 bit first, as an image saved to disk would be.
    ``convert_to='y'``: C = 3 (RGB) is converted to Y (BT.601), C = 1 is taken as Y already;
    ``convert_to=None``: all channels as given. Then ``crop_border`` pixels go on every side.
    """
    img = _as_tensor(img)
    if img.dim() != 3 or img.shape[0] not in (1, 3):
        raise ValueError(f'expected an image (C, H, W) with C = 1 (Y) or 3 (RGB), got {tuple(img.shape)}')
    if convert_to not in ('y', 'Y', None):
        raise ValueError(f"convert_to must be 'y' or None, got {convert_to!r}")
    img8 = torch.round(img.clamp(0, 1) * 255.0)
    out = rgb_to_y(img8 / 255.0) * 255.0 if convert_to and img.shape[0] == 3 else img8
    if crop_border > 0:
        if min(out.shape[-2:]) <= 2 * crop_border:
            raise ValueError(f'image {tuple(out.shape)} is too small for crop_border={crop_border}')
        out = out[:, crop_border:-crop_border, crop_border:-crop_border]
    return out


def _pair(pred, gt, crop_border: int, convert_to) -> tuple[torch.Tensor, torch.Tensor]:
    if tuple(pred.shape) != tuple(gt.shape):
        raise ValueError(f'pred {tuple(pred.shape)} and gt {tuple(gt.shape)} differ in shape')
    return prepare(pred, crop_border, convert_to), prepare(gt, crop_border, convert_to)


def psnr(pred, gt, crop_border: int = 0, convert_to: str | None = 'y') -> float:
    """PSNR (dB, peak 255) of two images (C, H, W) in [0, 1]; ``inf`` for identical images."""
    a, b = _pair(pred, gt, crop_border, convert_to)
    mse = torch.mean((a - b) ** 2).item()
    return math.inf if mse == 0 else 10.0 * math.log10(255.0 ** 2 / mse)


def _gaussian_1d(size: int = 11, sigma: float = 1.5) -> np.ndarray:
    # The taps of cv2.getGaussianKernel(11, 1.5); the 2-D window is their outer product.
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2
    g = np.exp(-x ** 2 / (2 * sigma ** 2))
    return g / g.sum()


def ssim(pred, gt, crop_border: int = 0, convert_to: str | None = 'y') -> float:
    """SSIM of two images (C, H, W) in [0, 1]: Gaussian window 11 / 1.5, valid region only,
    averaged over channels (one channel on Y)."""
    a, b = _pair(pred, gt, crop_border, convert_to)
    if min(a.shape[-2:]) < 11:
        raise ValueError(f'SSIM needs at least 11x11 pixels after cropping, got {tuple(a.shape[-2:])}')
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    g = _gaussian_1d()

    def filt(x):  # separable Gaussian; keep only where the window lies inside the image
        return cv2.sepFilter2D(x, cv2.CV_64F, g, g)[5:-5, 5:-5]

    values = []
    for x, y in zip(a.numpy(), b.numpy()):
        mu_x, mu_y = filt(x), filt(y)
        var_x = filt(x * x) - mu_x ** 2
        var_y = filt(y * y) - mu_y ** 2
        cov = filt(x * y) - mu_x * mu_y
        ssim_map = (((2 * mu_x * mu_y + c1) * (2 * cov + c2))
                    / ((mu_x ** 2 + mu_y ** 2 + c1) * (var_x + var_y + c2)))
        values.append(ssim_map.mean())
    return float(np.mean(values))


def flow_epe(flow, flow_gt, skip_index: int | None = None) -> float:
    """Mean end-point error between flows (T, 2, h, w) (or (2, h, w)), in LR pixels.

    ``skip_index`` drops one time step (the reference frame, whose flow is zero by definition
    and would only dilute the average).
    """
    flow, flow_gt = _as_tensor(flow), _as_tensor(flow_gt)
    if tuple(flow.shape) != tuple(flow_gt.shape) or flow.shape[-3] != 2:
        raise ValueError(f'flow {tuple(flow.shape)} and flow_gt {tuple(flow_gt.shape)} must both be (T, 2, h, w)')
    if flow.dim() == 4 and skip_index is not None and flow.shape[0] > 1:
        keep = [t for t in range(flow.shape[0]) if t != skip_index]
        flow, flow_gt = flow[keep], flow_gt[keep]
    return torch.linalg.vector_norm(flow - flow_gt, dim=-3).mean().item()
