"""What every vsrkit restorer shares: the data preprocessor (the pixel range, both ways),
properties, input checks, loss weights, predict packing.

The pixel range: datasets and inference hand over [0, 1] pixels, the model works in its own
range; :class:`VSRDataPreprocessor` is the one place that converts, both ways."""
from __future__ import annotations

from typing import Mapping

import torch
import torch.nn as nn
from mmengine.dataset import default_collate
from mmengine.model import BaseDataPreprocessor, BaseModel
from torch import Tensor

from vsrkit.registry import MODELS, ConfigError, accepted_args

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
    cls = MODELS.check(cfg, f'{owner}.{part}') if isinstance(cfg['type'], str) else cfg['type']
    accepted = accepted_args(cls) or set()
    for key, value in fill.items():
        if key in cfg:
            if cfg[key] != value:
                raise ConfigError(f"{owner}: {part}.{key}={cfg[key]!r} conflicts with the "
                                  f"model's {key}={value!r}")
        elif key in accepted:
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
        if not isinstance(self.data_preprocessor, VSRDataPreprocessor):
            raise ConfigError(f"{name}: data_preprocessor must be dict(type='VSRDataPreprocessor', "
                              f'shift=...) (it owns the pixel range), got '
                              f'{type(self.data_preprocessor).__name__}')
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
        """Offset the preprocessor adds to [0, 1] pixels (-0.5 by default, 0.0 for [0, 1]);
        convert with ``data_preprocessor.to_model_range`` / ``to_unit_range``."""
        return self.data_preprocessor.shift

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
        to_unit = self.data_preprocessor.to_unit_range
        samples = data_samples if isinstance(data_samples, Mapping) else {}
        pred = to_unit(sr.detach()).clamp(0.0, 1.0).cpu()
        out = []
        for b in range(pred.shape[0]):
            item = dict(pred=pred[b])
            if samples.get('gt') is not None:
                item['gt'] = to_unit(samples['gt'][b].detach()).cpu()
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


@MODELS.register_module()
class VSRDataPreprocessor(BaseDataPreprocessor):
    """Casts a collated batch to the model's device and adds ``shift`` to the pixels.

    ``shift=-0.5`` maps [0, 1] to [-0.5, 0.5]: warping leaves holes filled with 0, which is
    then mid-grey instead of black, so a hole costs the warp loss far less; ``shift=0.0``
    keeps [0, 1]. Applies to ``inputs`` and ``data_samples['gt']``; every other field passes
    through unchanged. Un-collated batches (a list of (T,C,h,w) inputs, a list of sample
    dicts) are collated first. :meth:`to_model_range` and :meth:`to_unit_range` convert
    single tensors (inference, the model's predictions).

    Shapes: ``dict(inputs=(B, T, C, h, w), data_samples=dict(gt=(B, C, H, W), ...))``
    -> the same structure on the device, shifted.
    """

    def __init__(self, shift: float = -0.5, non_blocking: bool = False):
        super().__init__(non_blocking)
        self.shift = float(shift)

    def to_model_range(self, pixels: torch.Tensor) -> torch.Tensor:
        """[0, 1] pixels (any shape) -> the model's range."""
        return pixels + self.shift

    def to_unit_range(self, pixels: torch.Tensor) -> torch.Tensor:
        """The model's range (any shape) -> [0, 1] (not clamped)."""
        return pixels - self.shift

    def forward(self, data: dict, training: bool = False) -> dict:
        if not isinstance(data, dict) or 'inputs' not in data:
            got = sorted(data) if isinstance(data, dict) else type(data).__name__
            raise KeyError(f"VSRDataPreprocessor: expected a batch dict with key 'inputs', got {got}")
        data = self.cast_data(data)
        inputs = data['inputs']
        if isinstance(inputs, (list, tuple)):
            inputs = torch.stack(list(inputs))
        if not torch.is_tensor(inputs) or not inputs.is_floating_point():
            raise ValueError("VSRDataPreprocessor: 'inputs' must be a float tensor (B,T,C,h,w), got "
                             f'{getattr(inputs, "dtype", type(inputs).__name__)}')
        out = dict(data, inputs=self.to_model_range(inputs))
        samples = data.get('data_samples')
        if isinstance(samples, (list, tuple)) and samples and isinstance(samples[0], dict):
            samples = default_collate(list(samples))
        if isinstance(samples, dict):
            samples = dict(samples)
            if samples.get('gt') is not None:
                samples['gt'] = self.to_model_range(samples['gt'])
            out['data_samples'] = samples
        return out
