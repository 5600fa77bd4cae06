"""ConvLSTM and the detail fusion net: equations, architecture, temporal behaviour, shapes."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from vsrkit.registry import MODELS, ConfigError


def _randomise_output(net):
    # The output conv starts at zero (the net starts as bicubic); give it weights to test the path.
    torch.manual_seed(1)
    nn.init.normal_(net.out.weight, std=0.05)
    nn.init.normal_(net.out.bias, std=0.05)


def test_convlstm_matches_the_equations():
    torch.manual_seed(0)
    cell = MODELS.build(dict(type='ConvLSTM', in_channels=3, hidden_channels=4, kernel_size=3))
    x, h, c = torch.randn(2, 3, 5, 6), torch.randn(2, 4, 5, 6), torch.randn(2, 4, 5, 6)
    gates = F.conv2d(torch.cat((x, h), 1), cell.gates.weight, cell.gates.bias, padding=1)
    i, f, o, g = [gates[:, 4 * k:4 * k + 4] for k in range(4)]
    c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    h_new = torch.sigmoid(o) * torch.tanh(c_new)
    out, (h2, c2) = cell(x, (h, c))
    torch.testing.assert_close(c2, c_new)
    torch.testing.assert_close(h2, h_new)
    assert out is h2
    # no state = zero state
    zeros = torch.zeros(2, 4, 5, 6)
    torch.testing.assert_close(cell(x)[0], cell(x, (zeros, zeros))[0])
    assert torch.all(cell.gates.bias[4:8] == 1.0)  # forget-gate bias


def _conv_params(cin, cout, k):
    return cin * cout * k * k + cout


def test_reference_architecture_and_parameter_count():
    # DRVSR's layer list (psychopa4/PFNL model/drvsr.py): enc1 5x5/32, enc2 3x3/2 64, enc2_1 3x3
    # 64, enc3 3x3/2 128, ConvLSTM 128, enc3_1 3x3 128 AFTER the LSTM, dec1 deconv 64 + skip,
    # dec1_1 3x3 64, dec2 deconv 32 + skip, dec2_1 3x3 32, dec3 5x5 -> 1.
    net = MODELS.build(dict(type='DetailFusionNet'))
    enc = [_conv_params(1, 32, 5), _conv_params(32, 64, 3), _conv_params(64, 64, 3),
           _conv_params(64, 128, 3)]
    lstm = _conv_params(128 + 128, 4 * 128, 3)
    dec = [_conv_params(128, 128, 3), _conv_params(128, 64, 4), _conv_params(64, 64, 3),
           _conv_params(64, 32, 4), _conv_params(32, 32, 3), _conv_params(32, 1, 5)]
    assert sum(p.numel() for p in net.parameters()) == sum(enc) + lstm + sum(dec)
    convs = [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))
             and m is not net.temporal.gates]
    assert [m.stride[0] for m in convs] == [1, 2, 1, 2, 1, 2, 1, 2, 1, 1]
    assert [m.kernel_size[0] for m in convs] == [5, 3, 3, 3, 3, 4, 3, 4, 3, 5]
    assert [type(m).__name__ for m in convs].count('ConvTranspose2d') == 2
    assert net.dec0[0].in_channels == 128 and net.dec0[0].out_channels == 128  # after the LSTM
    no_lstm = MODELS.build(dict(type='DetailFusionNet', use_lstm=False))
    assert sum(p.numel() for p in no_lstm.parameters()) == sum(enc) + _conv_params(128, 128, 3) + sum(dec)


def test_channels_last_matches_nchw():
    torch.manual_seed(0)
    kw = dict(type='DetailFusionNet', enc_channels=(8, 16, 16, 16), lstm_channels=16,
              dec_channels=(8, 16, 16, 8, 8))
    a = MODELS.build(dict(kw, channels_last=False))
    _randomise_output(a)
    b = MODELS.build(dict(kw, channels_last=True))
    b.load_state_dict(a.state_dict())
    hr, ref_up = torch.randn(2, 3, 1, 20, 28), torch.randn(2, 1, 20, 28)
    hr_a, hr_b = hr.clone().requires_grad_(), hr.clone().requires_grad_()
    out_a, out_b = a(hr_a, ref_up), b(hr_b, ref_up)
    torch.testing.assert_close(out_b, out_a, rtol=0, atol=1e-5)
    out_a.square().sum().backward()
    out_b.square().sum().backward()
    torch.testing.assert_close(hr_b.grad, hr_a.grad, rtol=1e-4, atol=1e-5)
    for (name, pa), pb in zip(a.named_parameters(), b.parameters()):
        torch.testing.assert_close(pb.grad, pa.grad, rtol=1e-4, atol=1e-4, msg=name)


@pytest.mark.parametrize('c', [1, 3])
@pytest.mark.parametrize('size', [(16, 24), (18, 22), (9, 13)])
def test_shapes_and_untrained_output_is_ref_up(c, size):
    net = MODELS.build(dict(type='DetailFusionNet', in_channels=c, enc_channels=(8, 16, 16, 16),
                            lstm_channels=16, dec_channels=(8, 16, 16, 8, 8)))
    hr, ref_up = torch.randn(2, 3, c, *size), torch.randn(2, c, *size)
    out = net(hr, ref_up)
    assert out.shape == (2, 3, c, *size)
    torch.testing.assert_close(out, ref_up.unsqueeze(1).expand_as(out))
    _randomise_output(net)
    out = net(hr, ref_up)
    assert not torch.allclose(out, ref_up.unsqueeze(1).expand_as(out))
    out.sum().backward()
    assert all(p.grad is not None for p in net.parameters())


def _small(use_lstm):
    torch.manual_seed(0)
    net = MODELS.build(dict(type='DetailFusionNet', enc_channels=(8, 16, 16, 16),
                            lstm_channels=16, dec_channels=(8, 16, 16, 8, 8), use_lstm=use_lstm))
    _randomise_output(net)
    return net


def _grad_per_frame(net, hr, t):
    """|d out[:, t] / d hr[:, k]| summed, for every input frame k."""
    hr = hr.clone().requires_grad_()
    net(hr, torch.zeros(1, 1, 16, 16))[:, t].sum().backward()
    return hr.grad.abs().sum(dim=(0, 2, 3, 4))


def test_lstm_carries_state_over_time():
    net = _small(use_lstm=True)
    hr, ref_up = torch.randn(1, 3, 1, 16, 16), torch.zeros(1, 1, 16, 16)
    grad = _grad_per_frame(net, hr, t=2)
    # the last output depends on the earlier frames, through the LSTM state only (the
    # encoder skips are per frame); at init that path is weak but strictly there
    assert grad[0] > 1e-8 * grad[2] and grad[1] > 1e-8 * grad[2], grad
    assert torch.equal(_grad_per_frame(net, hr, t=0)[1:], torch.zeros(2))  # causal
    a = net(hr, ref_up)
    changed = hr.clone()
    changed[:, 0] += 1.0
    assert not torch.equal(net(changed, ref_up)[:, 2], a[:, 2])
    # batched over T == stepping the net frame by frame with the state carried along
    seq = torch.stack([net(hr[:, :t + 1], ref_up)[:, t] for t in range(3)], 1)
    torch.testing.assert_close(seq, a)


def test_without_lstm_each_step_sees_only_its_frame():
    net = _small(use_lstm=False)
    hr, ref_up = torch.randn(1, 3, 1, 16, 16), torch.zeros(1, 1, 16, 16)
    grad = _grad_per_frame(net, hr, t=2)
    assert torch.equal(grad[:2], torch.zeros(2)) and grad[2] > 0
    a = net(hr, ref_up)
    changed = hr.clone()
    changed[:, 0] += 1.0
    b = net(changed, ref_up)
    assert torch.equal(a[:, 1:], b[:, 1:]) and not torch.equal(a[:, 0], b[:, 0])
    torch.testing.assert_close(net(hr[:, 2:], ref_up)[:, 0], a[:, 2])


def test_errors():
    with pytest.raises(ConfigError, match='dec_channels'):
        MODELS.build(dict(type='DetailFusionNet', dec_channels=(128, 32, 64, 32, 32)))
    with pytest.raises(ConfigError, match='4 positive widths'):
        MODELS.build(dict(type='DetailFusionNet', enc_channels=(32, 64)))
    net = _small(True)
    with pytest.raises(ValueError, match='hr_seq'):
        net(torch.rand(1, 3, 16, 16), torch.rand(1, 1, 16, 16))
    with pytest.raises(ValueError, match='ref_up'):
        net(torch.rand(1, 3, 1, 16, 16), torch.rand(1, 1, 8, 8))
