"""SPMC video SR: motion estimation -> sub-pixel motion compensation -> detail fusion."""
from __future__ import annotations

from typing import Mapping

import torch
from torch import Tensor

from vsrkit.ops import bicubic_upsample
from vsrkit.registry import MODELS, ConfigError, accepted_args

from .base import BaseVSR, build_part, compensated_extra


@MODELS.register_module()
class SPMCVSR(BaseVSR):
    """The SPMC restorer (Tao et al., ICCV 2017), assembled from swappable parts.

    For a window of T frames with reference (centre) ``k = T // 2``:
    flows ``F_{i->k} = motion(frame_i, frame_k)`` for every ``i != k`` (zero for
    ``k``); every frame is compensated and upscaled, ``J_i = compensation(frame_i,
    F_i)``; the fusion net runs over ``J_0 .. J_{T-1}`` and returns one SR estimate
    of the centre frame per time step; the last one is the model's answer.

    Losses (each multiplied by its current weight in ``loss_weights``, and not
    computed at all when that weight is 0):
      - ``loss_warp``: ``warp_loss`` averaged over the non-centre frames (the
        paper sums over i; the constant T-1 factor lives in the weight);
      - ``loss_tv``: ``tv_loss`` of the non-centre flows (same averaging);
      - ``loss_sr``: ``sr_loss`` over all T fusion outputs against the GT. With
        weight 0 the compensation and fusion are skipped entirely, so the
        motion-only stage costs only the motion net;
      - ``loss_flow``: ``flow_loss`` of the non-centre flows against
        ``data_samples['flow_gt']`` where the batch has it (synthetic motion), over the
        samples whose ``data_samples['flow_known']`` is True (all if absent).

    Args:
        motion, compensation, fusion: component configs built through MODELS;
            ``compensation.scale`` and ``in_channels`` of motion/fusion default to
            the restorer's values.
        warp_loss, tv_loss, sr_loss, flow_loss: loss configs.
        scale: upscaling factor; num_frames: odd window length T; in_channels: C.
        loss_weights: initial weights of 'warp', 'tv', 'sr', 'flow' (default 0).
        data_preprocessor: config of the preprocessor (its ``shift`` is ``pixel_shift``).

    Shapes:
        inputs (B, T, C, h, w) in the preprocessor's range; data_samples['gt']
        (B, C, s*h, s*w). 'tensor' -> (B, C, s*h, s*w); 'loss' -> dict of scalars;
        'predict' -> list of B dicts (pred (C, H, W) in [0, 1], gt, key, clip,
        frame, flow (T, 2, h, w)).
    """

    LOSS_NAMES = ('warp', 'tv', 'sr', 'flow')

    def __init__(self, motion: Mapping, compensation: Mapping, fusion: Mapping,
                 warp_loss: Mapping = dict(type='WarpLoss'),
                 tv_loss: Mapping = dict(type='FlowTVLoss'),
                 sr_loss: Mapping = dict(type='TemporalSRLoss'),
                 flow_loss: Mapping = dict(type='FlowEPELoss'),
                 scale: int = 4, num_frames: int = 3, in_channels: int = 1,
                 loss_weights: Mapping[str, float] = dict(warp=1.0, tv=0.01, sr=1.0, flow=0.0),
                 data_preprocessor: Mapping = dict(type='VSRDataPreprocessor', shift=-0.5),
                 init_cfg: dict | None = None):
        super().__init__(scale, num_frames, in_channels,
                         {**dict(warp=1.0, tv=0.01, sr=1.0, flow=0.0), **dict(loss_weights)},
                         data_preprocessor, init_cfg)
        name = type(self).__name__
        self.motion = build_part(name, 'motion', motion, in_channels=in_channels)
        self.compensation = build_part(name, 'compensation', compensation, scale=self.scale)
        self.fusion = build_part(name, 'fusion', fusion, out_channels=in_channels,
                                 in_channels=in_channels + compensated_extra(self.compensation))
        # Inference uses the last time step only; a fusion net that can skip decoding the
        # others says so with a ``last_only`` argument.
        self._fusion_last_only = 'last_only' in (accepted_args(self.fusion.forward) or ())
        self.warp_loss = build_part(name, 'warp_loss', warp_loss)
        self.tv_loss = build_part(name, 'tv_loss', tv_loss)
        self.sr_loss = build_part(name, 'sr_loss', sr_loss)
        self.flow_loss = build_part(name, 'flow_loss', flow_loss)

    def _estimate(self, inputs: Tensor):
        """Flows of all non-centre frames in one motion call.

        Returns (flows (B, T, 2, h, w) with zeros at the centre, frames
        (B*(T-1), C, h, w), refs (B*(T-1), C, h, w), est (B*(T-1), 2, h, w)).
        """
        b, t, c, h, w = inputs.shape
        k = t // 2
        zero = inputs.new_zeros(b, 1, 2, h, w)
        if t == 1:
            return zero, None, None, None
        others = [i for i in range(t) if i != k]
        frames = inputs[:, others].flatten(0, 1)
        refs = inputs[:, k:k + 1].expand(b, t - 1, c, h, w).flatten(0, 1)
        est = self.motion(frames, refs)
        if est.shape != (b * (t - 1), 2, h, w):
            raise ValueError(f'{type(self.motion).__name__} returned flow {tuple(est.shape)}, '
                             f'expected {(b * (t - 1), 2, h, w)}')
        per_frame = est.view(b, t - 1, 2, h, w)
        flows = torch.cat((per_frame[:, :k], zero, per_frame[:, k:]), 1)
        return flows, frames, refs, est

    def _flow_loss(self, est: Tensor, data_samples: Mapping, t: int) -> Tensor:
        """``flow_loss`` of the non-centre estimates against the known flows of the batch."""
        flow_gt = data_samples['flow_gt']
        others = [i for i in range(t) if i != t // 2]
        gt = flow_gt[:, others].flatten(0, 1).to(est)
        known = data_samples.get('flow_known')
        weight = None
        if known is not None:
            known = torch.as_tensor(known, device=est.device)
            weight = known.repeat_interleave(t - 1)
        return self.flow_loss(est, gt, weight)

    def forward_flows(self, inputs: Tensor) -> Tensor:
        """Flows ``F_{i->centre}`` (B, T, 2, h, w) in LR pixels, zero at the centre."""
        self._check_inputs(inputs)
        return self._estimate(inputs)[0]

    def _fuse(self, inputs: Tensor, flows: Tensor, last_only: bool = False) -> Tensor:
        """Compensate every frame and fuse: (B, T, C, h, w) -> (B, T, C, s*h, s*w), or
        (B, 1, C, s*h, s*w) with ``last_only`` (a fusion that can skip the earlier outputs
        is asked to; the result is the same)."""
        b, t, c, h, w = inputs.shape
        hr_shape = (b * t, c + compensated_extra(self.compensation), h * self.scale, w * self.scale)
        hr = self.compensation(inputs.flatten(0, 1), flows.flatten(0, 1))
        if hr.shape != hr_shape:
            raise ConfigError(f'{type(self.compensation).__name__} returned {tuple(hr.shape)}, expected '
                              f'{hr_shape}: does its scale match the model scale {self.scale}?')
        ref_up = bicubic_upsample(inputs[:, t // 2], self.scale)
        hr = hr.view(b, t, *hr_shape[1:])
        if last_only and self._fusion_last_only:
            return self.fusion(hr, ref_up, last_only=True)
        out = self.fusion(hr, ref_up)
        return out[:, -1:] if last_only else out

    def forward(self, inputs: Tensor, data_samples=None, mode: str = 'tensor'):
        self._check_mode(mode)
        self._check_inputs(inputs)
        if mode != 'loss':
            flows = self._estimate(inputs)[0]
            sr = self._fuse(inputs, flows, last_only=True)[:, -1]
            return sr if mode == 'tensor' else self._pack(sr, data_samples, flows)

        weights = self.loss_weights
        losses = {}
        flows, frames, refs, est = self._estimate(inputs)
        if est is not None and weights['warp'] > 0:
            losses['loss_warp'] = weights['warp'] * self.warp_loss(frames, refs, est)
        if est is not None and weights['tv'] > 0:
            losses['loss_tv'] = weights['tv'] * self.tv_loss(est)
        if est is not None and weights['flow'] > 0 and isinstance(data_samples, Mapping) \
                and data_samples.get('flow_gt') is not None:
            losses['loss_flow'] = weights['flow'] * self._flow_loss(est, data_samples, inputs.shape[1])
        if weights['sr'] > 0:
            gt = self._gt(inputs, data_samples)
            losses['loss_sr'] = weights['sr'] * self.sr_loss(self._fuse(inputs, flows), gt)
        if not losses:
            raise ValueError(f'SPMCVSR: no loss to compute: loss weights {weights} '
                             f'(warp/tv need num_frames > 1)')
        return losses

