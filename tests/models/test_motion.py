"""Motion estimators: shapes, architecture, flow convention, and learning a real sub-pixel shift."""
import pytest
import torch
import torch.nn as nn

from vsrkit.ops import backward_warp
from vsrkit.registry import MODELS, ConfigError


def _const_flow(fx, fy, n, h, w):
    return torch.tensor([fx, fy], dtype=torch.float32).view(1, 2, 1, 1).expand(n, 2, h, w)


@pytest.mark.parametrize('c', [1, 3])
@pytest.mark.parametrize('size', [(16, 20), (13, 18), (7, 5)])
def test_vespcn_shapes(c, size):
    net = MODELS.build(dict(type='VESPCNMotion', in_channels=c))
    a, b = torch.rand(2, c, *size), torch.rand(2, c, *size)
    flow = net(a, b)
    assert flow.shape == (2, 2, *size)
    flow.abs().sum().backward()
    assert all(p.grad is not None for p in net.parameters())


def test_vespcn_layers_match_the_paper():
    net = MODELS.build(dict(type='VESPCNMotion', in_channels=1))
    convs = lambda seq: [(m.in_channels, m.out_channels, m.kernel_size[0], m.stride[0])
                         for m in seq if isinstance(m, nn.Conv2d)]
    assert convs(net.coarse) == [(2, 24, 5, 2), (24, 24, 3, 1), (24, 24, 5, 2), (24, 24, 3, 1),
                                 (24, 32, 3, 1)]
    # fine input: frame_i, frame_0, coarse flow, warped reference = 3C + 2 channels
    assert convs(net.fine) == [(5, 24, 5, 2), (24, 24, 3, 1), (24, 24, 3, 1), (24, 24, 3, 1),
                               (24, 8, 3, 1)]
    leaky = [m for m in net.modules() if isinstance(m, nn.LeakyReLU)]
    assert len(leaky) == 8 and all(m.negative_slope == 0.1 for m in leaky)  # none after the outputs
    relu = MODELS.build(dict(type='VESPCNMotion', activation='relu'))
    assert sum(isinstance(m, nn.ReLU) for m in relu.modules()) == 8
    with pytest.raises(ConfigError, match='activation'):
        MODELS.build(dict(type='VESPCNMotion', activation='gelu'))
    wide = MODELS.build(dict(type='VESPCNMotion', in_channels=3, coarse_channels=(8, 8, 8, 8),
                             fine_channels=(4, 4, 4, 4)))
    assert convs(wide.fine)[0] == (11, 4, 5, 2)
    with pytest.raises(ConfigError, match='coarse_channels'):
        MODELS.build(dict(type='VESPCNMotion', coarse_channels=(8, 8)))


def _lcn_by_hand(a, b, k, eps=0.01):
    # local mean / std over k x k windows (edge pixels repeated) and both frames, by loops
    both = torch.cat((a, b), 1)[0]
    h, w = both.shape[-2:]
    mean, std = torch.empty(h, w), torch.empty(h, w)
    r = k // 2
    for y in range(h):
        for x in range(w):
            ys = [min(max(y + d, 0), h - 1) for d in range(-r, r + 1)]
            xs = [min(max(x + d, 0), w - 1) for d in range(-r, r + 1)]
            patch = both[:, ys][:, :, xs]
            mean[y, x] = patch.mean()
            std[y, x] = patch.var(unbiased=False).sqrt()
    return (a - mean) / (std + eps), (b - mean) / (std + eps)


def test_local_contrast_normalize_by_hand():
    from vsrkit.models.motion.vespcn import local_contrast_normalize
    torch.manual_seed(0)
    a, b = torch.rand(1, 1, 9, 11, dtype=torch.float64), torch.rand(1, 1, 9, 11, dtype=torch.float64)
    for k, want in zip((3, 7), (_lcn_by_hand(a, b, 3), _lcn_by_hand(a, b, 7))):
        got = local_contrast_normalize(a, b, k)
        torch.testing.assert_close(got[0], want[0])
        torch.testing.assert_close(got[1], want[1])
    # invariant to a brightness / contrast change applied to both frames
    g = local_contrast_normalize(3 * a + 0.2, 3 * b + 0.2, 7, eps=0)
    torch.testing.assert_close(g, local_contrast_normalize(a, b, 7, eps=0))


