"""The pixel range: datasets and inference hand [0, 1] pixels over, the model works in its own
range. :class:`VSRDataPreprocessor` is the one place that converts, both ways."""
from __future__ import annotations

import torch
from mmengine.dataset import default_collate
from mmengine.model import BaseDataPreprocessor

from vsrkit.registry import MODELS


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
