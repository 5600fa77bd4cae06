"""Tiny real data for the CLI tests: 8 + 6 frames of carphone_pristine.mp4 at half size
(88x72 GT, 22x18 LR at x4), written with data_prep/create_lmdb.py, and a tiny SPMC config
that inherits the real base configs."""
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _make_lmdbs(out: str) -> None:
    from vsrkit.cli import create_lmdb
    from vsrkit.data_prep.demo import demo_video_path
    video = demo_video_path('carphone_pristine.mp4')
    common = ['--layout', 'video', '--input', video, '--out', out, '--resize-gt', '0.5',
              '--workers', '1', '--no-progress']
    assert create_lmdb.main([*common, '--name', 'train', '--end', '8']) == 0
    assert create_lmdb.main([*common, '--name', 'test', '--start', '8', '--end', '14']) == 0


TINY_CONFIG = """
_base_ = ['{root}/configs/_base_/models/spmc.py',
          '{root}/configs/_base_/datasets/lmdb_bix4.py',
          '{root}/configs/_base_/schedules/spmc_staged.py',
          '{root}/configs/_base_/default_runtime.py']
model = dict(motion=dict(coarse_channels=(4, 4, 4, 4), fine_channels=(4, 4, 4, 4)),
             fusion=dict(enc_channels=(4, 8, 8, 8), lstm_channels=8, dec_channels=(8, 8, 8, 4, 4)))
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(gt_path='{data}/train_GT.lmdb', lq_path='{data}/train_BIx4.lmdb',
                 pipeline=[dict(type='PairedRandomCrop', gt_patch_size=32, scale=4),
                           dict(type='RandomFlipTranspose'), dict(type='RGBToY'),
                           dict(type='PackVSRInputs')]))
val_dataloader = dict(num_workers=0, dataset=dict(gt_path='{data}/test_GT.lmdb',
                                                  lq_path='{data}/test_BIx4.lmdb'))
test_dataloader = val_dataloader
stages = [dict(name='motion', begin=0, trainable=['motion'], loss_weights=dict(warp=1.0, tv=0.01, sr=0.0)),
          dict(name='fusion', begin=1, trainable=['fusion'], loss_weights=dict(warp=0.0, tv=0.0, sr=1.0)),
          dict(name='joint', begin=2, trainable=['motion', 'fusion'],
               loss_weights=dict(warp=0.01, tv=0.0001, sr=1.0))]
custom_hooks = [dict(type='StageHook', stages=stages)]
train_cfg = dict(max_iters=4, val_interval=2)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=2))
"""


@pytest.fixture(scope='session')
def tiny(tmp_path_factory):
    """(config path, data dir) of the tiny SPMC set-up."""
    base = tmp_path_factory.mktemp('tiny')
    data = str(base / 'data')
    _make_lmdbs(data)
    cfg = base / 'tiny_spmc.py'
    cfg.write_text(TINY_CONFIG.format(root=ROOT, data=data))
    return str(cfg), data
