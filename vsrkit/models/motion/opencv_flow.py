"""Classical optical flow (OpenCV DIS or Farneback) as a motion estimator: no parameters."""
from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn as nn
from torch import Tensor

from vsrkit.ops import rgb_to_y
from vsrkit.registry import MODELS, ConfigError


def _check_pair(name: str, frame_i: Tensor, frame_0: Tensor) -> None:
    if frame_i.dim() != 4 or frame_i.shape != frame_0.shape:
        raise ValueError(f'{name}: expected frame_i and frame_0 of equal shape (N,C,h,w), '
                         f'got {tuple(frame_i.shape)} and {tuple(frame_0.shape)}')


_DIS_PRESETS = {'ultrafast': cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
                'fast': cv2.DISOPTICAL_FLOW_PRESET_FAST,
                'medium': cv2.DISOPTICAL_FLOW_PRESET_MEDIUM}


@MODELS.register_module()
class OpenCVFlowMotion(nn.Module):
    """Classical optical flow from OpenCV: a training-free motion estimator.

    ``method='dis'`` (DIS, Kroeger et al. 2016) or ``'farneback'``. Each pair is
    converted to 8-bit grey by one joint min-max over both frames, so inputs in
    [0, 1] and in [-0.5, 0.5] give the same flow; RGB frames are reduced to
    BT.601 Y first. The flow is ``calcOpticalFlow(prev=frame_i, next=frame_0)``:
    pixel p of frame i lies at ``p + flow(p)`` in frame 0, the same convention as
    :class:`VESPCNMotion`. No parameters and no gradient (the output is detached).

    Args:
        method: 'dis' or 'farneback'.
        preset: DIS preset, 'ultrafast' | 'fast' | 'medium' (ignored by Farneback).

    Shapes: forward(frame_i (N, C, h, w), frame_0 (N, C, h, w)) -> (N, 2, h, w),
    C in {1, 3}. DIS needs h or w >= 12.
    """

    def __init__(self, method: str = 'dis', preset: str = 'medium'):
        super().__init__()
        if method not in ('dis', 'farneback'):
            raise ConfigError(f"OpenCVFlowMotion: method must be 'dis' or 'farneback', got {method!r}")
        if preset not in _DIS_PRESETS:
            raise ConfigError(f'OpenCVFlowMotion: preset must be one of {sorted(_DIS_PRESETS)}, '
                              f'got {preset!r}')
        self.method = method
        self.preset = preset

    def _flow(self, prev: np.ndarray, nxt: np.ndarray) -> np.ndarray:
        if self.method == 'dis':
            if max(prev.shape) < 12:
                raise ValueError(f'OpenCVFlowMotion: DIS needs frames with h or w >= 12, '
                                 f'got {prev.shape}; use method="farneback"')
            return cv2.DISOpticalFlow_create(_DIS_PRESETS[self.preset]).calc(prev, nxt, None)
        return cv2.calcOpticalFlowFarneback(prev, nxt, None, pyr_scale=0.5, levels=3, winsize=15,
                                            iterations=3, poly_n=5, poly_sigma=1.2, flags=0)

    @torch.no_grad()
    def forward(self, frame_i: Tensor, frame_0: Tensor) -> Tensor:
        _check_pair('OpenCVFlowMotion', frame_i, frame_0)
        c = frame_i.shape[1]
        if c not in (1, 3):
            raise ValueError(f'OpenCVFlowMotion: frames must have 1 (Y) or 3 (RGB) channels, got {c}')
        if c == 3:
            frame_i, frame_0 = rgb_to_y(frame_i), rgb_to_y(frame_0)
        grey_i = frame_i[:, 0].detach().double().cpu().numpy()
        grey_0 = frame_0[:, 0].detach().double().cpu().numpy()
        flows = []
        for a, b in zip(grey_i, grey_0):
            lo, hi = min(a.min(), b.min()), max(a.max(), b.max())
            if hi - lo < 1e-12:  # flat pair: nothing to track
                flows.append(np.zeros((2,) + a.shape, np.float32))
                continue
            a8 = np.rint((a - lo) / (hi - lo) * 255).astype(np.uint8)
            b8 = np.rint((b - lo) / (hi - lo) * 255).astype(np.uint8)
            flows.append(self._flow(a8, b8).transpose(2, 0, 1))
        return torch.from_numpy(np.stack(flows)).to(device=frame_i.device, dtype=frame_i.dtype)
