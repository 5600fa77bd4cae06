"""VESPCN's coarse-to-fine motion estimation network (Caballero et al., CVPR 2017), as SPMC uses it."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from vsrkit.ops import backward_warp
from vsrkit.ops.precision import to_float32
from vsrkit.registry import MODELS, ConfigError


ACTIVATIONS = {'relu': lambda: nn.ReLU(inplace=True),
               'leaky_relu': lambda: nn.LeakyReLU(0.1, inplace=True)}


def _conv_stack(in_channels: int, specs: Sequence[tuple[int, int, int]],
                activation: str) -> nn.Sequential:
    """Convs from (out_channels, kernel, stride) specs, 'same' padding, activations between them.

    The last conv is linear: its output is (pixel-shuffled into) a flow.
    """
    layers: list[nn.Module] = []
    for k, (out_ch, kernel, stride) in enumerate(specs):
        layers.append(nn.Conv2d(in_channels, out_ch, kernel, stride, padding=kernel // 2))
        if k < len(specs) - 1:
            layers.append(ACTIVATIONS[activation]())
        in_channels = out_ch
    return nn.Sequential(*layers)


def local_contrast_normalize(frame_i: Tensor, frame_0: Tensor, window: int,
                             eps: float = 0.01) -> tuple[Tensor, Tensor]:
    """Both frames minus their joint local mean, over their joint local standard deviation.

    Mean and variance are taken over a ``window`` x ``window`` neighbourhood (replicate
    padding) and over the channels of both frames, so the two frames get the same affine
    map and their differences keep their meaning. ``eps`` keeps flat regions from being
    amplified into noise.

    Shapes: (N, C, h, w) twice -> the same.
    """
    both = torch.cat((frame_i, frame_0), 1)
    pad = window // 2
    padded = F.pad(both, (pad, pad, pad, pad), mode='replicate')
    mean = F.avg_pool2d(padded, window, 1).mean(1, keepdim=True)
    mean_sq = F.avg_pool2d(padded * padded, window, 1).mean(1, keepdim=True)
    scale = 1.0 / ((mean_sq - mean * mean).clamp(min=0).sqrt() + eps)
    return (frame_i - mean) * scale, (frame_0 - mean) * scale


def _check_widths(name: str, widths: Sequence[int]) -> tuple[int, ...]:
    widths = tuple(int(w) for w in widths)
    if len(widths) != 4 or min(widths) < 1:
        raise ConfigError(f'VESPCNMotion: {name} must be 4 positive widths, got {widths}')
    return widths


@MODELS.register_module()
class VESPCNMotion(nn.Module):
    """Coarse-to-fine flow net: ``flow = Delta^c + Delta^f`` (the paper's motion estimation).

    Coarse: concat(frame_i, frame_0) -> 5x5/2, 3x3, 5x5/2, 3x3, 3x3 convs (1/4
    resolution) -> 32 channels -> pixel shuffle x4 -> 2-channel coarse flow.
    The reference is backward-warped with it; fine: concat(frame_i, frame_0,
    coarse flow, warped reference) (3C+2 channels) -> 5x5/2, 3x3 x3, 3x3 convs
    (1/2 resolution) -> 8 channels -> pixel shuffle x2 -> 2-channel refinement.
    Leaky ReLU (or ReLU) inside, linear output; flows in LR pixels (channel 0 = x, 1 = y).

    Convention: pixel p of frame i lies at ``p + flow(p)`` in frame 0, so
    ``backward_warp(frame_0, flow)`` reconstructs frame i.

    Args:
        in_channels: C, channels per frame (1 for Y, 3 for RGB).
        coarse_channels: widths of the four hidden coarse convs (VESPCN: 24 each).
        fine_channels: widths of the four hidden fine convs (VESPCN: 24 each).
        out_init_scale: the two flow-output convs start with their default
            init times this factor, so training starts from a near-zero flow.
        normalize_window: odd window (LR pixels) of the local contrast normalisation applied
            to the two input frames (:func:`local_contrast_normalize`); 0 feeds the frames as
            they are. LR frames have little contrast, and sub-pixel motion changes them by a
            percent or so: unnormalised, the net sits at zero flow for hundreds of iterations
            before it starts to learn (supervised on synthetic motion: mean EPE 0.84 -> 0.82 LR px
            over the first 600 iterations, against 0.60 -> 0.21 with a 7x7 window).
        activation: 'leaky_relu' (slope 0.1, default) or 'relu' (VESPCN's). With ReLU a
            third of the units of this small net die early in training and the flow stops
            improving (supervised on synthetic motion: EPE 0.236 vs 0.191 LR px with leaky
            ReLU after 4000 iterations; see docs/TRAINING.md).

    Shapes:
        forward(frame_i (N, C, h, w), frame_0 (N, C, h, w)) -> (N, 2, h, w).
        Any h, w: inputs are replicate-padded to multiples of 4, the flow cropped back.
    """

    def __init__(self, in_channels: int = 1,
                 coarse_channels: Sequence[int] = (24, 24, 24, 24),
                 fine_channels: Sequence[int] = (24, 24, 24, 24),
                 out_init_scale: float = 0.1, normalize_window: int = 7,
                 activation: str = 'leaky_relu'):
        super().__init__()
        if in_channels < 1:
            raise ConfigError(f'VESPCNMotion: in_channels must be >= 1, got {in_channels}')
        if activation not in ACTIVATIONS:
            raise ConfigError(f'VESPCNMotion: activation must be one of {sorted(ACTIVATIONS)}, '
                              f'got {activation!r}')
        if normalize_window < 0 or (normalize_window and normalize_window % 2 == 0):
            raise ConfigError(f'VESPCNMotion: normalize_window must be 0 or odd, got {normalize_window!r}')
        self.normalize_window = int(normalize_window)
        c1, c2, c3, c4 = _check_widths('coarse_channels', coarse_channels)
        f1, f2, f3, f4 = _check_widths('fine_channels', fine_channels)
        self.in_channels = in_channels
        self.coarse = _conv_stack(2 * in_channels, [
            (c1, 5, 2), (c2, 3, 1), (c3, 5, 2), (c4, 3, 1), (2 * 4 * 4, 3, 1)], activation)
        self.fine = _conv_stack(3 * in_channels + 2, [
            (f1, 5, 2), (f2, 3, 1), (f3, 3, 1), (f4, 3, 1), (2 * 2 * 2, 3, 1)], activation)
        with torch.no_grad():
            for head in (self.coarse[-1], self.fine[-1]):
                head.weight.mul_(out_init_scale)
                head.bias.mul_(out_init_scale)

    def forward(self, frame_i: Tensor, frame_0: Tensor) -> Tensor:
        if frame_i.dim() != 4 or frame_i.shape != frame_0.shape:
            raise ValueError('VESPCNMotion: expected frame_i and frame_0 of equal shape (N,C,h,w), '
                             f'got {tuple(frame_i.shape)} and {tuple(frame_0.shape)}')
        if frame_i.shape[1] != self.in_channels:
            raise ValueError(f'VESPCNMotion: built for in_channels={self.in_channels}, '
                             f'got frames with {frame_i.shape[1]} channels')
        if self.normalize_window:
            frame_i, frame_0 = local_contrast_normalize(frame_i, frame_0, self.normalize_window)
        h, w = frame_i.shape[-2:]
        pad_h, pad_w = (-h) % 4, (-w) % 4
        if pad_h or pad_w:
            pad = (0, pad_w, 0, pad_h)
            frame_i = F.pad(frame_i, pad, mode='replicate')
            frame_0 = F.pad(frame_0, pad, mode='replicate')
        # Under autocast the convs give half-precision flows; positions need float32.
        coarse = to_float32(F.pixel_shuffle(self.coarse(torch.cat((frame_i, frame_0), 1)), 4))
        warped = backward_warp(frame_0, coarse)
        fine_in = torch.cat((frame_i, frame_0, coarse, warped), 1)
        fine = to_float32(F.pixel_shuffle(self.fine(fine_in), 2))
        return (coarse + fine)[..., :h, :w]
