"""SPMC's detail fusion net: encoder -> ConvLSTM -> decoder with skips, residual on bicubic;
and its ConvLSTM cell (Shi et al., NeurIPS 2015)."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from vsrkit.ops.conv import conv3x3, conv_to_one_channel
from vsrkit.registry import MODELS, ConfigError


def _conv(cin: int, cout: int, k: int, stride: int = 1) -> nn.Module:
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, padding=k // 2), nn.ReLU(inplace=True))


class _ChannelsLastGradContiguous(torch.autograd.Function):
    """``x.contiguous(memory_format=torch.channels_last)`` whose gradient goes back
    NCHW-contiguous. The ConvLSTM runs NCHW (NNPACK) and the decoder NHWC: without this the
    decoder's NHWC gradient would reach the LSTM's gate maths, whose elementwise kernels run
    several times slower on operands of mixed layouts."""

    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:
        return x.contiguous(memory_format=torch.channels_last)

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        return grad.contiguous()


def _deconv(cin: int, cout: int) -> nn.Module:
    # 4x4 stride-2 transposed conv with padding 1 exactly doubles H and W.
    return nn.Sequential(nn.ConvTranspose2d(cin, cout, 4, 2, padding=1), nn.ReLU(inplace=True))


@MODELS.register_module()
class ConvLSTM(nn.Module):
    """One ConvLSTM step: gates from a single conv over concat(x, h).

    ``i, f, o = sigmoid(.)``, ``g = tanh(.)``, ``c' = f*c + i*g``, ``h' = o*tanh(c')``.
    The forget-gate bias starts at 1 so early in training the cell keeps its state.
    From the zero state (``state=None``) the conv runs over x alone with the x half of its
    kernel (the h half multiplies zeros) and ``c' = i*g``: the same result, less work.

    Args:
        in_channels: channels of the input x.
        hidden_channels: channels of h and c.
        kernel_size: odd conv kernel size ('same' padding).
        fast_conv: a 3x3 gate conv on the CPU runs by NNPACK's fast algorithm
            (:func:`vsrkit.ops.conv.conv3x3`; equal to the direct conv within float rounding).

    Shapes:
        forward(x (N, Cin, H, W), state=None | (h, c) each (N, Chid, H, W))
        -> (h', (h', c')). ``state=None`` starts from zeros.
    """

    def __init__(self, in_channels: int, hidden_channels: int, kernel_size: int = 3,
                 fast_conv: bool = True):
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(f'ConvLSTM: kernel_size must be odd, got {kernel_size}')
        self.hidden_channels = hidden_channels
        self.fast_conv = bool(fast_conv)
        self.gates = nn.Conv2d(in_channels + hidden_channels, 4 * hidden_channels,
                               kernel_size, padding=kernel_size // 2)
        with torch.no_grad():
            self.gates.bias[hidden_channels:2 * hidden_channels].fill_(1.0)

    def _conv(self, x: Tensor, weight: Tensor) -> Tensor:
        if weight.shape[-1] == 3:
            return conv3x3(x, weight, self.gates.bias, fast=self.fast_conv)
        return F.conv2d(x, weight, self.gates.bias, padding=weight.shape[-1] // 2)

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor] | None = None):
        hid = self.hidden_channels
        if state is None:
            gates, c = self._conv(x, self.gates.weight[:, :x.shape[1]]), None
        else:
            h, c = state
            gates = self._conv(torch.cat((x, h), 1), self.gates.weight)
        # split, not slicing: its backward concatenates instead of zero-filling full-size grads
        ifo, g = gates.split((3 * hid, hid), dim=1)
        i, f, o = torch.sigmoid(ifo).chunk(3, dim=1)
        c = i * torch.tanh(g) if c is None else torch.addcmul(f * c, i, torch.tanh(g))
        h = o * torch.tanh(c)
        return h, (h, c)


@MODELS.register_module()
class DetailFusionNet(nn.Module):
    """Encoder / ConvLSTM / decoder over the compensated HR frames.

    The layer list of the reference implementation (DRVSR, as re-implemented in
    psychopa4/PFNL ``model/drvsr.py``), widths in brackets at the paper's sizes:

    - encoder: ``enc0`` 5x5 (32), ``enc1`` 3x3 stride 2 (64), ``enc2`` 3x3 (64),
      ``enc3`` 3x3 stride 2 (128);
    - ``temporal``: ConvLSTM 3x3 (128) at 1/4 resolution, carrying its state over time;
    - decoder: ``dec0`` 3x3 (128) on the LSTM output, ``dec1`` 4x4 stride-2 deconv (64)
      + skip ``enc2``, ``dec2`` 3x3 (64), ``dec3`` 4x4 stride-2 deconv (32) + skip ``enc0``,
      ``dec4`` 3x3 (32), ``out`` 5x5 to the output channels.

    ReLU after every layer but ``out``. Each time step's output is ``out(...) + ref_up``:
    the net predicts a residual on the bicubic-upsampled reference. ``out`` starts at
    zero, so an untrained net returns ``ref_up``. The encoder and decoder run batched
    over all T frames; only the ConvLSTM loops over time, so output t has seen
    compensated frames 0..t. With ``use_lstm=False`` the ConvLSTM is replaced by a 3x3
    conv + ReLU of the same width (no temporal state: the "no LSTM" ablation).

    Args:
        in_channels: channels of the compensated frames (C, or C + 1 with SPMC's weight map).
        out_channels: output channels (default ``in_channels``; must equal ``ref_up``'s).
        enc_channels: the four encoder widths.
        lstm_channels: ConvLSTM (or replacement conv) width.
        dec_channels: the five decoder widths; skips are added, so
            ``dec_channels[1] == enc_channels[2]`` and ``dec_channels[3] == enc_channels[0]``.
        use_lstm: ConvLSTM (True) or a stateless 3x3 conv (False).
        channels_last: run the convolutions in NHWC memory format (oneDNN on the CPU and
            cuDNN tensor cores are faster on it; same results within float rounding).
        fast_conv: on the CPU, the ConvLSTM's gate conv by NNPACK's fast algorithm and the
            one-channel output conv as depthwise + sum (:mod:`vsrkit.ops.conv`; same
            results within float rounding). No effect on the GPU.

    Shapes:
        forward(hr_seq (B, T, Cin, H, W), ref_up (B, Cout, H, W)) -> (B, T, Cout, H, W);
        with ``last_only=True`` -> (B, 1, Cout, H, W), the last step only (what inference
        uses), without decoding the earlier steps.
        Any H, W: padded (replicate) to multiples of 4 and cropped back.
    """

    def __init__(self, in_channels: int = 1, out_channels: int | None = None,
                 enc_channels: Sequence[int] = (32, 64, 64, 128),
                 lstm_channels: int = 128,
                 dec_channels: Sequence[int] = (128, 64, 64, 32, 32),
                 use_lstm: bool = True, channels_last: bool = True, fast_conv: bool = True):
        super().__init__()
        enc = tuple(int(c) for c in enc_channels)
        dec = tuple(int(c) for c in dec_channels)
        if len(enc) != 4 or len(dec) != 5 or min(enc + dec) < 1:
            raise ConfigError('DetailFusionNet: enc_channels needs 4 positive widths and '
                              f'dec_channels 5, got {enc} and {dec}')
        if dec[1] != enc[2] or dec[3] != enc[0]:
            raise ConfigError('DetailFusionNet: skip connections add encoder features, so '
                              'dec_channels[1] must equal enc_channels[2] and dec_channels[3] '
                              f'enc_channels[0]; got enc {enc}, dec {dec}')
        out_channels = in_channels if out_channels is None else out_channels
        self.in_channels, self.out_channels, self.use_lstm = in_channels, out_channels, use_lstm
        self.channels_last = bool(channels_last)
        self.enc0 = _conv(in_channels, enc[0], 5)
        self.enc1 = _conv(enc[0], enc[1], 3, 2)
        self.enc2 = _conv(enc[1], enc[2], 3)
        self.enc3 = _conv(enc[2], enc[3], 3, 2)
        self.fast_conv = bool(fast_conv)
        self.temporal = ConvLSTM(enc[3], lstm_channels, 3, fast_conv) if use_lstm else \
            _conv(enc[3], lstm_channels, 3)
        self.dec0 = _conv(lstm_channels, dec[0], 3)
        self.dec1 = _deconv(dec[0], dec[1])
        self.dec2 = _conv(dec[1], dec[2], 3)
        self.dec3 = _deconv(dec[2], dec[3])
        self.dec4 = _conv(dec[3], dec[4], 3)
        self.out = nn.Conv2d(dec[4], out_channels, 5, padding=2)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)
        if self.channels_last:
            # NHWC kernels too: with a one-channel input (Y) NCHW and NHWC strides coincide and
            # the backends would pick NCHW for enc0's output, so that every layer after it ran
            # in a mix of layouts, converting back and forth.
            self.to(memory_format=torch.channels_last)

    def _encode(self, x: Tensor, skips: bool = True):
        """(N, Cin, H, W) -> (e0, e2, e3), or e3 alone when the skips are not wanted."""
        e0 = self.enc0(x)
        e2 = self.enc2(self.enc1(e0))
        e3 = self.enc3(e2)
        return (e0, e2, e3) if skips else e3

    def _temporal(self, e3: Tensor, last_only: bool) -> Tensor:
        """(B, T, C3, h, w) -> the temporal layer's output for every step (B*T, ...) or the last
        one (B, ...)."""
        if not self.use_lstm:
            return self.temporal(e3[:, -1] if last_only else e3.flatten(0, 1))
        nchw_lstm = self.temporal.fast_conv and e3.device.type == 'cpu'
        if nchw_lstm:
            e3 = e3.contiguous()  # NNPACK works in NCHW: convert once, not at every step
        state, steps = None, []
        for k in range(e3.shape[1]):
            out, state = self.temporal(e3[:, k], state)
            steps.append(out)
        g = steps[-1] if last_only else torch.stack(steps, 1).flatten(0, 1)  # batch-major like x
        if not self.channels_last:
            return g
        return _ChannelsLastGradContiguous.apply(g) if nchw_lstm else g.contiguous(
            memory_format=torch.channels_last)

    def _decode(self, g: Tensor, e2: Tensor, e0: Tensor) -> Tensor:
        d = self.dec2(self.dec1(self.dec0(g)) + e2)
        d = self.dec4(self.dec3(d) + e0)
        return conv_to_one_channel(d, self.out.weight, self.out.bias, fast=self.fast_conv)

    def forward(self, hr_seq: Tensor, ref_up: Tensor, last_only: bool = False) -> Tensor:
        if hr_seq.dim() != 5 or hr_seq.shape[2] != self.in_channels:
            raise ValueError(f'DetailFusionNet: expected hr_seq (B,T,{self.in_channels},H,W), '
                             f'got {tuple(hr_seq.shape)}')
        b, t, c, h, w = hr_seq.shape
        if ref_up.shape != (b, self.out_channels, h, w):
            raise ValueError(f'DetailFusionNet: expected ref_up {(b, self.out_channels, h, w)}, '
                             f'got {tuple(ref_up.shape)}')
        x = hr_seq.reshape(b * t, c, h, w)
        pad_h, pad_w = (-h) % 4, (-w) % 4
        if pad_h or pad_w:
            x = F.pad(x, (0, pad_w, 0, pad_h), mode='replicate')
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        if last_only:
            # Only the last step is decoded: the earlier frames just feed the ConvLSTM, so they
            # are encoded one at a time and their full-resolution skip features never kept.
            frames = x.unflatten(0, (b, t))
            e3 = [self._encode(frames[:, k], skips=False) for k in range(t - 1)]
            e0, e2, last = self._encode(frames[:, -1])
            g = self._temporal(torch.stack(e3 + [last], 1), last_only=True)
        else:
            e0, e2, e3 = self._encode(x)
            g = self._temporal(e3.unflatten(0, (b, t)), last_only=False)
        res = self._decode(g, e2, e0)[..., :h, :w]
        return res.reshape(b, -1, self.out_channels, h, w) + ref_up.unsqueeze(1)
