"""Run a trained restorer on any frame sequence: model loading, colour handling, streaming SR.

Typical use::

    from vsrkit.apis import init_model, super_resolve
    model = init_model('configs/spmc/spmc_x4_demo.py', 'work_dirs/demo/iter_900.pth')
    model = init_model('spmc_x4_demo')         # or a ready-to-use model by name (vsrkit.model_zoo)
    sr = super_resolve(model, frames)          # frames: list/array of (h, w, 3) uint8 RGB
    # sr: (N, 4h, 4w, 3) float32 RGB in [0, 1]

``iter_super_resolve`` is the streaming form (one output frame per input frame, memory bounded by
the window length); ``tools/infer.py`` is a thin CLI over it.
"""
from __future__ import annotations

from typing import Iterable, Iterator

import numpy as np
import torch
from torch import nn

from vsrkit.datasets import sliding_windows
from vsrkit.engine.config import load_config
from vsrkit import model_zoo
from vsrkit.errors import ConfigError
from vsrkit.ops import rgb_to_ycbcr, ycbcr_to_rgb
from vsrkit.ops.upsample import bicubic_upsample
from vsrkit.registry import MODELS
from vsrkit.utils.checkpoint import fitting_state_dict, load_checkpoint_file, patch_mmengine
from vsrkit.utils.compile import compile_with_fallback

from .tiling import receptive_margin, tiled_forward

REQUIRED_ATTRS = ('scale', 'num_frames', 'in_channels', 'pixel_shift')
# Tile starts are multiples of this many LR pixels unless the model says otherwise
# (``model.tile_align``): VESPCN motion has stride 4 in LR pixels, the fusion encoder stride 4 in
# HR pixels; 8 covers both at x2, x3, x4.
DEFAULT_TILE_ALIGN = 8
# Extra overlap on top of the measured convolutional margin: an output pixel also depends on
# whatever LR pixel the estimated motion brings to it (SPMC splats along the flow, VESPCN samples
# along the coarse flow), so a tile needs context of roughly the largest motion too.
MOTION_ALLOWANCE = 8


def load_weights(model: nn.Module, checkpoint: str) -> None:
    """Load ``checkpoint`` into ``model`` strictly, via the safe weights-only loader.

    Accepts an mmengine checkpoint (weights under ``'state_dict'``) or a bare state dict.
    Raises :class:`CheckpointError` naming the missing / unexpected / mis-shaped keys.
    """
    state = fitting_state_dict(checkpoint, load_checkpoint_file(checkpoint), model)
    model.load_state_dict(state, strict=True)


def init_model(config, checkpoint: str | None = None, device: str = 'cpu',
               compile: bool = False) -> nn.Module:
    """Build the restorer of ``config`` (``cfg.model``), load ``checkpoint``, set eval mode.

    Args:
        config: config path, :class:`mmengine.Config` or dict with a ``model`` entry, or the
            name of a ready-to-use model (:func:`vsrkit.model_zoo.list_models`; a name that is
            not an existing file).
        checkpoint: path to an mmengine checkpoint or state dict. None: for a model name, the
            name's own weights (their sha256 checked first); for a config, the initial weights
            (only sensible for parameter-free models such as ``BicubicVSR`` or speed tests).
        device: torch device string.
        compile: run the model's forward under ``torch.compile``, falling back to eager
            execution if that fails (:func:`vsrkit.utils.compile.compile_with_fallback`).

    Returns:
        The model, in eval mode on ``device``, with ``scale``, ``num_frames``, ``in_channels``
        and ``pixel_shift`` attributes.
    """
    patch_mmengine()  # the weights-only loading also guards mmengine's own loaders from here on
    if model_zoo.looks_like_name(config):
        name, config = config, model_zoo.find_model(config).config
        if checkpoint is None:
            checkpoint = model_zoo.verified_weights(name)
    cfg = load_config(config)
    name = cfg.filename or 'config'
    if 'model' not in cfg:
        raise ConfigError(f'{name}: config has no "model" entry')
    model = MODELS.build(cfg.model)
    lacking = [a for a in REQUIRED_ATTRS if not hasattr(model, a)]
    if lacking:
        raise ConfigError(f'{name}: model {type(model).__name__} lacks {lacking}; '
                          'inference needs a vsrkit restorer')
    if checkpoint is not None:
        load_weights(model, checkpoint)
    model = model.to(device).eval()
    if compile:
        model.forward = compile_with_fallback(model.forward)
    return model


def check_scale(model: nn.Module, scale: int | None) -> None:
    """Refuse a requested scale the model was not built for."""
    if scale is not None and int(scale) != int(model.scale):
        raise ConfigError(f'--scale {scale}: this model upscales x{model.scale} only; '
                          f'use a config and checkpoint trained for x{scale}')


