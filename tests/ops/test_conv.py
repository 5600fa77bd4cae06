"""vsrkit.ops.conv: the NNPACK 3x3 and one-channel convolutions equal F.conv2d (values and
gradients), and fall back to it where their fast path does not apply."""
import warnings

import pytest
import torch
import torch.nn.functional as F

from vsrkit.ops import conv as conv_ops
from vsrkit.ops.conv import conv3x3, conv_to_one_channel, nnpack_available

needs_nnpack = pytest.mark.skipif(not nnpack_available(), reason='this torch has no NNPACK')


def _grads(fn, x, w, b, grad):
    x, w, b = (t.detach().clone().requires_grad_() for t in (x, w, b))
    out = fn(x, w, b)
    out.backward(grad)
    return out.detach(), x.grad, w.grad, b.grad


def _case(n, cin, cout, k, h, w, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, cin, h, w, generator=g)
    wt = torch.randn(cout, cin, k, k, generator=g) / (cin * k * k) ** 0.5
    b = torch.randn(cout, generator=g)
    grad = torch.randn(n, cout, h, w, generator=g)
    return x, wt, b, grad


def _reference(x, w, b, grad):
    """float64 F.conv2d: values and gradients to compare float32 fast paths with."""
    out, gx, gw, gb = _grads(lambda x, w, b: F.conv2d(x, w, b, padding=w.shape[-1] // 2),
                             x.double(), w.double(), b.double(), grad.double())
    return [t.float() for t in (out, gx, gw, gb)]


@needs_nnpack
@pytest.mark.parametrize('shape', [(2, 64, 128, 12, 20), (3, 5, 7, 9, 6)])
@pytest.mark.parametrize('channels_last', [False, True])
def test_conv3x3_matches_float64_conv_values_and_gradients(shape, channels_last):
    n, cin, cout, h, w = shape
    x, wt, b, grad = _case(n, cin, cout, 3, h, w)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    got = _grads(conv3x3, x, wt, b, grad)
    want = _reference(x, wt, b, grad)
    for name, g, r in zip(('out', 'grad x', 'grad w', 'grad b'), got, want):
        # Winograd / FFT rounding: well inside 1e-4 of values of order 1
        torch.testing.assert_close(g, r, rtol=1e-4, atol=1e-4 * r.abs().max().item(), msg=name)


@needs_nnpack
def test_conv3x3_no_bias_and_only_some_gradients():
    x, wt, _, grad = _case(2, 8, 4, 3, 7, 9)
    xg = x.clone().requires_grad_()
    out = conv3x3(xg, wt, None)  # weight without grad: only the input gradient is computed
    out.backward(grad)
    ref = torch.ops.aten.convolution_backward(grad, x, wt, None, [1, 1], [1, 1], [1, 1], False,
                                              [0, 0], 1, [True, False, False])[0]
    torch.testing.assert_close(xg.grad, ref, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(out, F.conv2d(x, wt, padding=1), rtol=1e-4, atol=1e-5)


def test_conv3x3_falls_back_where_nnpack_does_not_apply():
    x, wt, b, _ = _case(1, 3, 4, 3, 6, 5)
    ref = F.conv2d(x.double(), wt.double(), b.double(), padding=1)
    # float64 and fast=False take F.conv2d: bit-identical to it
    assert torch.equal(conv3x3(x.double(), wt.double(), b.double()), ref)
    assert torch.equal(conv3x3(x, wt, b, fast=False), F.conv2d(x, wt, b, padding=1))
    with torch.autocast('cpu', dtype=torch.bfloat16):
        assert conv3x3(x, wt, b).dtype == torch.bfloat16  # autocast's own conv


@needs_nnpack
def test_nnpack_failure_warns_once_and_falls_back(monkeypatch):
    def broken(*args):
        raise RuntimeError('NNPACK SpatialConvolution_updateOutput failed')
    monkeypatch.setattr(torch, '_nnpack_spatial_convolution', broken)
    monkeypatch.setattr(conv_ops, '_nnpack_failed', False)
    x, wt, b, _ = _case(1, 3, 4, 3, 6, 5)
    with pytest.warns(UserWarning, match='NNPACK convolution failed'):
        out = conv3x3(x, wt, b)
    torch.testing.assert_close(out, F.conv2d(x, wt, b, padding=1))
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # no second warning: F.conv2d from now on
        conv3x3(x, wt, b)


@pytest.mark.parametrize('k', [3, 5])
@pytest.mark.parametrize('channels_last', [False, True])
@pytest.mark.parametrize('bias', [True, False])
def test_one_channel_conv_matches_float64_conv(k, channels_last, bias):
    x, wt, b, grad = _case(3, 8, 1, k, 11, 13, seed=k)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
        wt = wt.contiguous(memory_format=torch.channels_last)
    if bias:
        got = _grads(conv_to_one_channel, x, wt, b, grad)
        want = _reference(x, wt, b, grad)
    else:
        got = _grads(lambda x, w, b: conv_to_one_channel(x, w, None) + 0 * b, x, wt, b, grad)
        want = _reference(x, wt, torch.zeros_like(b), grad)
        want[3] = torch.zeros_like(b)
    for name, g, r in zip(('out', 'grad x', 'grad w', 'grad b'), got, want):
        torch.testing.assert_close(g, r, rtol=1e-4, atol=1e-5 * max(1.0, r.abs().max().item()),
                                   msg=name)


def test_one_channel_conv_leaves_other_cases_to_conv2d():
    x, wt, b, _ = _case(2, 4, 3, 5, 6, 7)  # three output channels: not its case
    assert torch.equal(conv_to_one_channel(x, wt, b), F.conv2d(x, wt, b, padding=2))
    x1, w1, b1, _ = _case(2, 4, 1, 5, 6, 7)
    assert torch.equal(conv_to_one_channel(x1.double(), w1.double(), b1.double()),
                       F.conv2d(x1.double(), w1.double(), b1.double(), padding=2))
