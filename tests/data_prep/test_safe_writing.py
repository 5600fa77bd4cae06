"""An LMDB appears under its final name only when complete; an interrupted run resumes to
the same result; a failed rebuild never touches the existing database."""
import os

import lmdb
import numpy as np
import pytest

from frame_helpers import assert_same_lmdb, records, write_frames
from vsrkit.cli import create_lmdb
from vsrkit.data_prep import convert
from vsrkit.data_prep.lmdb_writer import PartialLMDB


def run(*args):
    return create_lmdb.main([*map(str, args), '--no-progress'])


def _interrupt_after(monkeypatch, n, exc=KeyboardInterrupt):
    real = convert.process_frame
    calls = []

    def flaky(*a, **kw):
        calls.append(1)
        if len(calls) > n:
            raise exc()
        return real(*a, **kw)
    monkeypatch.setattr(convert, 'process_frame', flaky)


def test_interrupted_run_resumes_to_the_same_database(tmp_path, carphone, monkeypatch, capsys):
    video, _ = carphone
    args = ['--layout', 'video', '--input', video, '--end', 12, '--clip-length', 5, '--name', 'x',
            '--workers', 1, '--degradations', 'BI', 'BD']
    assert run(*args, '--out', tmp_path / 'clean') == 0
    # Commit every 3 frames and at clip ends; interrupted at the 9th frame, the run has
    # committed clip 0 (frames 0-4) and 3 frames of clip 1 (5-7): 8 frames.
    monkeypatch.setattr(convert.build_lmdbs, '__defaults__',
                        tuple(3 if d == 32 else d for d in convert.build_lmdbs.__defaults__))
    _interrupt_after(monkeypatch, 8)
    assert run(*args, '--out', tmp_path / 'o') == 130
    assert 're-run the same command to resume' in capsys.readouterr().err
    names = sorted(os.listdir(tmp_path / 'o'))
    assert names == ['x_BDx4.lmdb.partial', 'x_BIx4.lmdb.partial', 'x_GT.lmdb.partial']
    monkeypatch.undo()
    assert run(*args, '--out', tmp_path / 'o') == 0
    out = capsys.readouterr().out
    assert 'resumed an interrupted run' in out and ': 3 clips, 4 frames in' in out  # 12 - 8 committed
    for name in ('x_GT.lmdb', 'x_BIx4.lmdb', 'x_BDx4.lmdb'):
        assert_same_lmdb(tmp_path / 'o' / name, tmp_path / 'clean' / name)
    assert sorted(os.listdir(tmp_path / 'o')) == ['x_BDx4.lmdb', 'x_BIx4.lmdb', 'x_GT.lmdb']
    assert sorted(os.listdir(tmp_path / 'o' / 'x_GT.lmdb')) == ['data.mdb', 'lock.mdb', 'meta_info.txt', 'prep_info.json']
    # complete: a re-run skips it
    assert run(*args, '--out', tmp_path / 'o') == 0
    assert capsys.readouterr().out.startswith('nothing to do')


def test_partial_of_other_settings_or_restart_is_discarded(tmp_path, carphone, monkeypatch, capsys):
    video, _ = carphone
    args = ['--layout', 'video', '--input', video, '--end', 6, '--name', 'x', '--workers', 1,
            '--out', tmp_path / 'o']
    monkeypatch.setattr(convert.build_lmdbs, '__defaults__',
                        tuple(2 if d == 32 else d for d in convert.build_lmdbs.__defaults__))
    _interrupt_after(monkeypatch, 3)
    assert run(*args) == 130
    monkeypatch.undo()
    assert run(*args, '--compress-level', 4) == 0          # other settings: not resumed
    out = capsys.readouterr().out
    assert 'resumed' not in out and ': 1 clips, 6 frames in' in out
    _interrupt_after(monkeypatch, 3)
    assert run(*args, '--name', 'y') == 130
    monkeypatch.undo()
    assert run(*args, '--name', 'y', '--restart') == 0      # same settings, but --restart
    out = capsys.readouterr().out
    assert 'resumed' not in out and ': 1 clips, 6 frames in' in out


def test_existing_database_survives_a_failed_overwrite(tmp_path, carphone, capsys):
    _, frames = carphone
    write_frames(tmp_path / 'vid4' / 'city', frames[:4])
    args = ['--layout', 'vid4', '--input', tmp_path / 'vid4', '--out', tmp_path / 'o', '--name', 'v',
            '--workers', 1]
    assert run(*args) == 0
    before = records(tmp_path / 'o' / 'v_GT.lmdb')
    # other settings without --overwrite: refused, untouched
    assert run(*args, '--compress-level', 9) == 2
    assert '--overwrite' in capsys.readouterr().err
    # a rebuild that fails half-way (corrupt frame 3): the old database is intact
    (tmp_path / 'vid4' / 'city' / '00000003.png').write_bytes(b'corrupt')
    assert run(*args, '--compress-level', 9, '--overwrite') == 2
    assert records(tmp_path / 'o' / 'v_GT.lmdb') == before
    assert 'v_GT.lmdb.partial' in os.listdir(tmp_path / 'o')
    # repaired: the overwrite completes and replaces it
    write_frames(tmp_path / 'vid4' / 'city', frames[3:4], ['00000003.png'])
    assert run(*args, '--compress-level', 9, '--overwrite') == 0
    after = records(tmp_path / 'o' / 'v_GT.lmdb')
    assert sorted(after) == sorted(before) and after != before   # new PNG level, same keys
    assert sorted(os.listdir(tmp_path / 'o')) == ['v_BIx4.lmdb', 'v_GT.lmdb']


def test_map_size_grows_when_the_estimate_is_short(tmp_path):
    job = PartialLMDB(str(tmp_path / 'g.lmdb'), 'fp', map_size=1 << 24)
    blob = np.random.default_rng(0).integers(0, 256, 1 << 20, dtype=np.uint8).tobytes()
    for i in range(40):  # 40 MiB into a 16 MiB map
        job.put(f'c/{i:08d}', blob)
    job.commit([dict(clip='c', done=40, shape=[1, 1, 3], src_shape=[1, 1, 3], complete=True)])
    assert job.env.info()['map_size'] >= 40 << 20
    job.finish(dict(kind='GT'), overwrite=False)
    env = lmdb.open(str(tmp_path / 'g.lmdb'), readonly=True, lock=False)
    with env.begin() as txn:
        assert txn.stat()['entries'] == 40 and bytes(txn.get(b'c/00000039')) == blob
    env.close()


def test_estimated_map_size_is_not_a_fixed_terabyte(carphone):
    from vsrkit.data_prep.sources import FrameSelection, VideoSource
    src = VideoSource('c', carphone[0], selection=FrameSelection(0, 10))
    frames, gt_bytes = convert._frame_budget([src])
    assert (frames, gt_bytes) == (10, 144 * 176 * 3)
    # 10 raw frames with margins: ~66 MiB (sparse on Linux), growing with the data
    assert convert._map_size(frames, gt_bytes, 1) < (64 << 20) + 30 * (gt_bytes + 4096)
    assert convert._map_size(1000, gt_bytes, 1) > 1000 * gt_bytes
    assert convert._map_size(10**5, gt_bytes, 4) < convert._map_size(10**5, gt_bytes, 1) / 4
