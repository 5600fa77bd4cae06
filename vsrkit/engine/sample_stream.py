"""Resume without replay: the training samples as one endless stream addressed by position.

mmengine's ``IterBasedTrainLoop`` resumes at iteration ``i`` by loading and discarding the
``i`` batches already trained (minutes at 70k iterations). That replay is what reproduced
the random crops and flips, because they came from each worker's global RNG stream, which
the replay advanced. Here a sample's randomness comes from its position instead:

- :class:`SampleStreamSampler` yields ``(position, index)`` pairs: this rank's share of an
  endless, epoch-wise shuffled order of the dataset (the order of mmengine's
  ``InfiniteSampler`` for the same seed), starting from any position without computing the
  skipped items;
- :class:`SampleStream` loads item ``index`` with Python's, NumPy's and torch's global RNGs
  seeded from ``(seed, position)`` (and put back afterwards), so a sample is the same in a
  DataLoader worker or in the main process, interrupted or not;
- :class:`NoReplayIterBasedTrainLoop` counts the samples consumed (``train_sample_position``
  in the message hub, saved in every checkpoint) and on resume seeks the sampler there.
"""
from __future__ import annotations

import copy
import random
from contextlib import contextmanager

import numpy as np
import torch
from mmengine.dist import get_dist_info
from mmengine.logging import print_log
from mmengine.runner.loops import IterBasedTrainLoop, _InfiniteDataloaderIterator
from torch.utils.data import Sampler

from vsrkit.registry import DATASETS, LOOPS, ConfigError

from .runner_utils import peer_failures_as_errors

POSITION_KEY = 'train_sample_position'


@contextmanager
def seeded_global_rngs(seed: int, position: int):
    """Seed Python's, NumPy's and torch's (CPU) global RNGs from ``(seed, position)``; restore
    their previous states on exit, so the caller's random streams are left as they were."""
    saved = random.getstate(), np.random.get_state(), torch.default_generator.get_state()
    words = np.random.SeedSequence([seed, position]).generate_state(4)
    random.seed(int(words[0]))
    np.random.seed(words[1:3])
    torch.default_generator.manual_seed(int(words[3]))
    try:
        yield
    finally:
        random.setstate(saved[0])
        np.random.set_state(saved[1])
        torch.default_generator.set_state(saved[2])


class SampleStream:
    """A dataset view whose items are ``(position, index)`` pairs.

    ``stream[(p, i)]`` is ``dataset[i]`` with the random draws of its pipeline seeded from
    ``(seed, p)``. Length and other attributes (``metainfo``, ...) are the dataset's.
    """

    def __init__(self, dataset, seed: int):
        self.dataset, self.seed = dataset, int(seed)

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, key):
        position, index = key
        with seeded_global_rngs(self.seed, position):
            return self.dataset[index]

    def __getattr__(self, name):
        dataset = self.__dict__.get('dataset')  # absent while unpickling in a worker
        # Dunders stay ours: a forwarded __getitems__ would let the DataLoader bypass the seeding.
        if dataset is None or name.startswith('__'):
            raise AttributeError(name)
        return getattr(dataset, name)


class SampleStreamSampler(Sampler):
    """This rank's ``(position, index)`` pairs of an endless stream over ``dataset``.

    The stream is epoch after epoch of ``torch.randperm`` from one generator seeded with
    ``seed`` (``arange`` without ``shuffle``), as mmengine's ``InfiniteSampler``; position
    ``p`` belongs to rank ``p % world_size``. :meth:`seek` sets the position the next
    iteration starts from; skipped epochs cost one ``randperm`` each, skipped items nothing.
    """

    def __init__(self, dataset, shuffle: bool = True, seed: int = 0):
        self.rank, self.world_size = get_dist_info()
        self.size, self.shuffle, self.seed = len(dataset), bool(shuffle), int(seed)
        if self.size == 0:
            raise ConfigError('train_dataloader.dataset is empty')
        self.start = 0

    def seek(self, position: int) -> None:
        self.start = int(position)

    def __iter__(self):
        gen = torch.Generator().manual_seed(self.seed)
        epoch = self.start // self.size
        for _ in range(epoch if self.shuffle else 0):
            torch.randperm(self.size, generator=gen)
        position = self.start + (self.rank - self.start) % self.world_size
        while True:
            order = (torch.randperm(self.size, generator=gen) if self.shuffle
                     else torch.arange(self.size)).tolist()
            end = (epoch + 1) * self.size
            while position < end:
                yield position, order[position - epoch * self.size]
                position += self.world_size
            epoch += 1

    def __len__(self) -> int:
        return self.size

    def set_epoch(self, epoch: int) -> None:  # an endless stream has no epochs to set
        pass


