"""Random flips and transpose, identical for every frame of a sample."""
from __future__ import annotations

import numpy as np

from ...registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomFlipTranspose:
    """With probability 0.5 each (drawn once per sample): horizontal flip, vertical flip,
    transpose (swap H and W). Applied identically to every ``lq`` frame, ``gt`` and, if
    present, ``flow_gt`` (T x (h, w, 2), x then y), whose vectors are flipped/swapped too
    so the motion stays consistent with the frames.

    Records the draw in ``results['flip'] = (hflip, vflip, transpose)``.
    """

    def __init__(self, hflip: bool = True, vflip: bool = True, transpose: bool = True):
        self.hflip, self.vflip, self.transpose = hflip, vflip, transpose

    def __call__(self, results: dict) -> dict:
        h = bool(self.hflip and np.random.rand() < 0.5)
        v = bool(self.vflip and np.random.rand() < 0.5)
        t = bool(self.transpose and np.random.rand() < 0.5)
        results['lq'] = [self._apply(f, h, v, t) for f in results['lq']]
        if 'gt' in results:
            results['gt'] = self._apply(results['gt'], h, v, t)
        if 'flow_gt' in results:
            results['flow_gt'] = [self._apply_flow(f, h, v, t) for f in results['flow_gt']]
        results['flip'] = (h, v, t)
        return results

    @staticmethod
    def _apply(img: np.ndarray, h: bool, v: bool, t: bool) -> np.ndarray:
        if h:
            img = img[:, ::-1]
        if v:
            img = img[::-1]
        if t:
            img = img.transpose(1, 0, 2)
        return np.ascontiguousarray(img)

    @classmethod
    def _apply_flow(cls, flow: np.ndarray, h: bool, v: bool, t: bool) -> np.ndarray:
        flow = cls._apply(flow, h, v, t).copy()
        if h:
            flow[..., 0] *= -1
        if v:
            flow[..., 1] *= -1
        if t:
            flow = np.ascontiguousarray(flow[..., ::-1])
        return flow

    def __repr__(self) -> str:
        return f'RandomFlipTranspose(hflip={self.hflip}, vflip={self.vflip}, transpose={self.transpose})'
