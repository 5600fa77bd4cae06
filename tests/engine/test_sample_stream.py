"""The sample stream behind resume-without-replay: the sampler's order is mmengine's
InfiniteSampler's (one or two ranks) from any starting position, and a sample's random draws
depend on its position only, not on the global RNG state or on what was loaded before."""
import itertools
import random

import numpy as np
import pytest
import torch
from mmengine.dataset import InfiniteSampler

from vsrkit.engine.sample_stream import SampleStream, SampleStreamSampler, seeded_global_rngs


class Noisy:
    """Item i: (i, a draw from each global RNG), like a random crop / flip would draw."""

    def __len__(self):
        return 10

    def __getitem__(self, i):
        return i, random.random(), float(np.random.rand()), float(torch.rand(()))


def _sampler(cls, world_size, rank, shuffle=True, seed=3):
    s = cls.__new__(cls)  # without a process group: set rank and world size by hand
    if cls is InfiniteSampler:
        s.rank, s.world_size, s.dataset, s.shuffle, s.seed, s.size = rank, world_size, Noisy(), shuffle, seed, 10
        s.indices = s._indices_of_rank()
    else:
        SampleStreamSampler.__init__(s, Noisy(), shuffle, seed)
        s.rank, s.world_size = rank, world_size
    return s


@pytest.mark.parametrize('shuffle', [True, False])
@pytest.mark.parametrize('world_size', [1, 2])
def test_order_is_mmengines_infinite_sampler(world_size, shuffle):
    for rank in range(world_size):
        ours = list(itertools.islice(iter(_sampler(SampleStreamSampler, world_size, rank, shuffle)), 35))
        theirs = list(itertools.islice(iter(_sampler(InfiniteSampler, world_size, rank, shuffle)), 35))
        assert [i for _, i in ours] == theirs
        assert [p for p, _ in ours] == list(range(rank, 35 * world_size, world_size))


@pytest.mark.parametrize('world_size', [1, 2])
def test_seek_continues_the_same_stream(world_size):
    for rank in range(world_size):
        whole = list(itertools.islice(iter(_sampler(SampleStreamSampler, world_size, rank)), 60))
        for start in (0, 1, 9, 10, 23, 40):  # inside an epoch, at its end, several epochs on
            s = _sampler(SampleStreamSampler, world_size, rank)
            s.seek(start)
            tail = list(itertools.islice(iter(s), 5))
            assert tail == [pair for pair in whole if pair[0] >= start][:5]


def test_a_sample_depends_on_its_position_only():
    stream = SampleStream(Noisy(), seed=0)
    first = stream[(7, 3)]
    for k in range(5):  # other global states, other samples loaded in between
        random.seed(k), np.random.seed(k), torch.manual_seed(k)
        stream[(k, k)]
        assert stream[(7, 3)] == first
    assert stream[(8, 3)][1:] != first[1:]  # another position, other draws
    assert SampleStream(Noisy(), seed=1)[(7, 3)][1:] != first[1:]  # another seed too
    assert first[0] == 3 and len(stream) == 10


def test_the_callers_random_streams_are_left_alone():
    random.seed(1), np.random.seed(1), torch.manual_seed(1)
    expected = random.random(), float(np.random.rand()), float(torch.rand(()))
    random.seed(1), np.random.seed(1), torch.manual_seed(1)
    with seeded_global_rngs(0, 5):
        random.random(), np.random.rand(3), torch.rand(3)
    assert (random.random(), float(np.random.rand()), float(torch.rand(()))) == expected
