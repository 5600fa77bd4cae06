"""Compensation layers: SPMC splat placement, backward-warp + resize against bicubic."""
import pytest
import torch

from vsrkit.ops import backward_warp, bicubic_upsample, spmc_warp
from vsrkit.registry import MODELS, ConfigError


@pytest.mark.parametrize('c', [1, 3])
@pytest.mark.parametrize('scale', [2, 3, 4])
def test_spmc_corner_zero_flow_places_each_pixel_at_s_times_its_position(c, scale):
    lr = torch.rand(2, c, 5, 6)
    hr = MODELS.build(dict(type='SPMC', scale=scale, align='corner'))(lr, torch.zeros(2, 2, 5, 6))
    assert hr.shape == (2, c, 5 * scale, 6 * scale)
    expected = torch.zeros_like(hr)
    for y in range(5):
        for x in range(6):
            expected[:, :, scale * y, scale * x] = lr[:, :, y, x]
    assert torch.equal(hr, expected)


@pytest.mark.parametrize('scale', [2, 3, 4])
def test_spmc_center_zero_flow_splats_at_the_matlab_pixel_centre(scale):
    # MATLAB imresize puts LR pixel x at HR s*x + (s-1)/2: an integer at x3 (one tap), halfway
    # between two HR pixels at x2 and x4 (weights 1/2 per axis).
    lr = torch.rand(1, 1, 4, 5, dtype=torch.float64)
    hr = MODELS.build(dict(type='SPMC', scale=scale))(lr, torch.zeros(1, 2, 4, 5, dtype=torch.float64))
    centre = (scale - 1) / 2
    expected = torch.zeros_like(hr)
    for y in range(4):
        for x in range(5):
            for qy in range(4 * scale):
                for qx in range(5 * scale):
                    w = max(0, 1 - abs(scale * x + centre - qx)) * max(0, 1 - abs(scale * y + centre - qy))
                    expected[0, 0, qy, qx] += w * lr[0, 0, y, x]
    torch.testing.assert_close(hr, expected)
    if scale == 3:
        assert torch.equal(hr[0, 0, 1::3, 1::3], lr[0, 0])


def _misalignment(gt, lr, align, scale=4, max_shift=3):
    """Mean |normalised zero-flow SPMC map - GT shifted by (dy, dx)| over covered pixels, per shift."""
    layer = MODELS.build(dict(type='SPMC', scale=scale, align=align, normalize=True, with_weights=True))
    out = layer(lr, torch.zeros(1, 2, *lr.shape[-2:]))
    hr, weights = out[:, :-1], out[:, -1:]
    m = max_shift
    core = (slice(None), slice(None), slice(m, -m), slice(m, -m))
    covered = (weights[core] > 0).expand_as(hr[core])
    err = {}
    for dy in range(-m, m + 1):
        for dx in range(-m, m + 1):
            shifted = torch.roll(gt, shifts=(-dy, -dx), dims=(-2, -1))  # shifted(q) = gt(q + d)
            err[(dy, dx)] = (hr[core] - shifted[core]).abs()[covered].mean().item()
    return err


def test_spmc_center_lines_up_with_the_gt_of_a_real_matlab_downscaled_frame(carphone_path):
    # A real frame, MATLAB-bicubic downscaled x4: the normalised zero-flow SPMC map lines up
    # with the GT at zero shift with align='center'; the paper's 'corner' grid sits 1.5 HR px
    # up-left of it (best matched by shifting the GT by +1 or +2).
    import cv2
    import numpy as np
    from vsrkit.datasets.degradations import bicubic_downsample
    cap = cv2.VideoCapture(carphone_path)
    ok, bgr = cap.read()
    cap.release()
    assert ok
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)[:128, :160]  # divisible by 4
    lr = bicubic_downsample(gray[..., None], 4).astype(np.float32) / 255.0
    gt = torch.from_numpy(gray.astype(np.float32) / 255.0)[None, None]
    lr = torch.from_numpy(lr).permute(2, 0, 1)[None]
    center = _misalignment(gt, lr, 'center')
    assert min(center, key=center.get) == (0, 0)
    corner = _misalignment(gt, lr, 'corner')
    best = min(corner, key=corner.get)
    assert best in {(1, 1), (1, 2), (2, 1), (2, 2)}, best
    assert center[(0, 0)] < 0.8 * corner[(0, 0)]


