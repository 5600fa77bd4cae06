"""Training on several datasets at once, each in a given proportion of the samples."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from ..registry import DATASETS, ConfigError


@DATASETS.register_module()
class MixDataset:
    """Draws each item from one of ``datasets`` with probability proportional to ``weights``.

    Item ``i`` picks its source dataset and the index inside it from (seed, i) alone, so a
    shuffling sampler over ``length`` items gives the requested proportions and the same item
    is the same on every run.

    The items of the sources must have the same structure for collation, except for the
    known flow: a source whose items carry ``data_samples['flow_gt']`` (e.g.
    SyntheticMotionDataset) can be mixed with one whose items do not (real video). Then every
    item gets ``flow_gt`` (zeros where unknown) and ``flow_known`` (bool), and the models'
    flow supervision uses only the items where it is True.

    Scene cuts: with probability ``scene_cut_prob`` an item's frames on one side of the
    reference (before or after it, at random) are replaced by the same frames of another
    random item, as if the video cut there. Real video has cuts, training clips are split at
    them, so without this a model never learns to ignore unrelated neighbours (on the
    held-out demo clip, the two frames beside its cut lost 0.3 dB against single-frame SR).
    Such an item's flow is unknown (``flow_known`` False).

    Args:
        datasets: dataset configs (or built datasets).
        weights: relative sampling weights, one per dataset.
        length: dataset length (the number of distinct items; use a large number with
            ``InfiniteSampler``).
        seed: base seed of the per-item draws.
        scene_cut_prob: probability of a scene cut inside an item's window.

    Shapes: items as the sources' (``inputs (T, C, h, w)``, ``data_samples`` dict); all sources
    must give the same T, C, h, w (use the same crop size).
    """

    def __init__(self, datasets: Sequence, weights: Sequence[float], length: int = 100000,
                 seed: int = 0, scene_cut_prob: float = 0.0):
        if len(datasets) != len(weights) or not datasets:
            raise ConfigError(f'MixDataset: need one weight per dataset, got {len(datasets)} '
                              f'datasets and {len(weights)} weights')
        w = np.asarray(weights, dtype=np.float64)
        if (w < 0).any() or w.sum() <= 0:
            raise ConfigError(f'MixDataset: weights must be >= 0 with a positive sum, got {list(weights)}')
        if length < 1:
            raise ConfigError(f'MixDataset: length must be >= 1, got {length!r}')
        if not 0.0 <= scene_cut_prob <= 1.0:
            raise ConfigError(f'MixDataset: scene_cut_prob must be in [0, 1], got {scene_cut_prob!r}')
        self.scene_cut_prob = float(scene_cut_prob)
        self.datasets = [DATASETS.build(d) if isinstance(d, dict) else d for d in datasets]
        for d in self.datasets:
            if len(d) < 1:
                raise ConfigError(f'MixDataset: {type(d).__name__} is empty')
        self.cum = np.cumsum(w / w.sum())
        self.length, self.seed = int(length), int(seed)

    @property
    def metainfo(self) -> dict:
        return dict(self.datasets[0].metainfo)

    def __len__(self) -> int:
        return self.length

    def _draw(self, rng: np.random.Generator) -> tuple[int, int]:
        k = int(np.searchsorted(self.cum, rng.random(), side='right'))
        k = min(k, len(self.datasets) - 1)
        return k, int(rng.integers(len(self.datasets[k])))

    def source(self, idx: int) -> tuple[int, int]:
        """(dataset number, index inside it) of item ``idx``."""
        return self._draw(np.random.default_rng([self.seed, idx]))

    def scene_cut(self, idx: int) -> tuple[tuple[int, int], str] | None:
        """The item whose frames replace item ``idx``'s on one side ('before' / 'after' the
        reference), or None when item ``idx`` has no cut."""
        rng = np.random.default_rng([self.seed, idx, 1])
        if rng.random() >= self.scene_cut_prob:
            return None
        return self._draw(rng), ('before' if rng.random() < 0.5 else 'after')

    def __getitem__(self, idx: int) -> dict:
        if not 0 <= idx < self.length:
            raise IndexError(f'MixDataset index {idx} out of range [0, {self.length})')
        k, j = self.source(idx)
        item = self.datasets[k][j]
        samples = dict(item['data_samples'])
        known = 'flow_gt' in samples
        cut = self.scene_cut(idx) if self.scene_cut_prob else None
        if cut is not None:
            (k2, j2), side = cut
            other = self.datasets[k2][j2]['inputs']
            inputs = item['inputs'].clone()
            centre = inputs.shape[0] // 2
            side_frames = slice(0, centre) if side == 'before' else slice(centre + 1, None)
            inputs[side_frames] = other[side_frames]
            item = dict(item, inputs=inputs)
            known = False
        if not known:
            t, _, h, w = item['inputs'].shape
            samples['flow_gt'] = torch.zeros(t, 2, h, w)
        samples['flow_known'] = known
        return dict(item, data_samples=samples)
