"""PSNR, SSIM and flow EPE as mmengine metrics: per frame, averaged per clip, then over clips.

They consume the restorers' predict dicts (docs/ARCHITECTURE.md): ``pred`` and ``gt`` (C, H, W)
in [0, 1] with C = 1 (Y) or 3 (RGB), ``clip``, ``key``, and ``flow`` (T, 2, h, w) where the
model estimates motion. The results hold the main key (``PSNR``, ``SSIM``, ``EPE``: the mean
over clips of the per-clip means, as published VSR tables) and one ``<NAME>/<clip>`` per clip.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from vsrkit.registry import METRICS, ConfigError

from . import functional


class _PerClipMetric(BaseMetric):
    """Collects ``(clip, value)`` per frame; reports clip means and their mean."""

    # '' (not None): no prefix in the keys, so the main key stays e.g. 'PSNR', and no warning.
    default_prefix = ''
    name = ''

    def __init__(self, collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)

    def frame_value(self, sample: dict, batch_sample: dict) -> Optional[float]:
        raise NotImplementedError

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        batch_samples = _unbatch(data_batch, len(data_samples))
        for sample, batch_sample in zip(data_samples, batch_samples):
            if not isinstance(sample, dict):
                raise TypeError(f'{self.name}: expected predict dicts from the model, got {type(sample).__name__}')
            value = self.frame_value(sample, batch_sample)
            if value is not None:
                self.results.append((str(sample.get('clip', 'all')), float(value)))

    def compute_metrics(self, results: list) -> dict:
        if not results:
            print_log(f'{self.name}: nothing to evaluate', logger='current')
            return {}
        per_clip: 'OrderedDict[str, list]' = OrderedDict()
        for clip, value in results:
            per_clip.setdefault(clip, []).append(value)
        clip_means = {clip: float(np.mean(v)) for clip, v in per_clip.items()}
        out = {self.name: float(np.mean(list(clip_means.values())))}
        out.update({f'{self.name}/{clip}': m for clip, m in clip_means.items()})
        return out


def _unbatch(data_batch: Any, n: int) -> list:
    """The per-sample view of the collated ``data_samples`` (for keys the predict dicts lack)."""
    samples = data_batch.get('data_samples') if isinstance(data_batch, dict) else None
    if not isinstance(samples, dict):
        return [{} for _ in range(n)]
    return [{k: v[i] for k, v in samples.items() if hasattr(v, '__getitem__') and len(v) == n}
            for i in range(n)]


class _ImageMetric(_PerClipMetric):

    def __init__(self, crop_border: int = 0, convert_to: Optional[str] = 'y', **kwargs) -> None:
        super().__init__(**kwargs)
        if not isinstance(crop_border, int) or crop_border < 0:
            raise ConfigError(f'{self.name}: crop_border must be an int >= 0, got {crop_border!r}')
        if convert_to not in ('y', 'Y', None):
            raise ConfigError(f"{self.name}: convert_to must be 'y' or None, got {convert_to!r}")
        self.crop_border = crop_border
        self.convert_to = convert_to

    def _pair(self, sample: dict):
        if 'pred' not in sample or 'gt' not in sample:
            raise KeyError(f"{self.name}: prediction for {sample.get('key', '?')!r} lacks "
                           f"{'pred' if 'pred' not in sample else 'gt'!r}; metrics need both")
        return sample['pred'], sample['gt']


@METRICS.register_module()
class PSNR(_ImageMetric):
    """PSNR in dB (peak 255) on Y (BT.601) after 8-bit rounding and a ``crop_border`` crop.

    Args:
        crop_border: pixels dropped on every side (published VSR tables use the scale).
        convert_to: ``'y'`` (RGB -> Y; a 1-channel image is Y already) or None (all channels).
    """
    name = 'PSNR'

    def frame_value(self, sample, batch_sample):
        return functional.psnr(*self._pair(sample), self.crop_border, self.convert_to)


@METRICS.register_module()
class SSIM(_ImageMetric):
    """SSIM (Gaussian window 11, sigma 1.5, valid region) on Y, same preparation as :class:`PSNR`."""
    name = 'SSIM'

    def frame_value(self, sample, batch_sample):
        return functional.ssim(*self._pair(sample), self.crop_border, self.convert_to)


@METRICS.register_module()
class FlowEPE(_PerClipMetric):
    """Mean end-point error (LR pixels) of the estimated flow (T, 2, h, w) against ``flow_gt``.

    ``flow_gt`` comes from the predict dict or from the batch's ``data_samples``; samples
    without either flow are skipped (a model without motion, a dataset without known motion).
    The reference frame (index T // 2, zero flow by definition) is left out of the average.
    """
    name = 'EPE'

    def frame_value(self, sample, batch_sample):
        flow = sample.get('flow')
        flow_gt = sample.get('flow_gt', batch_sample.get('flow_gt'))
        if flow is None or flow_gt is None:
            return None
        return functional.flow_epe(flow, flow_gt, skip_index=flow.shape[0] // 2)