def test_vespcn_flow_is_coarse_plus_fine():
    # Reproduce the forward by hand from the layers: flow = PS4(coarse) + PS2(fine(...)), on
    # the locally contrast-normalised frames.
    from vsrkit.models.motion.vespcn import local_contrast_normalize
    torch.manual_seed(0)
    net = MODELS.build(dict(type='VESPCNMotion', out_init_scale=1.0))
    a0, b0 = torch.rand(1, 1, 12, 16), torch.rand(1, 1, 12, 16)
    a, b = local_contrast_normalize(a0, b0, 7)
    coarse = nn.functional.pixel_shuffle(net.coarse(torch.cat((a, b), 1)), 4)
    warped = backward_warp(b, coarse)
    fine = nn.functional.pixel_shuffle(net.fine(torch.cat((a, b, coarse, warped), 1)), 2)
    torch.testing.assert_close(net(a0, b0), coarse + fine)
    raw = MODELS.build(dict(type='VESPCNMotion', out_init_scale=1.0, normalize_window=0))
    raw.load_state_dict(net.state_dict())
    assert not torch.allclose(raw(a0, b0), net(a0, b0))
    with pytest.raises(ConfigError, match='normalize_window'):
        MODELS.build(dict(type='VESPCNMotion', normalize_window=4))


def test_vespcn_rejects_bad_inputs():
    net = MODELS.build(dict(type='VESPCNMotion', in_channels=1))
    with pytest.raises(ValueError, match='in_channels=1'):
        net(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8))
    with pytest.raises(ValueError, match='equal shape'):
        net(torch.rand(1, 1, 8, 8), torch.rand(1, 1, 8, 9))


def test_zero_motion():
    net = MODELS.build(dict(type='ZeroMotion'))
    flow = net(torch.rand(3, 3, 5, 7), torch.rand(3, 3, 5, 7))
    assert flow.shape == (3, 2, 5, 7) and not flow.any()
    assert not list(net.parameters())


@pytest.mark.parametrize('method', ['dis', 'farneback'])
def test_opencv_flow_recovers_a_real_shift(shifted_pair, method):
    frame_i, ref, true = shifted_pair(0.6, -0.4)
    net = MODELS.build(dict(type='OpenCVFlowMotion', method=method))
    flow = net(frame_i, ref)
    assert flow.shape == (1, 2, 48, 48) and not list(net.parameters())
    epe = (flow - true).norm(dim=1)[0, 8:-8, 8:-8].mean()
    assert epe < 0.2 * true.norm(dim=1).mean(), epe
    # the joint min-max makes the flow independent of the pixel range ([0,1] vs [-0.5,0.5])
    torch.testing.assert_close(net(frame_i - 0.5, ref - 0.5), flow)


def test_opencv_flow_rgb_and_errors(shifted_pair):
    frame_i, ref, true = shifted_pair(-1.3, 0.8, rgb=True)
    flow = MODELS.build(dict(type='OpenCVFlowMotion'))(frame_i, ref)
    assert (flow - true).norm(dim=1)[0, 8:-8, 8:-8].mean() < 0.2 * true[0, :, 0, 0].norm()
    with pytest.raises(ConfigError, match='method'):
        MODELS.build(dict(type='OpenCVFlowMotion', method='lk'))
    with pytest.raises(ValueError, match='DIS needs'):
        MODELS.build(dict(type='OpenCVFlowMotion'))(torch.rand(1, 1, 6, 6), torch.rand(1, 1, 6, 6))
    with pytest.raises(ValueError, match='channels'):
        MODELS.build(dict(type='OpenCVFlowMotion'))(torch.rand(1, 2, 16, 16), torch.rand(1, 2, 16, 16))


def test_vespcn_learns_a_real_subpixel_shift(shifted_pair):
    """Train the ME net alone (warp L1 + 0.01 TV) on a real crop moved by a known sub-pixel shift."""
    torch.manual_seed(0)
    frame_i, ref, true = shifted_pair(0.6, -0.4)
    frame_i, ref = frame_i - 0.5, ref - 0.5  # the model's pixel range
    net = MODELS.build(dict(type='VESPCNMotion'))
    warp_loss, tv_loss = MODELS.build(dict(type='WarpLoss')), MODELS.build(dict(type='FlowTVLoss'))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    first = None
    for _ in range(150):
        flow = net(frame_i, ref)
        loss = warp_loss(frame_i, ref, flow) + 0.01 * tv_loss(flow)
        first = loss.item() if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        flow = net(frame_i, ref)
    interior = (slice(None), slice(8, -8), slice(8, -8))
    epe = (flow - true).norm(dim=1)[interior].mean().item()
    zero_epe = true.norm(dim=1)[interior].mean().item()
    assert loss.item() < 0.2 * first
    assert epe < 0.2 * zero_epe, (epe, zero_epe)
