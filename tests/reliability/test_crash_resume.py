"""kill -9 during training and during a checkpoint save: ``--resume`` continues with the same
iteration, stage, optimizer and RNG state (the next losses equal an uninterrupted run's), and
a kill mid-save never leaves a truncated checkpoint under the final name."""
import glob
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

import pytest
import torch

from conftest import ROOT, child_env

TRAIN = [sys.executable, os.path.join(ROOT, 'tools', 'train.py')]


def _losses(run_dir):
    with open(os.path.join(run_dir, 'vis_data', 'scalars.json')) as f:
        rows = [json.loads(line) for line in f]
    return {r['step']: r['loss'] for r in rows if 'loss' in r}


def _runs(work):
    """The timestamped run folders of a work dir, oldest first."""
    return sorted(d for d in glob.glob(os.path.join(work, '2*')) if os.path.isdir(d))


def _wait_for(path, proc, timeout=240):
    t0 = time.time()
    while not os.path.exists(path):
        if proc.poll() is not None:
            raise AssertionError(f'training ended (rc {proc.returncode}) before {path} appeared:\n'
                                 + proc.stdout.read()[-3000:])
        if time.time() - t0 > timeout:
            raise AssertionError(f'{path} did not appear in {timeout}s')
        time.sleep(0.02)


def _load_train_tool():
    spec = importlib.util.spec_from_file_location('rel_train_tool', os.path.join(ROOT, 'tools', 'train.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_kill9_mid_stage_then_resume_matches_uninterrupted_run(resume_config, tmp_path):
    full_dir, killed_dir = str(tmp_path / 'full'), str(tmp_path / 'killed')
    opts = ['--cfg-options', 'experiment_name=run']
    # A long run, killed with SIGKILL as soon as its first checkpoint is recorded ...
    victim = subprocess.Popen([*TRAIN, resume_config, '--work-dir', killed_dir, *opts,
                               'train_cfg.max_iters=1000'], env=child_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    killer_errors, resumed = [], {}

    def kill_then_resume():
        try:
            _wait_for(os.path.join(killed_dir, 'last_checkpoint'), victim)
            victim.send_signal(signal.SIGKILL)
            victim.wait(30)
            with open(os.path.join(killed_dir, 'last_checkpoint')) as f:
                resumed['ckpt'] = f.read().strip()  # what --resume (auto) will pick
            resumed['proc'] = subprocess.run(
                [*TRAIN, resume_config, '--work-dir', killed_dir, '--resume', *opts],
                env=child_env(), capture_output=True, text=True, timeout=300)
        except (AssertionError, subprocess.SubprocessError) as err:
            killer_errors.append(err)

    killer = threading.Thread(target=kill_then_resume)
    killer.start()
    # ... and resumed, while the uninterrupted reference run (to iteration 6) trains here, on
    # one thread like the subprocesses (this saves a process start on the shared CPU).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        assert _load_train_tool().main([resume_config, '--work-dir', full_dir, '--cfg-options',
                                        'experiment_name=rel_reference']) == 0
    finally:
        torch.set_num_threads(threads)
        killer.join(600)
        victim.kill()
    assert not killer_errors, killer_errors
    assert victim.wait(30) == -signal.SIGKILL
    done = int(re.search(r'iter_(\d+)\.pth$', resumed['ckpt']).group(1))
    assert done in (2, 4), resumed['ckpt']  # the kill came in the middle of the run
    res = resumed['proc']
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    resumed_run = _runs(killed_dir)[-1]
    log = open(glob.glob(os.path.join(resumed_run, '*.log'))[0]).read()
    stage = 'motion' if done < 3 else 'fusion'
    assert f'resumed epoch: 0, iter: {done}' in log
    assert re.search(rf"StageHook: resumed at iter {done}: stage \d/3 '{stage}'", log)

    want, got = _losses(_runs(full_dir)[-1]), _losses(resumed_run)
    steps = list(range(done + 1, 7))
    assert sorted(got) == steps  # the resumed run logs from the resume point on
    assert [got[s] for s in steps] == pytest.approx([want[s] for s in steps], rel=1e-5, abs=1e-7)
    # and the final weights agree too
    a = torch.load(os.path.join(full_dir, 'iter_6.pth'), weights_only=False)['state_dict']
    b = torch.load(os.path.join(killed_dir, 'iter_6.pth'), weights_only=False)['state_dict']
    assert all(torch.allclose(a[k], b[k], rtol=1e-5, atol=1e-6) for k in a)


SAVER = r'''
import sys, torch
from mmengine.runner.checkpoint import save_checkpoint
from vsrkit.utils.checkpoint import patch_mmengine
patch_mmengine()  # atomic saves
path, n = sys.argv[1], 0
while True:
    n += 1
    # 16 MB: each save takes long enough for the parent to catch it mid-write
    save_checkpoint({'meta': {'n': n}, 'state_dict': {'w': torch.full((4, 1 << 20), float(n))}}, path)
    print('saved', n, flush=True)
'''


def test_kill9_during_checkpoint_save_leaves_the_previous_checkpoint_whole(tmp_path):
    from vsrkit.utils.checkpoint import load_checkpoint_file
    path = str(tmp_path / 'latest.pth')
    proc = subprocess.Popen([sys.executable, '-c', SAVER, path], env=child_env(),
                            stdout=subprocess.PIPE, text=True)
    try:
        while proc.stdout.readline().strip() != 'saved 1':  # one complete save exists
            assert proc.poll() is None
        tmp = os.path.join(str(tmp_path), f'.latest.pth.tmp-{proc.pid}')
        _wait_for(tmp, proc, timeout=60)  # the next save is being written
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(30) == -signal.SIGKILL
    finally:
        proc.kill()
    ckpt = load_checkpoint_file(path)
    n = ckpt['meta']['n']
    assert n >= 1 and torch.equal(ckpt['state_dict']['w'], torch.full((4, 1 << 20), float(n)))
    # the interrupted write is only ever the hidden temporary file
    assert os.listdir(str(tmp_path)) == ['latest.pth'] or \
        sorted(os.listdir(str(tmp_path))) == sorted(['latest.pth', os.path.basename(tmp)])
