"""NaN/Inf losses and gradients: the step is skipped (weights and Adam state untouched) and
logged; after N bad steps in a row the run stops with a one-line error and last_good.pth."""
import os

import pytest
import torch
from mmengine.hooks import Hook

import vsrkit  # noqa: F401
from vsrkit.engine.nonfinite import NonFiniteLossError
from vsrkit.utils.checkpoint import load_checkpoint_file

from toy import NoisyToy, make_runner

HOOKS = dict(nonfinite=dict(type='NonFiniteLossHook', max_consecutive=3))


class Snapshots(Hook):
    """Records the parameters after every iteration."""
    priority = 'LOWEST'

    def __init__(self):
        self.params = []

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.params.append({k: v.detach().clone() for k, v in runner.model.state_dict().items()})


def _run(tmp_path, model, iters, hooks=HOOKS):
    torch.manual_seed(0)
    runner = make_runner(tmp_path, model, iters, hooks)
    snap = Snapshots()
    runner.register_hook(snap)
    return runner, snap


def _same(a, b):
    return all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize('kind', ['loss', 'gradient'])
def test_bad_step_is_skipped_logged_and_training_goes_on(tmp_path, kind, caplog):
    bad = {3, 4}
    model = NoisyToy(**{('nan_at' if kind == 'loss' else 'nan_grad_at'): bad})
    runner, snap = _run(tmp_path, model, 6)
    runner.train()
    p = snap.params
    assert len(p) == 6
    assert _same(p[1], p[2]) and _same(p[2], p[3])  # iters 3 and 4: no update at all
    assert not _same(p[3], p[4]) and not _same(p[0], p[1])  # good steps do update
    assert all(torch.isfinite(v).all() for v in p[-1].values())
    log = open(runner.logger.log_file).read() if hasattr(runner.logger, 'log_file') else ''
    log = log or '\n'.join(r.getMessage() for r in caplog.records)
    assert f'iter 3: non-finite {kind}, update skipped (1 in a row, 1 in total)' in log
    assert f'iter 4: non-finite {kind}, update skipped (2 in a row, 2 in total)' in log
    assert runner.optim_wrapper.skipped_steps == 2 and runner.optim_wrapper.consecutive_bad == 0
    # Adam's step count advanced only on the 4 good steps.
    state = runner.optim_wrapper.optimizer.state_dict()['state']
    assert {int(s['step']) for s in state.values()} == {4}


def test_persistent_nans_stop_the_run_with_the_last_good_checkpoint(tmp_path):
    model = NoisyToy(nan_at=set(range(4, 100)))
    runner, snap = _run(tmp_path, model, 20)
    with pytest.raises(NonFiniteLossError) as err:
        runner.train()
    msg = str(err.value)
    assert '\n' not in msg and 'in a row at iter 6' in msg and 'last_good.pth' in msg
    assert len(snap.params) == 5  # stopped inside iteration 6, before the snapshot
    ckpt = load_checkpoint_file(os.path.join(str(tmp_path), 'last_good.pth'))
    good = snap.params[2]  # after iteration 3, the last good one
    assert _same(ckpt['state_dict'], good)
    assert ckpt['meta']['iter'] == 6 and 'optimizer' in ckpt


def test_hook_refuses_a_plain_optim_wrapper(tmp_path):
    runner = make_runner(tmp_path, NoisyToy(), 2, HOOKS, wrapper='OptimWrapper')
    with pytest.raises(ValueError, match="NonFiniteLossHook needs optim_wrapper.type='NonFiniteGuardOptimWrapper'"):
        runner.train()


def test_train_cli_with_default_configs_stops_on_persistent_nans(resume_config, tmp_path, capsys):
    # The base configs enable the guard and the hook; an absurd learning rate blows the weights
    # up after the first step, so every later loss is Inf/NaN.
    import importlib.util
    from conftest import ROOT
    spec = importlib.util.spec_from_file_location('rel_nan_train', os.path.join(ROOT, 'tools', 'train.py'))
    train_tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train_tool)
    work = tmp_path / 'work'
    rc = train_tool.main([resume_config, '--work-dir', str(work), '--cfg-options', 'optim_wrapper.optimizer.lr=1e30',
                          'default_hooks.nonfinite.max_consecutive=2', 'experiment_name=rel_nan_cli'])
    err = capsys.readouterr().err.strip()
    assert rc == 1 and '\n' not in err, err
    assert err == (f'train.py: error: 2 non-finite losses/gradients in a row at iter 3; stopped. '
                   f'Last good state: {work}/last_good.pth')
    ckpt = load_checkpoint_file(str(work / 'last_good.pth'))
    assert ckpt['meta']['iter'] == 3
    assert all(torch.isfinite(v).all() for v in ckpt['state_dict'].values())
    log = open(next(work.rglob('*.log'))).read()
    assert 'iter 2: non-finite loss, update skipped (1 in a row, 1 in total)' in log
