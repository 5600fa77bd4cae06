"""Compensation layers: SPMC splat placement, backward-warp + resize against bicubic."""
import pytest
import torch

from vsrkit.ops import backward_warp, bicubic_upsample, spmc_warp
from vsrkit.registry import MODELS, ConfigError


@pytest.mark.parametrize('c', [1, 3])
@pytest.mark.parametrize('scale', [2, 3, 4])
def test_spmc_zero_flow_places_each_pixel_at_s_times_its_position(c, scale):
    lr = torch.rand(2, c, 5, 6)
    hr = MODELS.build(dict(type='SPMC', scale=scale))(lr, torch.zeros(2, 2, 5, 6))
    assert hr.shape == (2, c, 5 * scale, 6 * scale)
    expected = torch.zeros_like(hr)
    for y in range(5):
        for x in range(6):
            expected[:, :, scale * y, scale * x] = lr[:, :, y, x]
    assert torch.equal(hr, expected)


def test_spmc_subpixel_flow_splats_bilinearly():
    # One pixel at LR (1, 2) moved by (+0.25, -0.5) lands at HR (x, y) = 2*(2.25, 0.5) = (4.5, 1).
    lr = torch.zeros(1, 1, 3, 4)
    lr[0, 0, 1, 2] = 1.0
    flow = torch.zeros(1, 2, 3, 4)
    flow[0, 0, 1, 2], flow[0, 1, 1, 2] = 0.25, -0.5
    hr = MODELS.build(dict(type='SPMC', scale=2))(lr, flow)
    expected = torch.zeros(1, 1, 6, 8)
    expected[0, 0, 1, 4] = expected[0, 0, 1, 5] = 0.5
    torch.testing.assert_close(hr, expected)


def test_spmc_is_the_op_and_differentiable_in_flow():
    lr = torch.rand(2, 1, 6, 7)
    flow = (torch.rand(2, 2, 6, 7) - 0.5).requires_grad_()
    layer = MODELS.build(dict(type='SPMC', scale=3))
    out = layer(lr, flow)
    torch.testing.assert_close(out, spmc_warp(lr, flow, 3))
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