def _stream_dataloader(runner, cfg: dict) -> dict:
    """The train dataloader config with its dataset wrapped in :class:`SampleStream` and
    its ``InfiniteSampler`` replaced by the equivalent :class:`SampleStreamSampler`."""
    cfg = copy.copy(cfg)
    sampler = dict(cfg.get('sampler') or {})
    kind = sampler.pop('type', None)
    if kind != 'InfiniteSampler':
        raise ConfigError(f"train_dataloader.sampler: NoReplayIterBasedTrainLoop needs "
                          f"type='InfiniteSampler' (an endless stream), got {kind!r}")
    seed = sampler.pop('seed', None)
    seed = runner.seed if seed is None else seed
    dataset = cfg['dataset']
    if isinstance(dataset, dict):
        dataset = DATASETS.build(dataset)
        if hasattr(dataset, 'full_init'):
            dataset.full_init()
    cfg['dataset'] = SampleStream(dataset, seed)
    cfg['sampler'] = SampleStreamSampler(dataset, seed=seed, **sampler)
    return cfg


@LOOPS.register_module()
class NoReplayIterBasedTrainLoop(IterBasedTrainLoop):
    """``IterBasedTrainLoop`` that resumes by seeking the sample stream, not replaying it.

    Same arguments as mmengine's loop. The train dataloader must use ``InfiniteSampler``:
    the loop serves the same order through :class:`SampleStreamSampler` and
    :class:`SampleStream` (module docstring), so a resumed run sees exactly the samples an
    uninterrupted one would, on any number of processes. A failure of another process of a
    distributed run ends the loop with a one-line ``DistributedError``.
    """

    replays_data = False  # read by RNGStateHook: restore the RNG states at once on resume

    def __init__(self, runner, dataloader, max_iters: int, val_begin: int = 1,
                 val_interval: int = 1000, dynamic_intervals=None):
        if isinstance(dataloader, dict):
            dataloader = _stream_dataloader(runner, dataloader)
        super().__init__(runner, dataloader, max_iters, val_begin, val_interval, dynamic_intervals)
        self.sampler = self.dataloader.sampler
        if not isinstance(self.sampler, SampleStreamSampler):
            raise ConfigError('NoReplayIterBasedTrainLoop builds its own dataloader: give '
                              'train_dataloader as a config dict')
        self.position = 0  # samples (of all ranks) trained so far

    def _seek(self) -> None:
        """Position the sample stream after the samples of the ``iter`` trained iterations."""
        if self._iter == 0:
            return
        hub = self.runner.message_hub
        self.position = hub.get_info(POSITION_KEY)
        if self.position is None:  # a checkpoint of mmengine's loop
            self.position = self._iter * self.dataloader.batch_size * self.sampler.world_size
            print_log(f'the checkpoint holds no {POSITION_KEY}: assuming {self.position} '
                      f'samples ({self._iter} iterations of the current batch size)',
                      logger='current', level=30)
        self.sampler.seek(self.position)
        # The iterator built with the loop has started fetching from position 0: start over.
        self.dataloader_iterator = _InfiniteDataloaderIterator(self.dataloader)
        print_log(f'resumed the sample stream at sample {self.position} (iteration '
                  f'{self._iter}) without replaying the data', logger='current')

    def run(self):
        """Train to ``max_iters`` (mmengine's ``run`` without the replay)."""
        self._seek()
        with peer_failures_as_errors():
            self.runner.call_hook('before_train')
            self.runner.call_hook('before_train_epoch')
            while self._iter < self._max_iters and not self.stop_training:
                self.runner.model.train()
                data_batch = next(self.dataloader_iterator)
                # Counted before the hooks of this iteration run: a checkpoint saved in
                # after_train_iter then resumes after this batch.
                self.position += self.dataloader.batch_size * self.sampler.world_size
                self.runner.message_hub.update_info(POSITION_KEY, self.position)
                self.run_iter(data_batch)
                self._decide_current_val_interval()
                if (self.runner.val_loop is not None and self._iter >= self.val_begin
                        and (self._iter % self.val_interval == 0 or self._iter == self._max_iters)):
                    self.runner.val_loop.run()
            self.runner.call_hook('after_train_epoch')
            self.runner.call_hook('after_train')
        return self.runner.model
