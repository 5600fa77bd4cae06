"""RNGStateHook: global RNG states saved in checkpoints (weights-only loadable) and restored
after mmengine's dataloader replay, so a resumed run draws what the uninterrupted one drew."""
import random

import numpy as np
import pytest
import torch

import vsrkit  # noqa: F401
from vsrkit.engine.resume import get_rng_state, set_rng_state
from vsrkit.utils.checkpoint import load_checkpoint_file

from toy import NoisyToy, losses, make_runner


def test_rng_state_round_trip():
    random.seed(1), np.random.seed(2), torch.manual_seed(3)
    state = get_rng_state()
    a = (random.random(), np.random.rand(3).tolist(), torch.rand(3).tolist(), np.random.randn())
    random.random(), np.random.rand(5), torch.rand(5)
    set_rng_state(state)
    assert (random.random(), np.random.rand(3).tolist(), torch.rand(3).tolist(), np.random.randn()) == a


def model():
    torch.manual_seed(0)  # same initial weights in every run
    return NoisyToy()


def _train(runner):
    runner.train()
    # Stop the DataLoader worker now (an infinite sampler's iterator never ends; left to the
    # garbage collector, its shutdown stalls a later test for seconds).
    it = getattr(runner.train_loop.dataloader_iterator, '_iterator', None)
    if hasattr(it, '_shutdown_workers'):
        it._shutdown_workers()
    return runner


def _uninterrupted_and_resumed(tmp_path, hooks, workers=0):
    full = _train(make_runner(tmp_path / 'full', model(), 8, hooks, num_workers=workers))
    _train(make_runner(tmp_path / 'part', model(), 4, hooks, num_workers=workers))
    resumed = _train(make_runner(tmp_path / 'part', model(), 8, hooks, num_workers=workers,
                                 resume_from=str(tmp_path / 'part' / 'iter_4.pth')))
    return losses(full), losses(resumed)


@pytest.mark.parametrize('workers', [0, 1], ids=['main_process', 'one_worker'])
def test_resumed_losses_match_an_uninterrupted_run(tmp_path, workers):
    # The data draw numpy noise (a random crop's stand-in) in the main process or in a
    # worker; the model draws dropout masks from the torch RNG.
    full, resumed = _uninterrupted_and_resumed(tmp_path, dict(rng_state=dict(type='RNGStateHook')),
                                               workers)
    assert len(full) == 8 and len(resumed) == 8  # the message hub history is resumed too
    assert resumed[4:] == pytest.approx(full[4:], rel=1e-6, abs=1e-9)
    ckpt = load_checkpoint_file(str(tmp_path / 'part' / 'iter_4.pth'))  # weights-only loader
    assert set(ckpt['meta']['rng_state']) >= {'python', 'numpy', 'torch'}


def test_without_the_hook_dropout_draws_differ_after_resume(tmp_path):
    # The control: the toy's dropout makes the RNG state matter, so the test above can fail.
    full, resumed = _uninterrupted_and_resumed(tmp_path, {})
    assert resumed[4:] != pytest.approx(full[4:], rel=1e-6, abs=1e-9)
