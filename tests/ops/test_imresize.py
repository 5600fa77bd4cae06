"""vsrkit.ops.imresize against hand-computed MATLAB values and a per-pixel loop."""
import math

import cv2
import numpy as np
import pytest
import torch

import vsrkit.ops
from vsrkit.ops import bicubic_upsample
from vsrkit.ops.imresize import imresize


def test_hand_computed_downscale_by_2():
    # MATLAB imresize([1 2 3 4], 0.5): output pixel 1 sits at u = 1/0.5 + 0.5*(1 - 2) = 1.5.
    # Antialiasing widens the kernel to 8 taps: weights 0.5*cubic(0.5*(1.5 - j)), j = -2..5,
    # cubic(0.25) = 0.8671875, cubic(0.75) = 0.2265625, cubic(1.25) = -0.0703125,
    # cubic(1.75) = -0.0234375 (a = -0.5), normalised by their sum (2 * 0.5 = 1.0 here).
    # Mirroring maps j = -2, -1, 0 to pixels 3, 2, 1 and j = 5 to 4, so pixel 1 gets
    # 0.43359375 + 0.11328125, pixel 2 0.43359375 - 0.03515625, pixel 3 0.11328125 - 0.01171875,
    # pixel 4 -0.03515625 - 0.01171875.
    w = np.array([0.546875, 0.3984375, 0.1015625, -0.046875])
    v = np.array([1.0, 2.0, 3.0, 4.0])
    expected = [w @ v, w @ v[::-1]]                      # = 1.4609375, 3.5390625
    assert expected == [1.4609375, 3.5390625]
    out = imresize(v[None, :], output_shape=(1, 2))
    np.testing.assert_allclose(out[0], expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(imresize(np.tile(v, (4, 1)), 0.5), [expected, expected], atol=1e-12)


def test_hand_computed_upscale_by_2():
    # imresize([1 2 3 4], 2), first output pixel: u = 0.5 + 0.5*(1 - 0.5) = 0.75, taps j = -1..2
    # at distances 1.75, 0.75, -0.25, -1.25 -> weights -0.0234375, 0.2265625, 0.8671875,
    # -0.0703125 on pixels (mirrored) 2, 1, 1, 2: 0.90625.
    out = imresize(np.array([[1.0, 2.0, 3.0, 4.0]]), 2)
    assert out.shape == (2, 8)
    assert out[0, 0] == pytest.approx(0.90625, abs=1e-12)
    assert out[0, 3] == pytest.approx(2.25, abs=1e-12)   # u = 2.25 on a linear ramp, inside
    np.testing.assert_allclose(out[0], out[1])


def _cubic(x):
    x = abs(x)
    if x <= 1:
        return 1.5 * x ** 3 - 2.5 * x ** 2 + 1
    if x <= 2:
        return -0.5 * x ** 3 + 2.5 * x ** 2 - 4 * x + 2
    return 0.0


def _mirror(j, n):
    # 1-based index folded back into 1..n by repeated reflection (edge pixel repeated).
    while j < 1 or j > n:
        j = 1 - j if j < 1 else 2 * n + 1 - j
    return j


def _loop_axis(line, out_len, scale):
    """imresize.m for one line, literally: every output pixel, every tap in reach."""
    n = len(line)
    width = 4.0 / scale if scale < 1 else 4.0
    out = []
    for k in range(1, out_len + 1):
        u = k / scale + 0.5 * (1 - 1 / scale)
        js = range(math.floor(u - width / 2), math.floor(u - width / 2) + math.ceil(width) + 2)
        ws = [(scale * _cubic(scale * (u - j)) if scale < 1 else _cubic(u - j)) for j in js]
        out.append(sum(w * line[_mirror(j, n) - 1] for w, j in zip(ws, js)) / sum(ws))
    return out


def _loop_resize(img, out_h, out_w):
    h, w = img.shape[:2]
    cols = np.array([[_loop_axis(img[:, x, c], out_h, out_h / h) for x in range(w)]
                     for c in range(img.shape[2])])          # (C, W, out_h)
    rows = np.array([[_loop_axis(cols[c, :, y], out_w, out_w / w) for y in range(out_h)]
                     for c in range(img.shape[2])])          # (C, out_h, out_w)
    return rows.transpose(1, 2, 0)


@pytest.mark.parametrize('shape,out_shape', [((12, 16, 3), (3, 4)), ((12, 15, 1), (4, 5)),
                                             ((9, 7, 2), (18, 21)), ((11, 13, 1), (5, 20)),
                                             ((7, 8, 1), (7, 8))])
def test_matches_per_pixel_loop(shape, out_shape):
    rng = np.random.default_rng(sum(shape))
    img = rng.random(shape)
    ref = _loop_resize(img, *out_shape)
    out = imresize(img, output_shape=out_shape)
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-12)
    if shape[2] == 1:  # 2-D input takes the same path
        np.testing.assert_allclose(imresize(img[..., 0], output_shape=out_shape), ref[..., 0], atol=1e-12)


