"""StageHook on mmengine's Runner with a toy restorer: freezing by parameter values, loss
weights at the boundaries, resume in the middle of stage 2, config errors."""
import copy
import logging

import pytest
import torch
from engine_toy import ToyData, ToyVSR
from mmengine.hooks import Hook
from mmengine.runner import Runner

from vsrkit.engine import StageHook
from vsrkit.registry import HOOKS, ConfigError

STAGES = [
    dict(name='motion', begin=0, trainable=['motion'], loss_weights=dict(warp=1.0, tv=0.01, sr=0.0)),
    dict(name='fusion', begin=3, trainable=['fusion'], loss_weights=dict(warp=0.0, tv=0.0, sr=1.0)),
    dict(name='joint', begin=7, trainable=['motion', 'fusion'], loss_weights=dict(sr=1.0, warp=0.01)),
]


class Recorder(Hook):
    """Snapshots parameters and loss weights around every iteration (after StageHook ran)."""
    priority = 'LOWEST'

    def __init__(self):
        self.before, self.after, self.weights, self.losses = [], [], [], []

    @staticmethod
    def snap(runner):
        return {k: v.detach().clone() for k, v in runner.model.state_dict().items()}

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.before.append(self.snap(runner))
        self.weights.append(dict(runner.model.loss_weights))

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.after.append(self.snap(runner))
        self.losses.append(sorted(k for k in outputs if k.startswith('loss_')))


_n = [0]


def make_runner(tmp_path, max_iters=10, stages=STAGES, model=None, resume_from=None, hooks=()):
    _n[0] += 1
    return Runner(
        model=model or ToyVSR(),
        work_dir=str(tmp_path),
        experiment_name=f'stage_test_{_n[0]}',
        train_dataloader=dict(dataset=ToyData(), batch_size=4, num_workers=0,
                              sampler=dict(type='InfiniteSampler', shuffle=False),
                              collate_fn=dict(type='default_collate')),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=max_iters),
        # weight decay on: a frozen parameter must not even decay
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=0.05, weight_decay=0.5)),
        custom_hooks=[dict(type='StageHook', stages=copy.deepcopy(stages)), *hooks],
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1, by_epoch=False),
                           logger=dict(type='LoggerHook', interval=1)),
        log_processor=dict(type='StageLogProcessor', by_epoch=False),
        resume=resume_from is not None, load_from=resume_from,
        default_scope='vsrkit', randomness=dict(seed=0),
        log_level=logging.INFO,
    )


def changed(a, b, prefix):
    return [k for k in a if k.startswith(prefix) and not torch.equal(a[k], b[k])]


def test_freezes_exactly_the_named_modules_and_switches_weights(tmp_path, capsys):
    rec = Recorder()
    make_runner(tmp_path, hooks=[rec]).train()
    stage_of = ['motion'] * 3 + ['fusion'] * 4 + ['joint'] * 3
    for it, stage in enumerate(stage_of):
        b, a = rec.before[it], rec.after[it]
        moved_m, moved_f = changed(b, a, 'motion.'), changed(b, a, 'fusion.')
        assert bool(moved_m) == (stage in ('motion', 'joint')), (it, stage, moved_m)
        assert bool(moved_f) == (stage in ('fusion', 'joint')), (it, stage, moved_f)
        if stage != 'fusion':  # weight and bias of every trained module move
            assert sorted(moved_m) == ['motion.bias', 'motion.weight']
    # the fusion stage follows a motion stage with Adam momentum: motion stays bit-identical
    assert not changed(rec.after[2], rec.after[6], 'motion.')
    assert not changed(rec.before[0], rec.after[2], 'fusion.')
    w1 = dict(warp=1.0, tv=0.01, sr=0.0)
    w2 = dict(warp=0.0, tv=0.0, sr=1.0)
    w3 = dict(warp=0.01, tv=0.0, sr=1.0)  # tv carried over from stage 2
    assert rec.weights == [w1] * 3 + [w2] * 4 + [w3] * 3
    assert rec.losses == ([['loss_tv', 'loss_warp']] * 3 + [['loss_sr']] * 4
                          + [['loss_sr', 'loss_warp']] * 3)
    out = capsys.readouterr().out
    assert "stage change at iter 3: stage 2/3 'fusion'" in out
    assert "stage change at iter 7: stage 3/3 'joint'" in out
    assert 'stage: fusion' in out and 'stage: joint' in out  # in the per-iteration lines