def test_spmc_normalize_and_weight_channel():
    lr = torch.rand(2, 1, 5, 6)
    flow = torch.rand(2, 2, 5, 6) - 0.5
    raw, weights = spmc_warp(lr, flow, 4, return_weights=True, offset=1.5)
    both = MODELS.build(dict(type='SPMC', scale=4, with_weights=True))(lr, flow)
    torch.testing.assert_close(both, torch.cat((raw, weights), 1))
    norm = MODELS.build(dict(type='SPMC', scale=4, normalize=True))(lr, flow)
    covered = weights > 1e-3
    torch.testing.assert_close(norm[covered], (raw / weights)[covered])
    assert torch.equal(norm[~covered], torch.zeros_like(norm[~covered]))
    assert MODELS.build(dict(type='SPMC', with_weights=True)).extra_channels == 1
    with pytest.raises(ConfigError, match='align'):
        MODELS.build(dict(type='SPMC', align='middle'))


def test_spmc_subpixel_flow_splats_bilinearly():
    # One pixel at LR (1, 2) moved by (+0.25, -0.5) lands at HR (x, y) = 2*(2.25, 0.5) = (4.5, 1)
    # on the paper's grid, and 0.5 further right and down on the centred one.
    lr = torch.zeros(1, 1, 3, 4)
    lr[0, 0, 1, 2] = 1.0
    flow = torch.zeros(1, 2, 3, 4)
    flow[0, 0, 1, 2], flow[0, 1, 1, 2] = 0.25, -0.5
    hr = MODELS.build(dict(type='SPMC', scale=2, align='corner'))(lr, flow)
    expected = torch.zeros(1, 1, 6, 8)
    expected[0, 0, 1, 4] = expected[0, 0, 1, 5] = 0.5
    torch.testing.assert_close(hr, expected)
    hr = MODELS.build(dict(type='SPMC', scale=2))(lr, flow)  # lands at (5, 1.5)
    expected = torch.zeros(1, 1, 6, 8)
    expected[0, 0, 1, 5] = expected[0, 0, 2, 5] = 0.5
    torch.testing.assert_close(hr, expected)


def test_spmc_is_the_op_and_differentiable_in_flow():
    lr = torch.rand(2, 1, 6, 7)
    flow = (torch.rand(2, 2, 6, 7) - 0.5).requires_grad_()
    layer = MODELS.build(dict(type='SPMC', scale=3))
    out = layer(lr, flow)
    torch.testing.assert_close(out, spmc_warp(lr, flow, 3, offset=1.0))
    (out * torch.rand_like(out)).sum().backward()
    assert flow.grad.abs().sum() > 0
    assert not list(layer.parameters())


@pytest.mark.parametrize('c', [1, 3])
def test_backward_warp_resize_zero_flow_is_bicubic(c):
    lr = torch.rand(2, c, 7, 9)
    out = MODELS.build(dict(type='BackwardWarpResize', scale=4))(lr, torch.zeros(2, 2, 7, 9))
    torch.testing.assert_close(out, bicubic_upsample(lr, 4), atol=1e-6, rtol=0)


def test_backward_warp_resize_inverts_a_translation():
    # F_{i->0} = (+1, 0): frame i's pixel p sits at p + (1, 0) in the reference, so frame i is
    # the reference shifted left; aligning must shift it right again: aligned(q) = lr(q - 1).
    ref = torch.rand(1, 1, 6, 8, dtype=torch.float64)
    flow = torch.zeros(1, 2, 6, 8, dtype=torch.float64)
    flow[:, 0] = 1.0
    frame_i = backward_warp(ref, flow)
    out = MODELS.build(dict(type='BackwardWarpResize', scale=2))(frame_i, flow)
    expected = bicubic_upsample(ref, 2)
    # columns 1..6 of the reference survive both shifts; compare away from the mirrored border
    torch.testing.assert_close(out[..., 6:12], expected[..., 6:12])
    grad_flow = flow.clone().requires_grad_()
    MODELS.build(dict(type='BackwardWarpResize', scale=2))(frame_i + 0.1 * torch.rand_like(frame_i),
                                                           grad_flow + 0.3).sum().backward()
    assert grad_flow.grad.abs().sum() > 0


def test_scale_validation():
    with pytest.raises(ConfigError, match='scale'):
        MODELS.build(dict(type='SPMC', scale=0))
    with pytest.raises(ConfigError, match='scale'):
        MODELS.build(dict(type='BackwardWarpResize', scale=2.5))
    assert MODELS.build(dict(type='SPMC', scale=4.0)).scale == 4
