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

    Args:
        datasets: dataset configs (or built datasets).
        weights: relative sampling weights, one per dataset.
        length: dataset length (the number of distinct items; use a large number with
            ``InfiniteSampler``).
        seed: base seed of the per-item draws.

    Shapes: items as the sources' (``inputs (T, C, h, w)``, ``data_samples`` dict); all sources
    must give the same T, C, h, w (use the same crop size).
    """

    def __init__(self, datasets: Sequence, weights: Sequence[float], length: int = 100000,
                 seed: int = 0):
        if len(datasets) != len(weights) or not datasets:
            raise ConfigError(f'MixDataset: need one weight per dataset, got {len(datasets)} '
                              f'datasets and {len(weights)} weights')
        w = np.asarray(weights, dtype=np.float64)
        if (w < 0).any() or w.sum() <= 0:
            raise ConfigError(f'MixDataset: weights must be >= 0 with a positive sum, got {list(weights)}')
        if length < 1:
            raise ConfigError(f'MixDataset: length must be >= 1, got {length!r}')
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

    def source(self, idx: int) -> tuple[int, int]:
        """(dataset number, index inside it) of item ``idx``."""
        rng = np.random.default_rng([self.seed, idx])
        k = int(np.searchsorted(self.cum, rng.random(), side='right'))
        k = min(k, len(self.datasets) - 1)
        return k, int(rng.integers(len(self.datasets[k])))

    def __getitem__(self, idx: int) -> dict:
        if not 0 <= idx < self.length:
            raise IndexError(f'MixDataset index {idx} out of range [0, {self.length})')
        k, j = self.source(idx)
        item = self.datasets[k][j]
        samples = dict(item['data_samples'])
        known = 'flow_gt' in samples
        if not known:
            t, _, h, w = item['inputs'].shape
            samples['flow_gt'] = torch.zeros(t, 2, h, w)
        samples['flow_known'] = known
        return dict(item, data_samples=samples)
