"""LR degradations of uint8 frames: ``BI`` (MATLAB bicubic) and ``BD`` (Gaussian blur, then
every s-th pixel), and the crop that makes a frame divisible by the scale.

Frames are uint8 (H, W, C), any channel order; results are rounded back to uint8, as the
published LR sets are stored.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

from ..ops.imresize import imresize

DEGRADATIONS = ('BI', 'BD')


def crop_to_multiple(img: np.ndarray, multiple: int) -> np.ndarray:
    """Drop the bottom rows / right columns so H and W are divisible by ``multiple``."""
    h, w = img.shape[:2]
    return img[:h - h % multiple, :w - w % multiple]


def bicubic_downsample(img: np.ndarray, scale: int) -> np.ndarray:
    """``BI``: MATLAB ``imresize(img, 1/scale)`` (bicubic, antialiased) of a uint8 frame,
    computed in float64 and rounded to uint8."""
    return imresize(np.asarray(img, dtype=np.uint8), 1.0 / scale)


def gaussian_kernel_1d(sigma: float, size: int | None = None) -> np.ndarray:
    """Normalised 1-D Gaussian of odd ``size``; by default 13 taps (BasicSR's BD kernel for
    sigma 1.6), more for a wider sigma (+-3 sigma)."""
    if size is None:
        size = max(13, 2 * math.ceil(3 * sigma) + 1)
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def blur_downsample(img: np.ndarray, scale: int, sigma: float = 1.6) -> np.ndarray:
    """``BD``: Gaussian blur (``sigma``, reflected borders), then pixels (s*i, s*j)."""
    k = gaussian_kernel_1d(sigma).astype(np.float32)
    # float32 (not OpenCV's fixed-point uint8 path) so the only rounding is the final one.
    blurred = cv2.sepFilter2D(img.astype(np.float32), -1, k, k, borderType=cv2.BORDER_REFLECT_101)
    if blurred.ndim == 2 and img.ndim == 3:
        blurred = blurred[:, :, None]
    return _to_uint8(blurred[::scale, ::scale])


def degrade(img: np.ndarray, kind: str, scale: int, sigma: float = 1.6) -> np.ndarray:
    """Apply degradation ``kind`` ('BI' or 'BD') at integer ``scale``; H and W must be
    divisible by ``scale`` (see :func:`crop_to_multiple`)."""
    h, w = img.shape[:2]
    if h % scale or w % scale:
        raise ValueError(f'degrade: frame {h}x{w} is not divisible by scale {scale}; crop it first')
    if kind == 'BI':
        return bicubic_downsample(img, scale)
    if kind == 'BD':
        return blur_downsample(img, scale, sigma)
    raise ValueError(f"unknown degradation {kind!r}; use one of {DEGRADATIONS}")


def _to_uint8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x), 0, 255).astype(np.uint8)
