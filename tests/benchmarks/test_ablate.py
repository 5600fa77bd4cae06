"""tools/ablate.py: budget scaling, the known-motion evaluation and the table."""
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config

from vsrkit.cli import ablate
from vsrkit.registry import MODELS, ConfigError


def demo_like_cfg():
    return Config(dict(
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=2800, val_interval=800),
        custom_hooks=[dict(type='StageHook', stages=[
            dict(name='motion', begin=0, trainable=['motion']),
            dict(name='fusion', begin=1200, trainable=['fusion']),
            dict(name='joint', begin=2000, trainable=['motion', 'fusion'])])],
        param_scheduler=[dict(type='CosineAnnealingLR', by_epoch=False, begin=1200, end=2800,
                              T_max=1600, eta_min=1e-5)],
        val_dataloader=dict(batch_size=1), val_cfg=dict(type='ValLoop'), val_evaluator=[]))


def test_scale_budget_scales_stages_and_schedule():
    cfg = demo_like_cfg()
    out = ablate.scale_budget(cfg, 0.1, None)
    assert out['max_iters'] == 280 and cfg.train_cfg.max_iters == 280
    assert [s['begin'] for s in cfg.custom_hooks[0]['stages']] == [0, 120, 200]
    assert cfg.param_scheduler[0]['begin'] == 120 and cfg.param_scheduler[0]['end'] == 280
    assert cfg.param_scheduler[0]['T_max'] == 160
    assert cfg.val_dataloader is None and 'val_interval' not in cfg.train_cfg
    cfg = demo_like_cfg()
    assert ablate.scale_budget(cfg, None, 700)['stages'][1]['begin'] == 300  # --iters: same proportions


def test_scale_budget_rejects_a_budget_too_small_for_the_stages():
    with pytest.raises(ConfigError, match='would begin at'):
        ablate.scale_budget(demo_like_cfg(), None, 2)


def test_known_motion_epe_of_zero_flow_is_the_true_flow_magnitude(frame_folder):
    """With ZeroMotion the EPE must equal the mean |flow_gt| exactly, and the estimate is 0."""
    model = MODELS.build(dict(type='SPMCVSR', motion=dict(type='ZeroMotion'),
                              compensation=dict(type='SPMC'),
                              fusion=dict(type='DetailFusionNet', enc_channels=(4, 4, 4, 4),
                                          lstm_channels=4, dec_channels=(8, 4, 4, 4, 4)),
                              scale=2, num_frames=3, in_channels=1))
    args = SimpleNamespace(epe_source=frame_folder, epe_backend='folder', epe_samples=3)
    km = ablate.evaluate_known_motion(model.eval(), None, args)  # 56x56 LR windows fit carphone at x2
    assert km['samples'] == 3 and km['mean_flow_synthetic'] == 0.0
    assert km['epe'] == pytest.approx(km['mean_flow_synthetic_gt'], rel=1e-6)
    assert km['mean_flow_synthetic_gt'] > 0.1
    # No motion: the masked warp L1 and the model's own warp loss are the plain frame difference.
    assert km['warp_loss_own'] == pytest.approx(km['warp_l1_masked01'], rel=1e-5)


def test_table_has_one_row_per_result():
    base = dict(variant='v', params=10, schedule=dict(max_iters=28, stages=[dict(name='a', begin=0)]),
                train_seconds=60.0, metrics=dict(PSNR=30.0, SSIM=0.9), ms_per_frame=12.0,
                mean_flow_test=0.5, train_losses=dict(loss_warp=0.01),
                known_motion=dict(epe=0.3, mean_flow_synthetic=0.7, mean_flow_synthetic_gt=0.8,
                                  warp_loss_own=0.02, warp_l1_masked01=0.02))
    shifted = dict(base, metrics=dict(PSNR=30.0, SSIM=0.9, **{'crop4/PSNR': 29.871}),
                   test_sets=dict(known_shift=dict(PSNR=31.456, EPE=0.0834)))
    table = ablate.make_table([dict(base, sr=True), dict(base, variant='me', sr=False),
                               dict(shifted, variant='s', sr=True)])
    assert '| v | 28 (0) | 30.00 | 0.9000 | - | - | - | 0.300 | 0.500 / 0.700 (0.800) | 10 | 12.0 | 1.0 |' in table
    assert '| s | 28 (0) | 30.00 | 0.9000 | 29.87 | 31.46 | 0.083 | 0.300 | 0.500 / 0.700 (0.800) | 10 |' in table
    assert '| me | 28 | 0.0100 | 0.0200 | 0.0200 | 0.300 | 0.700 (0.800) | 1.0 |' in table


def test_cli_rejects_a_missing_config(capsys):
    assert ablate.main(['nope.py']) == 2
    assert 'nope.py: config file not found' in capsys.readouterr().err
