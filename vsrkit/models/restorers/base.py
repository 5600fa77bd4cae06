"""What every vsrkit restorer shares: properties, input checks, loss weights, predict packing."""
from __future__ import annotations

import inspect
from typing import Mapping

import torch
import torch.nn as nn
from mmengine.model import BaseModel
from torch import Tensor

from vsrkit.registry import MODELS, ConfigError

MODES = ('tensor', 'loss', 'predict')


def build_part(owner: str, part: str, cfg, **fill) -> nn.Module:
    """Build a component from its config through ``MODELS``.

    ``fill`` gives restorer-level values (``scale``, ``in_channels``) that the
    component config may omit: they are filled in where the registered class
    accepts them, and a config that sets them differently is an error.
    """
    if isinstance(cfg, nn.Module):
        return cfg
    if not isinstance(cfg, Mapping) or 'type' not in cfg:
        raise ConfigError(f"{owner}: '{part}' must be a config dict with a 'type', got {cfg!r}")
    cfg = dict(cfg)
    cls = MODELS.get(cfg['type']) if isinstance(cfg['type'], str) else cfg['type']
    params = inspect.signature(cls).parameters if cls is not None else {}
    for key, value in fill.items():
        if key in cfg:
            if cfg[key] != value:
                raise ConfigError(f"{owner}: {part}.{key}={cfg[key]!r} conflicts with the "
                                  f"model's {key}={value!r}")
        elif key in params:
            cfg[key] = value
    return MODELS.build(cfg)


def compensated_extra(compensation: nn.Module) -> int:
    """Channels a compensation module adds to each frame (SPMC's weight map: 1; else 0)."""
    return int(getattr(compensation, 'extra_channels', 0))


class BaseVSR(BaseModel):
    """Base of the restorers: ``forward(inputs (B, T, C, h, w), data_samples, mode)``.

    Subclasses set ``LOSS_NAMES`` and implement ``forward``. See
    docs/ARCHITECTURE.md for the three modes and the predict dict format.
    """

    LOSS_NAMES: tuple[str, ...] = ()

    def __init__(self, scale: int, num_frames: int, in_channels: int,
                 loss_weights: Mapping[str, float] | None,
                 data_preprocessor, init_cfg):
        name = type(self).__name__
        if isinstance(data_preprocessor, Mapping):
            # Build in our registry: mmengine's root would not find vsrkit's preprocessor.
            data_preprocessor = MODELS.build(dict(data_preprocessor))
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if isinstance(scale, float) and scale.is_integer():
            scale = int(scale)
        if not isinstance(scale, int) or isinstance(scale, bool) or scale < 1:
            raise ConfigError(f'{name}: scale must be a positive integer, got {scale!r}')
        if not isinstance(num_frames, int) or num_frames < 1 or num_frames % 2 == 0:
            raise ConfigError(f'{name}: num_frames must be a positive odd integer (the centre '
                              f'frame is the reference), got {num_frames!r}')
        if not isinstance(in_channels, int) or in_channels < 1:
            raise ConfigError(f'{name}: in_channels must be a positive integer, got {in_channels!r}')
        self._scale, self._num_frames, self._in_channels = scale, num_frames, in_channels
        self._default_loss_weights = self._check_weights(dict(loss_weights or {}))
        self.loss_weights = dict(self._default_loss_weights)

    @property
    def scale(self) -> int:
        return self._scale

    @property
    def num_frames(self) -> int:
        return self._num_frames

    @property
    def in_channels(self) -> int:
        return self._in_channels

    @property
    def pixel_shift(self) -> float:
        """Offset the preprocessor adds to [0, 1] pixels (-0.5 by default, 0.0 for [0, 1])."""
        return float(getattr(self.data_preprocessor, 'shift', 0.0))

    def _check_weights(self, weights: Mapping[str, float]) -> dict[str, float]:
        name = type(self).__name__
        unknown = sorted(set(weights) - set(self.LOSS_NAMES))
        if unknown:
            raise ConfigError(f'{name}: unknown loss weight name(s) {unknown}; allowed: '
                              f'{list(self.LOSS_NAMES)}')
        out = {}
        for key, value in weights.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ConfigError(f"{name}: loss weight '{key}' must be a number >= 0, got {value!r}")
            out[key] = float(value)
        return out

    def set_loss_weights(self, weights: Mapping[str, float]) -> None:
        """Set the current loss weights (called by StageHook at each stage).

        Names not given fall back to the constructor's ``loss_weights``, so the
        result depends only on this call (resuming re-applies one stage).
        """
        self.loss_weights = {**self._default_loss_weights, **self._check_weights(dict(weights))}

    def _check_inputs(self, inputs: Tensor) -> None:
        name = type(self).__name__
        if not torch.is_tensor(inputs) or inputs.dim() != 5:
            raise ValueError(f'{name}: expected inputs (B,T,C,h,w), got '
                             f'{tuple(inputs.shape) if torch.is_tensor(inputs) else type(inputs)}')
        if inputs.shape[1] != self.num_frames:
            raise ValueError(f'{name}: inputs have T={inputs.shape[1]} frames but the model '
                             f'was built with num_frames={self.num_frames}')
        if inputs.shape[2] != self.in_channels:
            raise ValueError(f'{name}: inputs have C={inputs.shape[2]} channels but the model '
                             f'was built with in_channels={self.in_channels}')

    def _check_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f'{type(self).__name__}: mode must be one of {MODES}, got {mode!r}')

    def _gt(self, inputs: Tensor, data_samples) -> Tensor:
        """The (B, C, s*h, s*w) ground truth of a loss-mode batch."""
        name = type(self).__name__
        if not isinstance(data_samples, Mapping) or data_samples.get('gt') is None:
            raise KeyError(f"{name}: mode='loss' needs data_samples['gt'] (B,C,H,W)")
        gt = data_samples['gt']
        b, _, c, h, w = inputs.shape
        expected = (b, c, h * self.scale, w * self.scale)
        if tuple(gt.shape) != expected:
            raise ValueError(f"{name}: data_samples['gt'] has shape {tuple(gt.shape)}, expected "
                             f'{expected} (inputs {tuple(inputs.shape)} at x{self.scale})')
        return gt

    def _pack(self, sr: Tensor, data_samples, flows: Tensor | None = None) -> list[dict]:
        """predict-mode output: one dict per sample, on the CPU, pixels back in [0, 1]."""
        shift = self.pixel_shift
        samples = data_samples if isinstance(data_samples, Mapping) else {}
        pred = (sr.detach() - shift).clamp(0.0, 1.0).cpu()
        out = []
        for b in range(pred.shape[0]):
            item = dict(pred=pred[b])
            if samples.get('gt') is not None:
                item['gt'] = (samples['gt'][b].detach() - shift).cpu()
            for key in ('key', 'clip', 'frame'):
                value = samples.get(key)
                value = None if value is None else value[b]
                item[key] = value.item() if torch.is_tensor(value) else value
            if flows is not None:
                item['flow'] = flows[b].detach().cpu()
            if samples.get('flow_gt') is not None:
                item['flow_gt'] = samples['flow_gt'][b].detach().cpu()
            out.append(item)
        return out
