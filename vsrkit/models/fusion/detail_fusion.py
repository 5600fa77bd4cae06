"""SPMC's detail fusion net: encoder -> ConvLSTM -> decoder with skips, residual on bicubic;
and its ConvLSTM cell (Shi et al., NeurIPS 2015)."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from vsrkit.registry import MODELS, ConfigError


def _conv(cin: int, cout: int, k: int, stride: int = 1) -> nn.Module:
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, padding=k // 2), nn.ReLU(inplace=True))


def _deconv(cin: int, cout: int) -> nn.Module:
    # 4x4 stride-2 transposed conv with padding 1 exactly doubles H and W.
    return nn.Sequential(nn.ConvTranspose2d(cin, cout, 4, 2, padding=1), nn.ReLU(inplace=True))


@MODELS.register_module()
class ConvLSTM(nn.Module):
    """One ConvLSTM step: gates from a single conv over concat(x, h).

    ``i, f, o = sigmoid(.)``, ``g = tanh(.)``, ``c' = f*c + i*g``, ``h' = o*tanh(c')``.
    The forget-gate bias starts at 1 so early in training the cell keeps its state.

    Args:
        in_channels: channels of the input x.
        hidden_channels: channels of h and c.
        kernel_size: odd conv kernel size ('same' padding).

    Shapes:
        forward(x (N, Cin, H, W), state=None | (h, c) each (N, Chid, H, W))
        -> (h', (h', c')). ``state=None`` starts from zeros.
    """

    def __init__(self, in_channels: int, hidden_channels: int, kernel_size: int = 3):
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(f'ConvLSTM: kernel_size must be odd, got {kernel_size}')
        self.hidden_channels = hidden_channels
        self.gates = nn.Conv2d(in_channels + hidden_channels, 4 * hidden_channels,
                               kernel_size, padding=kernel_size // 2)
        with torch.no_grad():
            self.gates.bias[hidden_channels:2 * hidden_channels].fill_(1.0)

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor] | None = None):
        if state is None:
            zeros = x.new_zeros(x.shape[0], self.hidden_channels, *x.shape[2:])
            state = (zeros, zeros)
        h, c = state
        i, f, o, g = self.gates(torch.cat((x, h), 1)).chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
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

    Shapes:
        forward(hr_seq (B, T, Cin, H, W), ref_up (B, Cout, H, W)) -> (B, T, Cout, H, W).
        Any H, W: padded (replicate) to multiples of 4 and cropped back.
    """

    def __init__(self, in_channels: int = 1, out_channels: int | None = None,
                 enc_channels: Sequence[int] = (32, 64, 64, 128),
                 lstm_channels: int = 128,
                 dec_channels: Sequence[int] = (128, 64, 64, 32, 32),
                 use_lstm: bool = True, channels_last: bool = True):
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
        self.temporal = ConvLSTM(enc[3], lstm_channels, 3) if use_lstm else _conv(enc[3], lstm_channels, 3)
        self.dec0 = _conv(lstm_channels, dec[0], 3)
        self.dec1 = _deconv(dec[0], dec[1])
        self.dec2 = _conv(dec[1], dec[2], 3)
        self.dec3 = _deconv(dec[2], dec[3])
        self.dec4 = _conv(dec[3], dec[4], 3)
        self.out = nn.Conv2d(dec[4], out_channels, 5, padding=2)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, hr_seq: Tensor, ref_up: Tensor) -> Tensor:
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
        e0 = self.enc0(x)
        e2 = self.enc2(self.enc1(e0))
        e3 = self.enc3(e2)
        if self.use_lstm:
            e3 = e3.unflatten(0, (b, t))
            state, steps = None, []
            for k in range(t):
                out, state = self.temporal(e3[:, k], state)
                steps.append(out)
            g = torch.stack(steps, 1).flatten(0, 1)  # (B*T, ...), batch-major like x
            if self.channels_last:
                g = g.contiguous(memory_format=torch.channels_last)
        else:
            g = self.temporal(e3)
        d = self.dec2(self.dec1(self.dec0(g)) + e2)
        d = self.dec4(self.dec3(d) + e0)
        res = self.out(d)[..., :h, :w]
        return res.reshape(b, t, self.out_channels, h, w) + ref_up.unsqueeze(1)
