"""tools/train.py and tools/test.py end to end on tiny real data: staged training with
validation, the test metrics file, resume, a 2-process DDP run on the CPU, clear errors.

train/test/resume run in-process through the tools' ``main`` (a subprocess costs ~10 s of
imports each); the DDP run is a real ``torch.distributed.run`` subprocess."""
import glob
import json
import math
import os
import shutil
import socket
import subprocess
import sys

import pytest
import torch

from vsrkit.cli import test as test_tool
from vsrkit.cli import train as train_tool

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def log_text(work_dir):
    return '\n'.join(open(p).read() for p in sorted(glob.glob(os.path.join(work_dir, '*', '*.log'))))


def scalars(work_dir):
    (path,) = glob.glob(os.path.join(work_dir, '*', 'vis_data', 'scalars.json'))
    with open(path) as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope='module')
def trained(tiny, tmp_path_factory):
    cfg, _ = tiny
    work = str(tmp_path_factory.mktemp('train'))
    assert train_tool.main([cfg, '--work-dir', work, '--cfg-options', 'experiment_name=cli_train']) == 0
    return cfg, work


def test_train_runs_three_stages_validates_and_keeps_best(trained):
    cfg, work = trained
    log = log_text(work)
    assert "StageHook: start at iter 0: stage 1/3 'motion'" in log
    assert "StageHook: stage change at iter 1: stage 2/3 'fusion'" in log
    assert "StageHook: stage change at iter 2: stage 3/3 'joint'" in log
    assert 'Iter(train) [4/4]  stage: joint' in log
    for name in ('iter_2.pth', 'iter_4.pth'):
        assert os.path.isfile(os.path.join(work, name))
    val = [r for r in scalars(work) if 'PSNR' in r]
    assert [r['step'] for r in val] == [2, 4]
    assert all(10 < r['PSNR'] < 60 and 0 < r['SSIM'] <= 1 for r in val)
    best = max(val, key=lambda r: r['PSNR'])['step']
    assert glob.glob(os.path.join(work, 'best_PSNR_iter_*.pth')) == [os.path.join(work, f'best_PSNR_iter_{best}.pth')]


def test_test_tool_writes_the_metrics_of_the_checkpoint(trained, tmp_path, capsys):
    cfg, work = trained
    out_json = str(tmp_path / 'res' / 'results.json')
    assert test_tool.main([cfg, os.path.join(work, 'iter_4.pth'), '--out', out_json,
                           '--work-dir', str(tmp_path / 'test'),
                           '--cfg-options', 'experiment_name=cli_test']) == 0
    with open(out_json) as f:
        metrics = json.load(f)['metrics']
    # no border crop (video-SR tables) and crop 4 (image-SR convention), each per clip and mean
    assert set(metrics) == {f'{crop}{m}{clip}' for crop in ('', 'crop4/') for m in ('PSNR', 'SSIM')
                            for clip in ('', '/carphone_pristine')}
    assert math.isfinite(metrics['PSNR'])
    # the same checkpoint on the same held-out clip: test.py agrees with the validation at iter 4
    val4 = [r for r in scalars(work) if r.get('step') == 4 and 'PSNR' in r][0]
    assert metrics['PSNR'] == pytest.approx(val4['PSNR'], abs=1e-3)
    assert metrics['SSIM'] == pytest.approx(val4['SSIM'], abs=1e-4)
    assert 'PSNR' in capsys.readouterr().out


def test_ablate_evaluates_a_checkpoint_without_training(trained, tmp_path, carphone_path, bgr_frames):
    """``ablate.py --checkpoint``: the checkpoint's own figures (those the validation saw at
    that iteration), no training, and the metrics an ablation row carries."""
    import cv2
    import numpy as np
    from vsrkit.cli import ablate
    cfg, work = trained
    # the synthetic-motion EPE set needs frames of >= 256 px at x4: carphone tiled 2x2
    clip = tmp_path / 'frames' / 'carphone'
    clip.mkdir(parents=True)
    for i, frame in enumerate(bgr_frames(carphone_path, 0, 2)):
        cv2.imwrite(str(clip / f'{i:08d}.png'), np.tile(frame, (2, 2, 1)))
    val = {r['step']: r for r in scalars(work) if 'PSNR' in r}
    assert abs(val[2]['PSNR'] - val[4]['PSNR']) > 1e-3  # else the check below could not tell them apart
    out = tmp_path / 'ablate'
    assert ablate.main([cfg, '--checkpoint', os.path.join(work, 'iter_4.pth'), '--work-dir', str(out),
                        '--epe-source', str(clip.parent), '--epe-backend', 'folder',
                        '--epe-samples', '2']) == 0
    (path,) = glob.glob(str(out / '*' / 'ablation.json'))
    with open(path) as f:
        r = json.load(f)
    assert r['trained'] is False and r['train_seconds'] == 0 and r['checkpoint'].endswith('iter_4.pth')
    assert r['metrics']['PSNR'] == pytest.approx(val[4]['PSNR'], abs=1e-3)
    assert r['real_warp']['pairs'] > 0 and r['known_motion']['samples'] == 2
    assert '| - (checkpoint) |' in (out / 'table.md').read_text()
    assert ablate.main([cfg, cfg, '--checkpoint', os.path.join(work, 'iter_4.pth')]) == 2


