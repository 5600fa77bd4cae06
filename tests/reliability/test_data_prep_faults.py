"""data_prep under faults: SIGKILL during LMDB creation, a disk that fills up (file-size
limit), a map_size far too small. Never a database under the final name unless complete;
the same command re-run completes it, with exactly the frames a clean run writes."""
import contextlib
import os
import resource
import signal
import subprocess
import sys
import time

import cv2
import lmdb
import numpy as np
import pytest

from conftest import ROOT, child_env
from vsrkit.data_prep.demo import demo_video_path
from vsrkit.io.frames import frame_key, read_meta_info

END = 72  # frames: commits after 32 and 64 (commit_every=32), then the end


def _cli(out, end=END):
    return [sys.executable, os.path.join(ROOT, 'data_prep', 'create_lmdb.py'), '--layout', 'video',
            '--input', demo_video_path('carphone_pristine.mp4'), '--out', str(out), '--name', 'train',
            '--end', str(end), '--resize-gt', '0.25', '--workers', '1', '--no-progress']


def _expected(end=END):
    """GT/BIx4 records a clean run writes, computed frame by frame here."""
    from vsrkit.data_prep.convert import Output, PrepSettings, ResizeSpec, process_frame
    cap = cv2.VideoCapture(demo_video_path('carphone_pristine.mp4'))
    settings, outs = PrepSettings(), [Output('GT'), Output('BI', 4)]
    recs = {'GT': [], 'BIx4': []}
    for _ in range(end):
        ok, frame = cap.read()
        assert ok
        res = process_frame(frame, ResizeSpec(factor=0.25), settings, outs)
        for name in recs:
            recs[name].append(res['records'][name])
    return recs


def _check_complete(out, expected):
    for name, recs in expected.items():
        path = os.path.join(str(out), f'train_{name}.lmdb')
        assert read_meta_info(path)['carphone_pristine'].num_frames == len(recs)
        env = lmdb.open(path, readonly=True, lock=False)
        with env.begin() as txn:
            assert txn.stat()['entries'] == len(recs)
            for i, rec in enumerate(recs):
                assert txn.get(frame_key('carphone_pristine', i).encode()) == rec, (name, i)
        env.close()
    assert not [p for p in os.listdir(str(out)) if p.endswith('.partial')]


def _rerun(out, capsys):
    from vsrkit.cli import create_lmdb
    capsys.readouterr()
    return create_lmdb.main(_cli(out)[2:])


@pytest.fixture(scope='module')
def expected():
    return _expected()


def test_kill9_during_creation_then_rerun_completes(tmp_path, expected, capsys):
    out = tmp_path / 'out'
    proc = subprocess.Popen(_cli(out), env=child_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    progress = out / 'train_GT.lmdb.partial' / 'progress.jsonl'
    t0 = time.time()
    while not progress.exists():
        assert proc.poll() is None, proc.stdout.read()
        assert time.time() - t0 < 120
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(30) == -signal.SIGKILL
    assert not (out / 'train_GT.lmdb').exists() and not (out / 'train_BIx4.lmdb').exists()
    assert (out / 'train_BIx4.lmdb.partial').is_dir()

    assert _rerun(out, capsys) == 0  # the same command, here in-process (saves a start-up)
    assert 'resumed an interrupted run' in capsys.readouterr().out
    _check_complete(out, expected)


@contextlib.contextmanager
def _file_size_limit(limit):
    """Writes past ``limit`` bytes fail with EFBIG, as on a full disk (this process only,
    soft limit: restored afterwards)."""
    old_limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a kill
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, old_limit[1]))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, old_limit)
        signal.signal(signal.SIGXFSZ, old_handler)


def test_disk_full_fails_cleanly_and_rerun_completes(tmp_path, expected, capsys):
    out = tmp_path / 'out'
    # GT frames (44x36) are ~5 kB: the GT LMDB's file outgrows 150 kB before the end.
    with _file_size_limit(150_000):
        rc = _rerun(out, capsys)
    err = capsys.readouterr().err
    assert rc == 2, err[-2000:]
    last = err.strip().splitlines()[-1]
    assert last.startswith('create_lmdb.py: error: ') and 'train_GT.lmdb.partial: write failed' in last, last
    assert 're-run the same command to resume' in last  # LMDB reports EFBIG as an I/O error
    assert not (out / 'train_GT.lmdb').exists()

    assert _rerun(out, capsys) == 0
    _check_complete(out, expected)


def test_map_size_far_too_small_grows_and_completes(tmp_path):
    from vsrkit.data_prep.lmdb_writer import PartialLMDB
    path = str(tmp_path / 'big.lmdb')
    job = PartialLMDB(path, 'fp', map_size=1)  # 16 MiB, the writer's floor
    frames = [np.full(1 << 20, i, np.uint8).tobytes() for i in range(24)]  # 24 MiB
    for i, f in enumerate(frames):
        job.put(frame_key('c', i), f)
    job.commit([dict(clip='c', done=24, shape=[1024, 1024, 1], src_shape=[1024, 1024, 1], complete=True)])
    assert job.env.info()['map_size'] >= 32 << 20
    job.finish(dict(kind='GT'), overwrite=False)
    env = lmdb.open(path, readonly=True, lock=False)
    with env.begin() as txn:
        assert all(txn.get(frame_key('c', i).encode()) == f for i, f in enumerate(frames))
    env.close()
    assert read_meta_info(path)['c'].num_frames == 24
