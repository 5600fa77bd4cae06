"""Overlapping-tile inference: run a windowed SR model on spatial tiles and stitch exact centres.

A tile covers the whole LR window (all T frames), so motion estimation sees the same region as
the fusion net. Each tile is the core region extended by ``overlap`` LR pixels on every side
(clamped at the frame border); only the core's high-res pixels are kept. When ``overlap`` is at
least the model's receptive-field margin and tile starts are multiples of the model's stride
alignment, every kept pixel sees exactly the input it would see in an untiled run, so the result
equals the untiled one up to float rounding: no blending and no seams.
"""
from __future__ import annotations

import math
from typing import Callable, NamedTuple

import torch
from torch import Tensor


class Span(NamedTuple):
    """One tile along one axis, in LR pixels: keep ``[core_start, core_end)`` of ``[start, end)``."""
    core_start: int
    core_end: int
    start: int
    end: int


def tile_spans(length: int, tile: int, overlap: int, align: int = 1) -> list[Span]:
    """Split ``[0, length)`` into cores of ``tile`` pixels, each read with ``overlap`` on both sides.

    ``tile`` and ``overlap`` are rounded up to multiples of ``align`` so every read start is a
    multiple of ``align`` (strided convolutions then see the same sampling phase as untiled).
    """
    if tile < 1 or overlap < 0 or align < 1:
        raise ValueError(f'tile_spans: need tile >= 1, overlap >= 0, align >= 1; '
                         f'got tile={tile}, overlap={overlap}, align={align}')
    tile = math.ceil(tile / align) * align
    overlap = math.ceil(overlap / align) * align
    spans = []
    for core_start in range(0, length, tile):
        core_end = min(core_start + tile, length)
        spans.append(Span(core_start, core_end, max(0, core_start - overlap),
                          min(length, core_end + overlap)))
    return spans


def tiled_forward(fn: Callable[[Tensor], Tensor], window: Tensor, scale: int, tile: int,
                  overlap: int, align: int = 1) -> Tensor:
    """Apply ``fn`` to overlapping spatial tiles of ``window`` and stitch the high-res cores.

    Args:
        fn: maps an LR window (B, T, C, h', w') to the SR centre frame (B, C', s*h', s*w').
        window: (B, T, C, h, w) LR frames.
        scale: the model's upscaling factor s.
        tile: core tile size in LR pixels (each call sees at most ``tile + 2 * overlap`` per side).
        overlap: LR pixels of context read around each core; >= the receptive-field margin for
            an exact result (see :func:`receptive_margin`).
        align: tile starts are multiples of this (the model's total stride in LR pixels).

    Returns:
        (B, C', s*h, s*w), equal to ``fn(window)`` when ``overlap`` covers the receptive field.
    """
    h, w = window.shape[-2:]
    rows, cols = tile_spans(h, tile, overlap, align), tile_spans(w, tile, overlap, align)
    if len(rows) == 1 and len(cols) == 1:
        return fn(window)
    out = None
    for r in rows:
        for c in cols:
            sr = fn(window[..., r.start:r.end, c.start:c.end])
            if out is None:
                out = sr.new_empty(*sr.shape[:-2], h * scale, w * scale)
            y0, x0 = (r.core_start - r.start) * scale, (c.core_start - c.start) * scale
            out[..., r.core_start * scale:r.core_end * scale,
                c.core_start * scale:c.core_end * scale] = \
                sr[..., y0:y0 + (r.core_end - r.core_start) * scale,
                   x0:x0 + (c.core_end - c.core_start) * scale]
    return out


def receptive_margin(fn: Callable[[Tensor], Tensor], num_frames: int, channels: int, scale: int,
                     align: int = 1, size: int = 96, max_size: int = 768, seed: int = 0) -> int:
    """Measure how many LR pixels of context an SR output pixel depends on (per side).

    Back-propagates from a high-res block (one ``align`` x ``align`` LR cell, so every stride
    phase is covered) at the centre of a random square window and returns the largest distance,
    in LR pixels, from that cell to an input pixel with a non-zero gradient. With random inputs
    every ReLU pattern is generic, so the measured support is the true receptive field of the
    layers (convolutions are finite; nothing in the model is global). The window doubles while
    the support reaches its border. (A thin strip would be cheaper but under-measures: paths
    that wander vertically are cut by the strip's borders.)
    """
    gen = torch.Generator().manual_seed(seed)
    while True:
        size = math.ceil(size / align) * align
        x = torch.rand(1, num_frames, channels, size, size, generator=gen) - 0.5
        x.requires_grad_(True)
        c0 = (size // 2) // align * align
        with torch.enable_grad():
            out = fn(x)
            block = out[..., c0 * scale:(c0 + align) * scale, c0 * scale:(c0 + align) * scale]
            (grad,) = torch.autograd.grad(block.sum(), x)
        ys, xs = torch.nonzero(grad.abs().sum(dim=(0, 1, 2)) > 0, as_tuple=True)
        if ys.numel() == 0:
            return 0
        lo = min(ys.min().item(), xs.min().item())
        hi = max(ys.max().item(), xs.max().item())
        if lo > 0 and hi < size - 1:
            return max(c0 - lo, hi - (c0 + align - 1))
        if size >= max_size:
            raise ValueError(f'receptive_margin: the receptive field exceeds {max_size} LR '
                             'pixels; set the tile overlap by hand')
        size *= 2