class WindowSR:
    """Super-resolves the centre frame of one LR window, with optional tiling.

    Frames enter as (h, w, 3) uint8 RGB (or float in [0, 1]) and leave as (s*h, s*w, 3) float32
    RGB in [0, 1]. A Y-only model (``in_channels == 1``) gets BT.601 Y; the centre frame's Cb/Cr
    are upsampled with MATLAB-compatible bicubic and recombined, as the paper displays results.

    Args:
        model: a restorer (see :func:`init_model`).
        tile: core tile size in LR pixels, or None for whole frames.
        tile_overlap: LR context around each tile; None measures the model's receptive field
            (:func:`vsrkit.apis.tiling.receptive_margin`) and adds :data:`MOTION_ALLOWANCE`.
    """

    def __init__(self, model: nn.Module, tile: int | None = None, tile_overlap: int | None = None):
        if model.in_channels not in (1, 3):
            raise ConfigError(f'model in_channels={model.in_channels}: inference supports '
                              '1 (Y) or 3 (RGB)')
        if tile is not None and tile < 1:
            raise ConfigError(f'--tile must be >= 1, got {tile}')
        if tile_overlap is not None and tile_overlap < 0:
            raise ConfigError(f'--tile-overlap must be >= 0, got {tile_overlap}')
        self.model = model
        self.scale = int(model.scale)
        self.device = next((p.device for p in model.parameters()), torch.device('cpu'))
        self.tile = tile
        self.align = int(getattr(model, 'tile_align', DEFAULT_TILE_ALIGN))
        self._overlap = tile_overlap

    @property
    def tile_overlap(self) -> int:
        """The overlap in use (measured on first access when not given)."""
        if self._overlap is None:
            self._overlap = receptive_margin(self._forward, self.model.num_frames,
                                             self.model.in_channels, self.scale,
                                             align=self.align) + MOTION_ALLOWANCE
        return self._overlap

    def _forward(self, window: torch.Tensor) -> torch.Tensor:
        return self.model(window, mode='tensor')

    def prepare(self, frame) -> tuple[torch.Tensor, torch.Tensor | None]:
        """One frame -> (model input (C, h, w) in the model's range, Cb/Cr (2, h, w) or None).

        ``frame``: (h, w, 3) RGB array (uint8, or float in [0, 1]) or a (C, h, w) float tensor
        in [0, 1]; C = 3 (RGB) always works, C = 1 (already Y) only for a Y model.
        """
        if isinstance(frame, torch.Tensor):
            x = frame.to(self.device, torch.float32)
        else:
            x = torch.from_numpy(np.ascontiguousarray(frame)).to(self.device).permute(2, 0, 1)
            x = x.float() / 255.0 if frame.dtype == np.uint8 else x.float()
        c = x.shape[0]
        to_model_range = self.model.data_preprocessor.to_model_range
        if c == self.model.in_channels:
            return to_model_range(x), None
        if c != 3:
            raise ValueError(f'frames with {c} channels cannot feed a model with '
                             f'in_channels={self.model.in_channels}')
        ycbcr = rgb_to_ycbcr(x)
        return to_model_range(ycbcr[:1]), ycbcr[1:]

    @torch.no_grad()
    def __call__(self, window: list[tuple[torch.Tensor, torch.Tensor | None]]) -> np.ndarray:
        """Window of T prepared frames -> SR centre frame (s*h, s*w, 3) float32 RGB in [0, 1]
        ((s*h, s*w, 1) for a Y model fed Y frames)."""
        x = torch.stack([w[0] for w in window])[None]  # (1, T, C, h, w)
        if self.tile is None or max(x.shape[-2:]) <= self.tile:  # one tile: no overlap needed
            sr = self._forward(x)
        else:
            sr = tiled_forward(self._forward, x, self.scale, self.tile, self.tile_overlap,
                               self.align)
        sr = self.model.data_preprocessor.to_unit_range(sr[0])  # (C, sh, sw) in [0, 1]
        cbcr = window[len(window) // 2][1]
        if cbcr is not None:
            cbcr_up = bicubic_upsample(cbcr[None], self.scale)[0]
            sr = ycbcr_to_rgb(torch.cat((sr, cbcr_up), 0))
        return sr.clamp(0, 1).permute(1, 2, 0).cpu().numpy().astype(np.float32)


def iter_super_resolve(model: nn.Module, frames: Iterable[np.ndarray], tile: int | None = None,
                       tile_overlap: int | None = None) -> Iterator[np.ndarray]:
    """Stream SR frames: one (s*h, s*w, 3) float32 RGB [0, 1] output per (h, w, 3) RGB input.

    Windows of ``model.num_frames`` frames are centred on each frame and reflected at the ends;
    only one window of prepared frames is held at a time.
    """
    run = WindowSR(model, tile, tile_overlap)
    prepared = (run.prepare(f) for f in frames)
    for _, window in sliding_windows(prepared, int(model.num_frames)):
        yield run(window)


def super_resolve(model: nn.Module, frames: Iterable[np.ndarray], tile: int | None = None,
                  tile_overlap: int | None = None) -> np.ndarray:
    """Whole-sequence convenience form of :func:`iter_super_resolve`: (N, s*h, s*w, 3) float32."""
    out = list(iter_super_resolve(model, frames, tile, tile_overlap))
    if not out:
        raise ValueError('super_resolve: zero input frames')
    return np.stack(out)
