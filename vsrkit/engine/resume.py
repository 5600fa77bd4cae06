"""Exact resume: the global RNG states travel in the checkpoint and come back at the
point of the data stream where they were saved.

Iteration, optimizer, schedulers and message hub are mmengine's; the data order and the
random crops/flips are the sample stream's (``NoReplayIterBasedTrainLoop``: samples seeded
by their position; with mmengine's ``IterBasedTrainLoop``, its replay of the trained batches
reproduces them). What neither restores is the main process's RNG streams as they were after
``iter`` training steps: any randomness in the training step itself (dropout, random masks)
would then differ. :class:`RNGStateHook` stores python/numpy/torch(/CUDA) states in
``checkpoint['meta']['rng_state']`` as tensors and plain lists (safe under the weights-only
loader) and restores them before the first new batch is drawn: at once with the sample
stream, after the replay with mmengine's loop (the replay's draws must not count twice).
Every rank restores the states rank 0 saved: ranks share one seed (mmengine's default,
``diff_rank_seed=False``) and, their data randomness coming from the sample stream, draw the
same numbers of the global streams, so their states are equal.
"""
from __future__ import annotations

import random
from typing import Optional

import numpy as np
import torch
from mmengine.hooks import Hook

from vsrkit.registry import HOOKS


def get_rng_state() -> dict:
    """The global RNG states as weights-only-loadable values."""
    version, mt, gauss = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state()
    state = dict(python=[version, list(mt), gauss],
                 numpy=[name, torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss),
                        float(cached)],
                 torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    """Inverse of :func:`get_rng_state`."""
    version, mt, gauss = state['python']
    random.setstate((version, tuple(mt), gauss))
    name, keys, pos, has_gauss, cached = state['numpy']
    np.random.set_state((name, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state['torch'])
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state['cuda'])


class _RestoreAfter:
    """Iterator proxy: after ``n`` items calls ``callback`` once, then is transparent."""

    def __init__(self, it, n: int, callback):
        self._it, self._left, self._callback = it, n, callback

    def __iter__(self):
        return self

    def __next__(self):
        item = next(self._it)
        self._left -= 1
        if self._left == 0:
            self._callback()
        return item

    def __getattr__(self, name):  # e.g. _InfiniteDataloaderIterator._dataloader
        return getattr(self._it, name)


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Save the global RNG states with every checkpoint; restore them on resume.

    The states are restored before the batch of iteration ``iter + 1`` is drawn (with
    mmengine's replaying loop, after the replay of the ``iter`` trained batches, so its
    random draws are not counted twice). A checkpoint without states (older runs) resumes
    as before, with a warning.
    """

    priority = 'VERY_HIGH'

    def __init__(self):
        self._pending: Optional[dict] = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault('meta', {})['rng_state'] = get_rng_state()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._pending = checkpoint.get('meta', {}).get('rng_state')

    def before_train(self, runner) -> None:
        pending, self._pending = self._pending, None
        if runner.iter == 0:  # a fresh run, or load_from (weights only): nothing to restore
            return
        if pending is None:
            runner.logger.warning('RNGStateHook: the resumed checkpoint holds no RNG states; '
                                  'random draws after the resume point will differ')
            return
        loop = runner.train_loop
        if not getattr(loop, 'replays_data', True):
            set_rng_state(pending)
            return
        loop.dataloader_iterator = _RestoreAfter(loop.dataloader_iterator, runner.iter,
                                                 lambda: set_rng_state(pending))
