"""bicubic_upsample against a literal per-pixel transcription of MATLAB's imresize."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from vsrkit.ops import bicubic_upsample


@pytest.fixture(autouse=True)
def _one_thread():
    # tiny tensors: intra-op threads only spin against other test runs on the shared cores
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _matlab_cubic(x: float) -> float:
    ax = abs(x)
    if ax <= 1:
        return 1.5 * ax ** 3 - 2.5 * ax ** 2 + 1
    if ax <= 2:
        return -0.5 * ax ** 3 + 2.5 * ax ** 2 - 4 * ax + 2
    return 0.0


def _matlab_contributions(in_len: int, scale: int):
    """imresize.m ``contributions`` for bicubic upscaling, 1-based MATLAB arithmetic."""
    kernel_width = 4.0
    rows = []
    for j in range(1, in_len * scale + 1):
        x = j / scale + 0.5 * (1 - 1 / scale)
        left = math.floor(x - kernel_width / 2)
        taps = [left + p for p in range(math.ceil(kernel_width) + 2)]
        weights = [_matlab_cubic(x - t) for t in taps]
        total = sum(weights)
        weights = [w / total for w in weights]
        aux = list(range(1, in_len + 1)) + list(range(in_len, 0, -1))
        taps = [aux[(t - 1) % len(aux)] - 1 for t in taps]  # back to 0-based
        rows.append(list(zip(taps, weights)))
    return rows


def _matlab_imresize_loop(img: np.ndarray, scale: int) -> np.ndarray:
    h, w = img.shape
    cr, cc = _matlab_contributions(h, scale), _matlab_contributions(w, scale)
    out = np.zeros((h * scale, w * scale))
    for i, row_taps in enumerate(cr):
        for j, col_taps in enumerate(cc):
            acc = 0.0
            for a, wa in row_taps:
                for b, wb in col_taps:
                    acc += wa * wb * img[a, b]
            out[i, j] = acc
    return out


@pytest.mark.parametrize('scale', [2, 3, 4])
@pytest.mark.parametrize('size', [(5, 7), (1, 4), (2, 3)])
def test_matches_matlab_loop(scale, size):
    rng = np.random.default_rng(scale * 10 + size[0])
    img = rng.random(size)
    ref = _matlab_imresize_loop(img, scale)
    got = bicubic_upsample(torch.from_numpy(img)[None, None], scale)[0, 0].numpy()
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, atol=1e-12)


def test_batch_channels_float32_and_known_values():
    x = torch.rand(2, 3, 6, 5, generator=torch.Generator().manual_seed(0))
    y = bicubic_upsample(x, 4)
    assert y.shape == (2, 3, 24, 20) and y.dtype == torch.float32
    for n in range(2):
        for c in range(3):
            ref = _matlab_imresize_loop(x[n, c].double().numpy(), 4)
            np.testing.assert_allclose(y[n, c].numpy(), ref, atol=1e-5)
    # A linear ramp is reproduced exactly away from the mirrored border:
    # output pixel j samples u = (j + 0.5) / 2 - 0.5.
    ramp = torch.arange(10, dtype=torch.float64).view(1, 1, 1, 10).expand(1, 1, 3, 10)
    up = bicubic_upsample(ramp, 2)[0, 0, 0]
    j = torch.arange(20, dtype=torch.float64)
    np.testing.assert_allclose(up[4:16].numpy(), ((j + 0.5) / 2 - 0.5)[4:16].numpy(), atol=1e-12)
    # a constant stays constant everywhere, borders included
    const = bicubic_upsample(torch.full((1, 1, 3, 4), 0.3, dtype=torch.float64), 3)
    np.testing.assert_allclose(const.numpy(), 0.3, atol=1e-12)


def test_differs_from_torch_bicubic():
    # torch uses a=-0.75 and clamped borders: not the published bicubic baseline.
    x = torch.rand(1, 1, 8, 8, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    ours = bicubic_upsample(x, 4)
    theirs = F.interpolate(x, scale_factor=4, mode='bicubic', align_corners=False)
    assert (ours - theirs).abs().max() > 1e-3


def test_gradcheck():
    x = torch.rand(1, 2, 3, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: bicubic_upsample(t, 3), (x,))


def test_scale_one_and_bad_input():
    x = torch.rand(1, 1, 4, 4)
    assert torch.equal(bicubic_upsample(x, 1), x)
    assert bicubic_upsample(x, 2.0).shape == (1, 1, 8, 8)
    with pytest.raises(ValueError, match='scale'):
        bicubic_upsample(x, 2.5)
    with pytest.raises(ValueError, match='scale'):
        bicubic_upsample(x, 0)
    with pytest.raises(ValueError, match=r'\(N,C,h,w\)'):
        bicubic_upsample(torch.rand(4, 4), 2)
    with pytest.raises(ValueError, match='float'):
        bicubic_upsample(torch.ones(1, 1, 2, 2, dtype=torch.uint8), 2)


def test_agrees_with_numpy_imresize():
    # Two independent MATLAB ports in this package must agree (imresize: numpy, dense weights).
    from vsrkit.ops.imresize import imresize
    img = np.random.default_rng(7).random((9, 11, 3))
    ref = imresize(img, 4)
    got = bicubic_upsample(torch.from_numpy(img).permute(2, 0, 1)[None], 4)[0].permute(1, 2, 0)
    np.testing.assert_allclose(got.numpy(), ref, atol=1e-12)
