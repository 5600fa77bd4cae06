"""Convolutional LSTM cell (Shi et al., NeurIPS 2015)."""
from __future__ import annotations

import torch
import torch.nn as nn
from torch import Tensor

from vsrkit.registry import MODELS


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
