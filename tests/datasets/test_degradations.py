"""BI and BD degradations against independent references."""
import math

import numpy as np
import pytest

from vsrkit.datasets.degradations import blur_downsample, crop_to_multiple, degrade, gaussian_kernel_1d
from vsrkit.ops.imresize import imresize


def _bd_reference(img, scale, sigma=1.6, size=13):
    # Brute force: 2-D Gaussian weights exp(-(dx^2+dy^2)/(2 sigma^2)) normalised, borders
    # reflected without repeating the edge (numpy 'reflect'), evaluated only at (s*i, s*j).
    r = size // 2
    d = np.arange(-r, r + 1)
    k2 = np.exp(-(d[:, None] ** 2 + d[None, :] ** 2) / (2 * sigma ** 2))
    k2 /= k2.sum()
    pad = np.pad(img.astype(np.float64), ((r, r), (r, r), (0, 0)), mode='reflect')
    h, w = img.shape[:2]
    out = np.zeros((math.ceil(h / scale), math.ceil(w / scale), img.shape[2]))
    for i, y in enumerate(range(0, h, scale)):
        for j, x in enumerate(range(0, w, scale)):
            out[i, j] = np.tensordot(k2, pad[y:y + size, x:x + size], axes=([0, 1], [0, 1]))
    return out


@pytest.mark.parametrize('scale', [2, 3, 4])
def test_bd_matches_brute_force_gaussian_then_subsample(scale, carphone):
    _, frames = carphone
    img = crop_to_multiple(frames[3][40:88, 60:120], scale)
    ref = _bd_reference(img, scale)
    out = blur_downsample(img, scale)
    assert out.shape == ref.shape and out.dtype == np.uint8
    diff = np.abs(out.astype(np.float64) - ref)
    assert diff.max() <= 0.5 + 1e-3          # = correct rounding up to float32 precision
    assert np.mean(out == np.round(ref)) > 0.999


def test_bd_kernel_and_constant_image():
    k = gaussian_kernel_1d(1.6)
    assert k.shape == (13,) and k.sum() == pytest.approx(1.0) and k.argmax() == 6
    flat = np.full((16, 16, 3), 77, np.uint8)
    assert (degrade(flat, 'BD', 4) == 77).all() and degrade(flat, 'BD', 4).shape == (4, 4, 3)


def test_bi_is_matlab_imresize_rounded(carphone):
    _, frames = carphone
    img = frames[0]
    out = degrade(img, 'BI', 4)
    ref = np.clip(np.round(imresize(img.astype(np.float64), 0.25)), 0, 255)
    np.testing.assert_array_equal(out, ref)
    assert out.shape == (36, 44, 3)


def test_crop_and_errors():
    img = np.zeros((270, 481, 3), np.uint8)
    assert crop_to_multiple(img, 4).shape == (268, 480, 3)
    assert crop_to_multiple(img, 3).shape == (270, 480, 3)
    with pytest.raises(ValueError, match='not divisible by scale 4'):
        degrade(img, 'BI', 4)
    with pytest.raises(ValueError, match="unknown degradation 'BX'"):
        degrade(img[:268, :480], 'BX', 4)
