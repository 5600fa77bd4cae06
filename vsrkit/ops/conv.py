"""Convolutions for the layer shapes where PyTorch's default CPU kernel (oneDNN, direct
convolution) is far from the machine's peak; the same maths, the same parameters.

- :func:`conv3x3`: a 3x3 'same' convolution by NNPACK's fast algorithms (Winograd / FFT,
  fewer multiplications than the direct method): ~1.7-2.9x on the wide convolutions at 1/4
  resolution (the ConvLSTM gates), measured in docs/BENCHMARKS.md. PyTorch ships NNPACK in its
  CPU builds but only routes convolutions to it when oneDNN is off, so it is called directly;
  its result differs from the direct method by float rounding (~1e-5 relative).
- :func:`conv_to_one_channel`: a k x k convolution with ONE output channel (the fusion net's
  output layer) as a depthwise convolution plus a channel sum: ~3x faster forward than oneDNN,
  which vectorises over output channels and has only one here. Its kernel gradient is the
  kernel gradient of the mirrored convolution (one channel in, Cin out), which oneDNN
  vectorises, and its bias gradient a plain sum: backward ~4x faster.

Both fall back to ``F.conv2d`` wherever their fast path does not apply (CUDA, other dtypes,
autocast, a torch without NNPACK), so callers need no device checks.
"""
from __future__ import annotations

import functools
import warnings

import torch
import torch.nn.functional as F
from torch import Tensor


@functools.lru_cache(maxsize=None)
def nnpack_available() -> bool:
    """Whether this torch has a working NNPACK (also initialises it: its convolution fails
    until ``_nnpack_available`` has run once in the process)."""
    check = getattr(torch, '_nnpack_available', None)
    if check is None or not hasattr(torch, '_nnpack_spatial_convolution'):
        return False
    try:
        return bool(check())
    except RuntimeError:
        return False


_nnpack_failed = False


def _fast_path(x: Tensor) -> bool:
    return (x.device.type == 'cpu' and x.dtype == torch.float32 and x.dim() == 4
            and not torch.is_autocast_enabled('cpu'))


def _conv_grads(grad: Tensor, x: Tensor, weight: Tensor, padding: int, needs: tuple[bool, ...]):
    """(grad_x, grad_weight, grad_bias) of ``F.conv2d(x, weight, bias, padding=padding)``."""
    return torch.ops.aten.convolution_backward(
        grad, x, weight, [weight.shape[0]], [1, 1], [padding, padding], [1, 1], False, [0, 0], 1,
        list(needs))


class _NNPACKConv3x3(torch.autograd.Function):
    """3x3, stride 1, padding 1. Forward and input gradient (itself a 3x3 convolution, with
    the kernel flipped and in/out swapped) by NNPACK; the kernel gradient by oneDNN."""

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        x, weight = x.contiguous(), weight.contiguous()
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        return torch._nnpack_spatial_convolution(x, weight, bias, [1, 1])

    @staticmethod
    def backward(ctx, grad: Tensor):
        x, weight = ctx.saved_tensors
        grad = grad.contiguous()
        need_x, need_w, need_b = ctx.needs_input_grad
        grad_x = grad_w = grad_b = None
        if need_x:
            flipped = weight.flip(2, 3).transpose(0, 1).contiguous()
            grad_x = torch._nnpack_spatial_convolution(grad, flipped, None, [1, 1])
        if need_w or (need_b and ctx.has_bias):
            _, grad_w, grad_b = _conv_grads(grad, x, weight, 1, (False, need_w, need_b and ctx.has_bias))
        return grad_x, grad_w, grad_b


@torch.compiler.disable  # NNPACK has no fake-tensor kernel: torch.compile runs this eagerly
def conv3x3(x: Tensor, weight: Tensor, bias: Tensor | None = None, fast: bool = True) -> Tensor:
    """``F.conv2d(x, weight, bias, padding=1)`` for a (Cout, Cin, 3, 3) kernel, stride 1.

    With ``fast`` on a CPU float32 tensor and a torch with NNPACK: NNPACK's algorithm (the
    output is NCHW-contiguous); anywhere else, or if NNPACK fails once (then for the rest of
    the process, with a warning), ``F.conv2d``.

    Shapes: x (N, Cin, H, W), weight (Cout, Cin, 3, 3), bias (Cout,) -> (N, Cout, H, W).
    """
    global _nnpack_failed
    if fast and not _nnpack_failed and _fast_path(x) and nnpack_available():
        try:
            return _NNPACKConv3x3.apply(x, weight, bias)
        except RuntimeError as err:  # e.g. NNPACK refusing a shape or running out of memory
            _nnpack_failed = True
            warnings.warn(f'NNPACK convolution failed ({err}); using F.conv2d from now on')
    return F.conv2d(x, weight, bias, padding=1)


class _OneChannelConv(torch.autograd.Function):
    """k x k 'same' conv to one channel: forward as depthwise conv + channel sum; input
    gradient by oneDNN (fast at that one); kernel gradient through the mirrored convolution;
    bias gradient by a sum.

    ``grad_w[0, c, i, j] = sum_p g[p] x[c, p + (i, j) - k//2]`` is also the kernel gradient of
    a convolution from ``g`` (one channel) to ``x`` (Cin channels), read with its kernel
    flipped: ``sum_q x[c, q] g[q - ((i, j) - k//2)]``, whose Cin outputs oneDNN vectorises
    over."""

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        cin, k = weight.shape[1], weight.shape[-1]
        depthwise = weight.reshape(cin, 1, k, k)
        if x.is_contiguous(memory_format=torch.channels_last):
            depthwise = depthwise.contiguous(memory_format=torch.channels_last)
        out = F.conv2d(x, depthwise, None, padding=k // 2, groups=cin).sum(1, keepdim=True)
        if bias is not None:
            out += bias.view(1, 1, 1, 1)
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        return out

    @staticmethod
    def backward(ctx, grad: Tensor):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        pad = weight.shape[-1] // 2
        grad_x = _conv_grads(grad.contiguous(), x, weight, pad, (True, False, False))[0] if need_x else None
        # the bias gradient by a plain sum: oneDNN's, for one output channel, takes ~50x longer
        grad_b = grad.sum((0, 2, 3)) if need_b and ctx.has_bias else None
        grad_w = None
        if need_w:  # (autograd gives the gradient the parameter's own layout when it stores it)
            layout = (torch.channels_last if x.is_contiguous(memory_format=torch.channels_last)
                      else torch.contiguous_format)
            mirrored = weight.transpose(0, 1).contiguous(memory_format=layout)  # (Cin, 1, k, k)
            grad_w = _conv_grads(x, grad.contiguous(memory_format=layout), mirrored, pad,
                                 (False, True, False))[1].flip(2, 3).transpose(0, 1)
        return grad_x, grad_w, grad_b


def conv_to_one_channel(x: Tensor, weight: Tensor, bias: Tensor | None = None,
                        fast: bool = True) -> Tensor:
    """``F.conv2d(x, weight, bias, padding=k // 2)`` for a (1, Cin, k, k) kernel, odd k.

    Shapes: x (N, Cin, H, W) -> (N, 1, H, W).
    """
    if fast and _fast_path(x) and weight.shape[0] == 1:
        return _OneChannelConv.apply(x, weight, bias)
    return F.conv2d(x, weight, bias, padding=weight.shape[-1] // 2)
