"""Baselines on the same batches as SPMCVSR: single-frame fusion and MATLAB bicubic."""
from __future__ import annotations

from typing import Mapping

from torch import Tensor

from vsrkit.ops import bicubic_upsample
from vsrkit.registry import MODELS

from .base import BaseVSR, build_part, compensated_extra


@MODELS.register_module()
class SingleFrameVSR(BaseVSR):
    """The fusion net fed only the reference frame: single-image SR with SPMC's architecture.

    Consumes the same (B, T, C, h, w) windows as :class:`SPMCVSR` and uses only
    the centre frame: ``J = compensation(frame_c, 0)`` (by default the SPMC splat
    with zero flow, i.e. each LR pixel placed at (s*y, s*x)), then
    ``fusion(J[:, None], bicubic(frame_c))`` with T = 1. Same fusion config, so
    the comparison with SPMCVSR isolates what the extra frames contribute.

    Args:
        fusion: fusion config (``in_channels`` filled from the model's).
        scale, num_frames, in_channels: as for SPMCVSR (num_frames only sets
            which window the model expects; the centre frame is used).
        compensation: how the reference reaches the HR grid (default SPMC).
        sr_loss: loss config over the single time step.
        loss_weights: only 'sr'.

    Shapes: inputs (B, T, C, h, w) -> 'tensor' (B, C, s*h, s*w); 'loss' ->
    dict(loss_sr); 'predict' -> list of B dicts (pred, gt, key, clip, frame).
    """

    LOSS_NAMES = ('sr',)

    def __init__(self, fusion: Mapping, scale: int = 4, num_frames: int = 3,
                 in_channels: int = 1,
                 compensation: Mapping = dict(type='SPMC'),
                 sr_loss: Mapping = dict(type='TemporalSRLoss'),
                 loss_weights: Mapping[str, float] = dict(sr=1.0),
                 data_preprocessor: Mapping = dict(type='VSRDataPreprocessor', shift=-0.5),
                 init_cfg: dict | None = None):
        super().__init__(scale, num_frames, in_channels, {'sr': 1.0, **dict(loss_weights)},
                         data_preprocessor, init_cfg)
        name = type(self).__name__
        self.compensation = build_part(name, 'compensation', compensation, scale=self.scale)
        self.fusion = build_part(name, 'fusion', fusion, out_channels=in_channels,
                                 in_channels=in_channels + compensated_extra(self.compensation))
        self.sr_loss = build_part(name, 'sr_loss', sr_loss)

    def _outputs(self, inputs: Tensor) -> Tensor:
        ref = inputs[:, inputs.shape[1] // 2]
        n, _, h, w = ref.shape
        hr = self.compensation(ref, ref.new_zeros(n, 2, h, w))
        return self.fusion(hr.unsqueeze(1), bicubic_upsample(ref, self.scale))  # (B, 1, C, H, W)

    def forward(self, inputs: Tensor, data_samples=None, mode: str = 'tensor'):
        self._check_mode(mode)
        self._check_inputs(inputs)
        if mode == 'loss':
            if self.loss_weights['sr'] <= 0:
                raise ValueError("SingleFrameVSR: loss weight 'sr' is 0, nothing to train")
            gt = self._gt(inputs, data_samples)
            return dict(loss_sr=self.loss_weights['sr'] * self.sr_loss(self._outputs(inputs), gt))
        sr = self._outputs(inputs)[:, -1]
        return sr if mode == 'tensor' else self._pack(sr, data_samples)


@MODELS.register_module()
class BicubicVSR(BaseVSR):
    """MATLAB-bicubic upsampling of the centre frame: the published bicubic baseline.

    No parameters; ``mode='loss'`` raises (there is nothing to train).

    Shapes: inputs (B, T, C, h, w) -> 'tensor' (B, C, s*h, s*w); 'predict' -> list
    of B dicts (pred, gt, key, clip, frame).
    """

    LOSS_NAMES = ()

    def __init__(self, scale: int = 4, num_frames: int = 1, in_channels: int = 1,
                 data_preprocessor: Mapping = dict(type='VSRDataPreprocessor', shift=-0.5),
                 init_cfg: dict | None = None):
        super().__init__(scale, num_frames, in_channels, {}, data_preprocessor, init_cfg)

    def forward(self, inputs: Tensor, data_samples=None, mode: str = 'tensor'):
        self._check_mode(mode)
        self._check_inputs(inputs)
        if mode == 'loss':
            raise ValueError("BicubicVSR has no parameters to train (mode='loss'); "
                             'evaluate it with tools/test.py instead')
        sr = bicubic_upsample(inputs[:, inputs.shape[1] // 2], self.scale)
        return sr if mode == 'tensor' else self._pack(sr, data_samples)
