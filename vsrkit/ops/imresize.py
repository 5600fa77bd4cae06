"""MATLAB-compatible bicubic ``imresize`` (the "BI" degradation of published VSR numbers).

MATLAB's ``imresize(img, scale)`` with the default 'bicubic' method uses Keys'
cubic kernel with a = -0.5 and, when shrinking, widens the kernel by 1/scale
(antialiasing). Borders are handled by symmetric mirroring (edge pixel repeated).
BasicSR and mmagic reimplement exactly this; ``cv2.resize(..., INTER_CUBIC)`` does
not (a = -0.75, no antialiasing), so LR frames made with OpenCV give different
(and non-comparable) PSNR.

Each axis is a linear map with a few taps per output pixel (BasicSR applies it as a
gather); here it is a dense matrix product per axis, which BLAS runs faster at frame sizes.
"""
from __future__ import annotations

import functools
import math

import numpy as np


def cubic(x: np.ndarray) -> np.ndarray:
    """Keys' cubic convolution kernel with a = -0.5 (MATLAB's 'bicubic')."""
    ax = np.abs(x)
    ax2, ax3 = ax * ax, ax * ax * ax
    return ((1.5 * ax3 - 2.5 * ax2 + 1.0) * (ax <= 1)
            + (-0.5 * ax3 + 2.5 * ax2 - 4.0 * ax + 2.0) * ((ax > 1) & (ax <= 2)))


def resize_weights(in_len: int, out_len: int, scale: float,
                   antialiasing: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Weights and source indices MATLAB's imresize uses along one axis.

    Output pixel k (1-based) sits at input coordinate ``u = k / scale + 0.5 * (1 - 1 / scale)``;
    its weights are the kernel at ``u - j`` for the input pixels j in reach, normalised to
    sum 1, with out-of-range j mirrored back into the image (``1..n, n..1``).

    Returns:
        weights (out_len, taps) float64 and 0-based source indices (out_len, taps), so
        ``out[k] = sum_t weights[k, t] * in[src[k, t]]``.
    """
    kernel_width = 4.0
    shrink_aa = scale < 1 and antialiasing
    if shrink_aa:
        kernel_width /= scale
    x = np.arange(1, out_len + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1.0 - 1.0 / scale)
    left = np.floor(u - kernel_width / 2.0)
    taps = math.ceil(kernel_width) + 2
    idx = left[:, None] + np.arange(taps)[None, :]          # 1-based input indices
    dist = u[:, None] - idx
    weights = scale * cubic(dist * scale) if shrink_aa else cubic(dist)
    weights /= weights.sum(axis=1, keepdims=True)
    # Symmetric padding: index sequence 1..n, n..1 repeated.
    period = 2 * in_len
    m = np.mod(idx - 1, period).astype(np.int64)
    src = np.where(m < in_len, m, period - 1 - m)
    # Taps whose weight is zero for every output pixel (the kernel's far ends) cost time only.
    keep = np.any(weights != 0, axis=0)
    return weights[:, keep], src[:, keep]


@functools.lru_cache(maxsize=32)
def resize_matrix(in_len: int, out_len: int, scale: float, antialiasing: bool = True) -> np.ndarray:
    """The same map as a dense (out_len, in_len) matrix (mirrored taps summed); cached
    (frames of a video share their sizes), so the result is read-only."""
    weights, src = resize_weights(in_len, out_len, scale, antialiasing)
    mat = np.zeros((out_len, in_len), dtype=np.float64)
    rows = np.repeat(np.arange(out_len), weights.shape[1])
    np.add.at(mat, (rows, src.ravel()), weights.ravel())
    mat.setflags(write=False)
    return mat


def _resize_axis(x: np.ndarray, axis: int, out_len: int, scale: float,
                 antialiasing: bool) -> np.ndarray:
    # Dense matrix products (BLAS) beat a per-tap gather at frame sizes: rows are one GEMM
    # on the (H, W*C) view, columns one GEMM via tensordot (then channels back last).
    mat = resize_matrix(x.shape[axis], out_len, scale, antialiasing).astype(x.dtype, copy=False)
    if axis == 0:
        return (mat @ x.reshape(x.shape[0], -1)).reshape((out_len,) + x.shape[1:])
    out = np.tensordot(x, mat, axes=([1], [1]))            # (H, [C,] out)
    return out if x.ndim == 2 else out.transpose(0, 2, 1)


def imresize(img: np.ndarray, scale: float | None = None,
             output_shape: tuple[int, int] | None = None,
             antialiasing: bool = True) -> np.ndarray:
    """Resize like MATLAB ``imresize(img, scale, 'bicubic')``.

    Args:
        img: (H, W) or (H, W, C) array. Floats are resized as they are (no clipping) and
            keep their dtype; uint8 is computed in float64, rounded and clipped to uint8,
            as MATLAB does.
        scale: factor for both axes (e.g. 1/4 to downscale by 4); the output size is
            ``ceil(H * scale), ceil(W * scale)``.
        output_shape: ``(out_H, out_W)`` instead of ``scale``; each axis then uses its own
            factor ``out / in``.
        antialiasing: widen the kernel when shrinking (MATLAB's default: True).

    Returns:
        (out_H, out_W) or (out_H, out_W, C) array.
    """
    arr = np.asarray(img)
    if arr.ndim not in (2, 3):
        raise ValueError(f'imresize: expected an (H, W) or (H, W, C) array, got shape {arr.shape}')
    if (scale is None) == (output_shape is None):
        raise ValueError('imresize: give exactly one of scale and output_shape')
    h, w = arr.shape[:2]
    if scale is not None:
        if not scale > 0:
            raise ValueError(f'imresize: scale must be > 0, got {scale}')
        out_h, out_w = math.ceil(h * scale), math.ceil(w * scale)
        sh = sw = float(scale)
    else:
        out_h, out_w = (int(v) for v in output_shape)
        if out_h < 1 or out_w < 1:
            raise ValueError(f'imresize: output_shape must be positive, got {output_shape}')
        sh, sw = out_h / h, out_w / w
    if arr.dtype == np.uint8:
        work = arr.astype(np.float64)
    elif np.issubdtype(arr.dtype, np.floating):
        work = arr
    else:
        raise ValueError(f'imresize: expected a float or uint8 array, got {arr.dtype}')
    # MATLAB resizes the axis with the smaller factor first; with equal factors, rows
    # first. The result differs only by float rounding, but we follow it anyway.
    if sw < sh:
        out = _resize_axis(_resize_axis(work, 1, out_w, sw, antialiasing), 0, out_h, sh, antialiasing)
    else:
        out = _resize_axis(_resize_axis(work, 0, out_h, sh, antialiasing), 1, out_w, sw, antialiasing)
    out = np.ascontiguousarray(out)
    if arr.dtype == np.uint8:
        return np.clip(np.round(out), 0, 255).astype(np.uint8)
    return out