def test_resume_continues_in_the_stage_of_the_checkpoint(trained, tmp_path):
    cfg, work = trained
    resumed = str(tmp_path / 'resumed')
    os.makedirs(resumed)
    shutil.copy(os.path.join(work, 'iter_2.pth'), resumed)
    with open(os.path.join(resumed, 'last_checkpoint'), 'w') as f:  # what --resume (auto) reads
        f.write(os.path.join(resumed, 'iter_2.pth'))
    assert train_tool.main([cfg, '--work-dir', resumed, '--resume', '--cfg-options',
                            'train_cfg.val_interval=100', 'experiment_name=cli_resume']) == 0
    stage_lines = [ln for ln in log_text(resumed).splitlines() if 'StageHook:' in ln]
    assert len(stage_lines) == 1 and "resumed at iter 2: stage 3/3 'joint'" in stage_lines[0]
    assert torch.load(os.path.join(resumed, 'iter_4.pth'), weights_only=False)['meta']['iter'] == 4


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_two_process_ddp_on_cpu(tiny, tmp_path):
    cfg, _ = tiny
    work = str(tmp_path / 'ddp')
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=ROOT)
    proc = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
         f'--master_port={free_port()}', 'tools/train.py', cfg, '--launcher', 'pytorch',
         '--work-dir', work, '--cfg-options', 'train_cfg.val_interval=100'],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    log = log_text(work)
    assert 'Distributed training: True' in log and 'GPU number: 2' in log  # mmengine's name for the world size
    assert "stage change at iter 2: stage 3/3 'joint'" in log
    ckpt = torch.load(os.path.join(work, 'iter_4.pth'), weights_only=False)
    assert ckpt['meta']['iter'] == 4
    assert not any(k.startswith('module.') for k in ckpt['state_dict'])


def test_cli_errors_are_one_line(tiny, tmp_path, capsys):
    assert train_tool.main(['configs/nope.py']) == 2
    assert capsys.readouterr().err.strip() == 'train.py: error: configs/nope.py: config file not found'
    assert test_tool.main([tiny[0], str(tmp_path / 'missing.pth')]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith('test.py: error:') and 'missing.pth' in err and '\n' not in err
    bad = tmp_path / 'bad.py'
    bad.write_text('model = dict(\n')
    assert train_tool.main([str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith('train.py: error:') and 'bad.py' in err and '\n' not in err


def test_bad_cfg_options_are_one_line(tiny, capsys):
    # the bicubic config has no train loader: overriding inside it cannot merge
    assert test_tool.main(['configs/spmc/bicubic_x4_demo.py', 'none', '--cfg-options',
                           'train_dataloader.dataset.gt_path=x']) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith('test.py: error: configs/spmc/bicubic_x4_demo.py: --cfg-options '
                          'train_dataloader.dataset.gt_path=x cannot be applied') and '\n' not in err


def test_test_set_option_selects_the_known_shift_set(tiny, tmp_path, capsys):
    _, data = tiny
    out = tmp_path / 'shift.json'
    assert test_tool.main(['configs/spmc/bicubic_x4_demo.py', 'none', '--test-set', 'known_shift',
                           '--out', str(out), '--work-dir', str(tmp_path / 'w'), '--cfg-options',
                           f'test_sets.known_shift.dataloader.dataset.gt_path={data}/test_GT.lmdb']) == 0
    shifted = json.loads(out.read_text())
    assert shifted['test_set'] == 'known_shift'
    # the same frames through the real test set: a different input, so a different figure
    real = tmp_path / 'real.json'
    assert test_tool.main(['configs/spmc/bicubic_x4_demo.py', 'none', '--out', str(real),
                           '--work-dir', str(tmp_path / 'w'), '--cfg-options',
                           f'test_dataloader.dataset.gt_path={data}/test_GT.lmdb',
                           f'test_dataloader.dataset.lq_path={data}/test_BIx4.lmdb']) == 0
    a, b = shifted['metrics']['PSNR'], json.loads(real.read_text())['metrics']['PSNR']
    assert 20 < a < 45 and 20 < b < 45 and abs(a - b) > 1e-3
    capsys.readouterr()
    assert test_tool.main(['configs/spmc/bicubic_x4_demo.py', 'none', '--test-set', 'nope']) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("test.py: error: configs/spmc/bicubic_x4_demo.py: no test set 'nope' in "
                   'test_sets (it has: known_shift)')