def test_scale_argument_gives_matlab_output_size_and_factor():
    img = np.random.default_rng(0).random((10, 14, 3))
    out = imresize(img, 1 / 3)
    assert out.shape == (4, 5, 3)                      # ceil(10/3), ceil(14/3)
    # With a scale, the kernel uses the given factor (1/3), not out/in (0.4 and 0.357).
    np.testing.assert_allclose(out[:, :, 0], np.array(
        [_loop_axis(r, 5, 1 / 3) for r in np.array([_loop_axis(img[:, x, 0], 4, 1 / 3)
                                                    for x in range(14)]).T]), atol=1e-12)


def test_integer_upscale_matches_the_independent_bicubic_upsample():
    x = np.random.default_rng(1).random((9, 11, 3))
    ref = bicubic_upsample(torch.from_numpy(x).permute(2, 0, 1)[None], 4)[0].permute(1, 2, 0).numpy()
    np.testing.assert_allclose(imresize(x, 4), ref, atol=1e-10)


def test_uint8_float32_and_constants():
    rng = np.random.default_rng(2)
    u8 = rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)
    out = imresize(u8, 0.25)
    assert out.dtype == np.uint8 and out.shape == (6, 8, 3)
    np.testing.assert_array_equal(out, np.clip(np.round(imresize(u8.astype(np.float64), 0.25)), 0, 255))
    f32 = imresize(u8.astype(np.float32) / 255, 0.25)
    assert f32.dtype == np.float32
    np.testing.assert_allclose(f32 * 255, imresize(u8.astype(np.float64), 0.25), atol=1e-3)
    const = np.full((13, 17), 0.3)
    np.testing.assert_allclose(imresize(const, 0.25), 0.3, atol=1e-14)   # weights sum to 1


def test_is_not_opencv_bicubic():
    x = np.random.default_rng(3).random((32, 32)).astype(np.float32)
    ours = imresize(x, 0.5)
    theirs = cv2.resize(x, (16, 16), interpolation=cv2.INTER_CUBIC)
    assert np.abs(ours - theirs).max() > 0.05


def test_exported_as_vsrkit_ops_imresize_callable_every_way():
    x = np.random.default_rng(4).random((8, 8))
    ref = imresize(x, 0.5)
    for _ in range(2):  # the second access used to return the module
        np.testing.assert_array_equal(vsrkit.ops.imresize(x, 0.5), ref)
    from vsrkit.ops import imresize as f
    np.testing.assert_array_equal(f(x, 0.5), ref)


def test_bad_arguments():
    with pytest.raises(ValueError, match='shape'):
        imresize(np.zeros((2, 3, 4, 5)), 0.5)
    with pytest.raises(ValueError, match='exactly one'):
        imresize(np.zeros((4, 4)), 0.5, output_shape=(2, 2))
    with pytest.raises(ValueError, match='scale must be > 0'):
        imresize(np.zeros((4, 4)), 0)
    with pytest.raises(ValueError, match='float or uint8'):
        imresize(np.zeros((4, 4), dtype=np.int32), 0.5)