def test_resume_in_stage_two_continues_stage_two_with_same_optimizer_state(tmp_path, capsys):
    ref = make_runner(tmp_path / 'full')
    ref.train()
    final = {k: v.clone() for k, v in ref.model.state_dict().items()}
    ckpt_path = str(tmp_path / 'full' / 'iter_5.pth')
    ckpt = torch.load(ckpt_path, weights_only=False)

    class CheckAtStart(Hook):
        priority = 'LOWEST'
        seen = {}

        def before_train(self, runner):
            self.seen['iter'] = runner.iter
            self.seen['grad'] = {n: p.requires_grad for n, p in runner.model.named_parameters()}
            self.seen['opt'] = copy.deepcopy(runner.optim_wrapper.state_dict())
            self.seen['weights'] = dict(runner.model.loss_weights)

    check = CheckAtStart()
    resumed = make_runner(tmp_path / 'resumed', resume_from=ckpt_path, hooks=[check])
    resumed.train()
    seen = check.seen
    assert seen['iter'] == 5
    assert seen['grad'] == {'motion.weight': False, 'motion.bias': False,
                            'fusion.weight': True, 'fusion.bias': True}
    assert seen['weights'] == dict(warp=0.0, tv=0.0, sr=1.0)
    saved = ckpt['optimizer']['state']
    assert saved and seen['opt']['state'].keys() == saved.keys()
    for pid in saved:
        for k in ('step', 'exp_avg', 'exp_avg_sq'):
            assert torch.equal(seen['opt']['state'][pid][k], saved[pid][k])
    assert "resumed at iter 5: stage 2/3 'fusion'" in capsys.readouterr().out
    # and it finishes exactly where the uninterrupted run did
    for k, v in resumed.model.state_dict().items():
        assert torch.allclose(v, final[k], atol=1e-6, rtol=0), k


@pytest.mark.parametrize('stages, match', [
    ([dict(name='a', begin=0, trainable=['motion']), dict(name='b', begin=0, trainable=['fusion'])],
     'overlap'),
    ([dict(name='a', begin=0, trainable=['motion']), dict(name='b', begin=5, trainable=['fusion']),
      dict(name='c', begin=4, trainable=['fusion'])], 'overlap'),
    ([dict(name='a', begin=2, trainable=['motion'])], 'must begin at 0'),
    ([dict(name='a', begin=0, trainable='motion')], 'list of module names'),
    ([dict(name='a', begin=0, trainable=['motion'], lr=1)], "unknown key"),
    ([dict(name='a', begin=0)], "lacks 'trainable'"),
    ([], 'non-empty'),
])
def test_bad_stage_lists_are_config_errors(stages, match):
    with pytest.raises(ConfigError, match=match):
        HOOKS.build(dict(type='StageHook', stages=stages))


def test_unknown_module_or_loss_name_fails_before_training(tmp_path):
    bad = [dict(name='a', begin=0, trainable=['motoin'])]
    with pytest.raises(ConfigError, match=r"unknown module\(s\) \['motoin'\].*compensation.*fusion.*motion"):
        make_runner(tmp_path / 'm', stages=bad).train()
    bad = [dict(name='a', begin=0, trainable=['motion']),
           dict(name='b', begin=50, trainable=['fusion'], loss_weights=dict(sr=1.0, wrap=0.1))]
    with pytest.raises(KeyError, match='wrap'):
        make_runner(tmp_path / 'w', stages=bad).train()


def test_stage_index():
    hook = StageHook(STAGES)
    assert [hook.stage_index(i) for i in (0, 2, 3, 6, 7, 10**6)] == [0, 0, 1, 1, 2, 2]
