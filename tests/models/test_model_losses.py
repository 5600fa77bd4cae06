"""Warp, flow-TV and temporal SR losses against hand-computed values; gradchecks."""
import pytest
import torch

from vsrkit.registry import MODELS, ConfigError


def test_warp_loss_hand_values():
    loss = MODELS.build(dict(type='WarpLoss'))
    a = torch.tensor([[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]]])
    b = torch.tensor([[[[1.5, 2.0, 2.0], [4.0, 7.0, 6.0]]]])
    zero = torch.zeros(1, 2, 2, 3)
    torch.testing.assert_close(loss(a, b, zero), torch.tensor((0.5 + 1.0 + 2.0) / 6))
    # flow (+1, 0): warped(p) = b(x + 1, y); the last column samples outside -> 0
    flow = torch.zeros(1, 2, 2, 3)
    flow[:, 0] = 1.0
    warped = torch.tensor([[2.0, 2.0, 0.0], [7.0, 6.0, 0.0]])
    expected = (a[0, 0] - warped).abs().mean()
    torch.testing.assert_close(loss(a, b, flow), expected)
    # masked: the last column (sample outside the image) is left out of the mean
    masked = MODELS.build(dict(type='WarpLoss', mask_holes=True))
    torch.testing.assert_close(masked(a, b, flow), (a[0, 0, :, :2] - warped[:, :2]).abs().mean())
    torch.testing.assert_close(masked(a, b, zero), loss(a, b, zero))


def test_warp_loss_masked_multichannel_and_all_outside():
    masked = MODELS.build(dict(type='WarpLoss', mask_holes=True))
    a, b = torch.rand(2, 3, 4, 5), torch.rand(2, 3, 4, 5)
    flow = torch.zeros(2, 2, 4, 5)
    flow[1, 1] = -1.0  # sample 1 looks one row up: its first row falls outside
    diff = (a - torch.cat((b[:1], torch.cat((torch.zeros(1, 3, 1, 5), b[1:, :, :-1]), 2)))).abs()
    keep = torch.ones(2, 1, 4, 5)
    keep[1, :, 0] = 0
    torch.testing.assert_close(masked(a, b, flow), (diff * keep).sum() / (keep.sum() * 3))
    far = torch.full((2, 2, 4, 5), 100.0)
    assert masked(a, b, far).item() == 0.0  # nothing inside: no NaN


def test_warp_loss_gradcheck():
    torch.manual_seed(0)
    a = torch.rand(1, 2, 4, 5, dtype=torch.float64, requires_grad=True)
    b = torch.rand(1, 2, 4, 5, dtype=torch.float64, requires_grad=True)
    # fractional flows away from integer positions, where bilinear sampling is smooth
    flow = (0.3 + 0.4 * torch.rand(1, 2, 4, 5, dtype=torch.float64)).requires_grad_()
    for mask_holes in (False, True):
        loss = MODELS.build(dict(type='WarpLoss', mask_holes=mask_holes))
        assert torch.autograd.gradcheck(lambda x, y, f: loss(x, y, f), (a, b, flow))


def test_flow_tv_hand_values_and_gradcheck():
    tv = MODELS.build(dict(type='FlowTVLoss'))
    flow = torch.zeros(1, 2, 2, 3)
    flow[0, 0] = torch.tensor([[0.0, 1.0, 3.0], [0.0, 0.0, 0.0]])
    flow[0, 1] = torch.tensor([[1.0, 1.0, 1.0], [2.0, 1.0, 1.0]])
    # x-differences: u row0 1,2 row1 0,0; v row0 0,0 row1 -1,0 -> sum 4 over 8 entries
    # y-differences: u 0,-1,-3; v 1,0,0 -> sum 5 over 6 entries
    torch.testing.assert_close(tv(flow), torch.tensor(4 / 8 + 5 / 6))
    assert tv(torch.full((2, 2, 4, 4), 3.7)).item() == 0.0  # constant flow is free
    f = torch.randn(2, 2, 3, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(tv, (f,))
    with pytest.raises(ValueError, match=r'\(N,2,h,w\)'):
        tv(torch.rand(1, 3, 4, 4))


def test_temporal_sr_loss_hand_values():
    out = torch.zeros(1, 2, 1, 1, 2)
    out[0, 0, 0, 0] = torch.tensor([1.0, 3.0])
    out[0, 1, 0, 0] = torch.tensor([0.0, 1.0])
    gt = torch.tensor([[[[1.0, 1.0]]]])
    # step means of squared errors: (0 + 4)/2 = 2, (1 + 0)/2 = 0.5
    uniform = MODELS.build(dict(type='TemporalSRLoss', weights='uniform'))
    torch.testing.assert_close(uniform(out, gt), torch.tensor((2 + 0.5) / 2))
    # default 'linear': k = (0.5, 1) / 1.5 = (1/3, 2/3)
    linear = MODELS.build(dict(type='TemporalSRLoss'))
    torch.testing.assert_close(linear(out, gt), torch.tensor(2 / 3 + 0.5 * 2 / 3))
    out3 = torch.cat((out, out[:, :1]), 1)  # steps 2, 0.5, 2 with k = (0.5, 0.75, 1) / 2.25
    torch.testing.assert_close(linear(out3, gt), torch.tensor((0.5 * 2 + 0.75 * 0.5 + 1.0 * 2) / 2.25))
    single = MODELS.build(dict(type='TemporalSRLoss'))(out[:, 1:], gt)
    torch.testing.assert_close(single, torch.tensor(0.5))
    weighted = MODELS.build(dict(type='TemporalSRLoss', weights=[0.25, 1.0]))
    torch.testing.assert_close(weighted(out, gt), torch.tensor(0.25 * 2 + 1.0 * 0.5))
    charb = MODELS.build(dict(type='TemporalSRLoss', criterion='charbonnier', eps=0.5))
    r = lambda d: (d * d + 0.25) ** 0.5
    expected = ((r(0.0) + r(2.0)) / 2) / 3 + ((r(1.0) + r(0.0)) / 2) * 2 / 3
    torch.testing.assert_close(charb(out, gt), torch.tensor(expected))


def test_temporal_sr_loss_gradcheck_and_errors():
    out = torch.randn(2, 3, 1, 4, 4, dtype=torch.float64, requires_grad=True)
    gt = torch.randn(2, 1, 4, 4, dtype=torch.float64, requires_grad=True)
    for cfg in (dict(), dict(criterion='charbonnier'), dict(weights=[0.1, 0.3, 1.0])):
        loss = MODELS.build(dict(type='TemporalSRLoss', **cfg))
        assert torch.autograd.gradcheck(loss, (out, gt))
    with pytest.raises(ValueError, match='2 weights for 3 time steps'):
        MODELS.build(dict(type='TemporalSRLoss', weights=[1, 1]))(out, gt)
    with pytest.raises(ValueError, match=r'\(B,T,C,H,W\)'):
        MODELS.build(dict(type='TemporalSRLoss'))(out[:, 0], gt)
    with pytest.raises(ConfigError, match='criterion'):
        MODELS.build(dict(type='TemporalSRLoss', criterion='l1'))
    with pytest.raises(ConfigError, match='non-negative'):
        MODELS.build(dict(type='TemporalSRLoss', weights=[1, -1]))
