"""Colour conversions, ITU-R BT.601 as used by published SR metrics (MATLAB ``rgb2ycbcr``).

Values are floats in [0, 1]. Y lies in [16/255, 235/255]. Numpy arrays carry
channels last (..., 3, RGB order); tensors carry channels at dim -3 (..., 3, H, W).
"""
from __future__ import annotations

import numpy as np
import torch

# Rows: Y, Cb, Cr; columns: R, G, B (MATLAB rgb2ycbcr for inputs in [0, 1]).
_RGB2YCBCR = np.array([[65.481, 128.553, 24.966],
                       [-37.797, -74.203, 112.0],
                       [112.0, -93.786, -18.214]]) / 255.0
_YCBCR_OFFSET = np.array([16.0, 128.0, 128.0]) / 255.0
_YCBCR2RGB = np.linalg.inv(_RGB2YCBCR)


def rgb_to_ycbcr(img):
    """RGB -> YCbCr (BT.601). numpy (..., 3) or tensor (..., 3, H, W)."""
    return _apply(img, _RGB2YCBCR, pre=None, post=_YCBCR_OFFSET)


def ycbcr_to_rgb(img):
    """YCbCr -> RGB (BT.601), the inverse of :func:`rgb_to_ycbcr` (no clipping)."""
    return _apply(img, _YCBCR2RGB, pre=-_YCBCR_OFFSET, post=None)


def rgb_to_y(img):
    """RGB -> Y (BT.601). numpy (..., 3) -> (..., 1); tensor (..., 3, H, W) -> (..., 1, H, W)."""
    if isinstance(img, torch.Tensor):
        return rgb_to_ycbcr(img)[..., :1, :, :]
    return rgb_to_ycbcr(img)[..., :1]


def _apply(img, matrix, pre, post):
    if isinstance(img, torch.Tensor):
        if img.dim() < 3 or img.shape[-3] != 3:
            raise ValueError(f'expected a tensor (..., 3, H, W), got {tuple(img.shape)}')
        m = torch.as_tensor(matrix, dtype=img.dtype, device=img.device)
        x = img
        if pre is not None:
            x = x + torch.as_tensor(pre, dtype=img.dtype, device=img.device).view(3, 1, 1)
        out = torch.einsum('ij,...jhw->...ihw', m, x)
        if post is not None:
            out = out + torch.as_tensor(post, dtype=img.dtype, device=img.device).view(3, 1, 1)
        return out
    arr = np.asarray(img)
    if arr.shape[-1] != 3:
        raise ValueError(f'expected an array (..., 3), got {arr.shape}')
    dtype = arr.dtype if np.issubdtype(arr.dtype, np.floating) else np.float64
    x = arr.astype(np.float64)
    if pre is not None:
        x = x + pre
    out = x @ matrix.T
    if post is not None:
        out = out + post
    return out.astype(dtype)
