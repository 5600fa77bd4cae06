"""Hostile files: LMDB records that are not images, truncated PNGs, a video with a corrupt
frame. Each gives a one-line error naming the file or key; with ``skip_corrupt=True`` the
dataset logs the bad sample and uses another. (Hostile checkpoints: test_fuzz_checkpoints.py
and test_checkpoint_entry_points.py.)"""
import importlib.util
import os
import shutil

import cv2
import lmdb
import numpy as np
import pytest

from conftest import ROOT
from vsrkit.cli import last_line
from vsrkit.data_prep.demo import demo_video_path
from vsrkit.datasets import VideoTestDataset, VideoTrainDataset
from vsrkit.datasets import video_datasets as ds_base
from vsrkit.errors import DataError, VideoIOError
from vsrkit.io.frames import ClipInfo, encode_frame, frame_key, write_meta_info
from vsrkit.io.streams import FrameSource

spec = importlib.util.spec_from_file_location('rel_hostile_train', os.path.join(ROOT, 'tools', 'train.py'))
train_tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(train_tool)

N, S = 10, 4  # frames per clip, scale


def _write_lmdb(path, frames, clip='clip'):
    env = lmdb.open(path, map_size=1 << 24)
    with env.begin(write=True) as txn:
        for i, rec in enumerate(frames):
            txn.put(frame_key(clip, i).encode(), rec)
    env.close()
    write_meta_info(path, [ClipInfo(clip, len(frames), (12, 16, 3) if 'LR' in path else (48, 64, 3))])


@pytest.fixture
def pair(tmp_path):
    """GT/LR LMDBs of 10 frames; LR frame 5 is not an image, GT frame 7 a truncated PNG."""
    rng = np.random.default_rng(0)
    gt = [rng.integers(0, 256, (48, 64, 3)).astype(np.uint8) for _ in range(N)]
    lr = [cv2.resize(g, (16, 12), interpolation=cv2.INTER_AREA) for g in gt]
    gt_rec, lr_rec = [encode_frame(g) for g in gt], [encode_frame(f) for f in lr]
    lr_rec[5] = b'<html>503 Service Unavailable</html>'
    gt_rec[7] = gt_rec[7][:len(gt_rec[7]) // 2]
    paths = str(tmp_path / 'GT.lmdb'), str(tmp_path / 'LR.lmdb')
    _write_lmdb(paths[0], gt_rec)
    _write_lmdb(paths[1], lr_rec)
    return paths


def test_record_that_is_not_an_image_names_the_key(pair):
    ds = VideoTrainDataset(*pair, num_frames=3, scale=S, pipeline=[dict(type='PackVSRInputs')])
    ds[1]  # frames 0-2: fine
    with pytest.raises(DataError) as err:
        ds[4]  # window 3, 4, 5
    assert str(err.value) == (f"{pair[1]}: key 'clip/00000005': corrupt record "
                              '(neither PNG nor raw, 36 bytes)')


def test_truncated_png_record_names_the_key(pair):
    ds = VideoTrainDataset(*pair, num_frames=1, scale=S, pipeline=[dict(type='PackVSRInputs')])
    with pytest.raises(DataError, match=r"GT\.lmdb: key 'clip/00000007': corrupt PNG record \(\d+ bytes\)$"):
        ds[7]


def test_skip_corrupt_logs_and_skips(pair, monkeypatch):
    logged = []
    monkeypatch.setattr(ds_base, 'print_log', lambda msg, **kw: logged.append(msg))
    ds = VideoTrainDataset(*pair, num_frames=3, scale=S, pipeline=[dict(type='PackVSRInputs')],
                          skip_corrupt=True)
    items = [ds[i] for i in range(N)]
    # every item is a valid one, none with a bad frame in its window (4-6: LR 5; 7: GT 7)
    assert all(it['inputs'].shape == (3, 3, 12, 16) for it in items)
    assert all(it['data_samples']['frame'] not in (4, 5, 6, 7) for it in items)
    skipped = {m.split(': ')[1] for m in logged}
    assert skipped >= {f'skipping item {i}' for i in (4, 5, 6, 7)}
    assert all(m.startswith('skip_corrupt: skipping item ') for m in logged)
    assert any("key 'clip/00000005'" in m for m in logged) and any("key 'clip/00000007'" in m for m in logged)


def test_truncated_png_file_in_a_frame_folder_names_the_file(tmp_path):
    folder = tmp_path / 'frames' / 'clip'
    folder.mkdir(parents=True)
    img = np.random.default_rng(1).integers(0, 256, (12, 16, 3)).astype(np.uint8)
    for i in range(3):
        cv2.imwrite(str(folder / f'{i:03d}.png'), img)
    data = (folder / '001.png').read_bytes()
    (folder / '001.png').write_bytes(data[:len(data) // 2])
    ds = VideoTestDataset(None, str(tmp_path / 'frames'), num_frames=1, scale=1, backend='folder')
    ds[0]
    with pytest.raises(DataError, match=r'clip/001\.png: unreadable or corrupt image$'):
        ds[1]


def _corrupt_video(path, at=0.3, seed=0):
    data = bytearray(open(demo_video_path('carphone_pristine.mp4'), 'rb').read())
    i = int(len(data) * at)
    data[i:i + 2000] = np.random.default_rng(seed).integers(0, 256, 2000).astype(np.uint8).tobytes()
    with open(path, 'wb') as f:
        f.write(data)


def test_video_with_a_corrupt_frame_fails_data_prep_and_inference_naming_it(tmp_path, capsys):
    from vsrkit.cli import create_lmdb
    video = str(tmp_path / 'bad.mp4')
    _corrupt_video(video)
    out = tmp_path / 'lmdb'
    rc = create_lmdb.main(['--layout', 'video', '--input', video, '--out', str(out), '--name', 'train',
                           '--workers', '1', '--no-progress', '--resize-gt', '0.25'])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert rc == 2
    assert err == (f'create_lmdb.py: error: {video}: frame 31 of 120 cannot be decoded (corrupt video: '
                   'Invalid data found when processing input); use the frames before it with --end 31')
    assert not (out / 'train_GT.lmdb').exists()  # nothing under the final name
    with pytest.raises(VideoIOError, match=r'bad\.mp4: frame 31 of 120 cannot be decoded \(corrupt video'):
        list(FrameSource(video))
    # the frames before the corrupt one are usable, as the message says
    assert create_lmdb.main(['--layout', 'video', '--input', video, '--out', str(out), '--name', 'train',
                             '--workers', '1', '--no-progress', '--resize-gt', '0.25', '--end', '31']) == 0


def _corrupt_copy(src, dst, frames, clip='carphone_pristine'):
    shutil.copytree(src, dst)
    env = lmdb.open(dst, map_size=1 << 26)
    with env.begin(write=True) as txn:
        for i in frames:
            txn.put(frame_key(clip, i).encode(), b'\x89PNG\r\n\x1a\n garbage')
    env.close()


def test_train_cli_names_the_corrupt_key_or_skips_it(resume_config, tiny_data, tmp_path, capsys):
    bad = str(tmp_path / 'train_BIx4.lmdb')
    _corrupt_copy(os.path.join(tiny_data, 'train_BIx4.lmdb'), bad, range(8))
    args = [resume_config, '--cfg-options', f'train_dataloader.dataset.lq_path={bad}', 'train_cfg.max_iters=2']
    assert train_tool.main([*args, 'experiment_name=rel_corrupt', '--work-dir', str(tmp_path / 'w1')]) == 2
    err = capsys.readouterr().err.strip()
    assert '\n' not in err and err.startswith(f"train.py: error: {bad}: key 'carphone_pristine/0000000")
    assert err.endswith('corrupt PNG record (16 bytes)')

    bad2 = str(tmp_path / 'half' / 'train_BIx4.lmdb')
    _corrupt_copy(os.path.join(tiny_data, 'train_BIx4.lmdb'), bad2, range(2, 6))  # centres 1-6 bad
    work = tmp_path / 'w2'
    assert train_tool.main([*args[:2], f'train_dataloader.dataset.lq_path={bad2}', 'train_cfg.max_iters=2',
                            'train_dataloader.dataset.skip_corrupt=True', 'experiment_name=rel_skip',
                            '--work-dir', str(work)]) == 0
    log = open(next(p for p in work.rglob('*.log'))).read()
    assert 'skip_corrupt: skipping item' in log and f"{bad2}: key 'carphone_pristine/0000000" in log
    assert os.path.isfile(work / 'iter_2.pth')


def test_error_from_a_dataloader_worker_is_reported_as_its_own_line():
    # What torch does with an exception in a worker: the same type, re-raised in the main
    # process with the worker's traceback in the message (a real worker takes seconds to
    # shut down, so this builds the wrapper directly).
    from torch._utils import ExceptionWrapper
    msg = "/data/train_BIx4.lmdb: key 'clip/00000003': corrupt PNG record (16 bytes)"
    try:
        raise DataError(msg)
    except DataError:
        wrapped = ExceptionWrapper(where='in DataLoader worker process 0')
    with pytest.raises(DataError) as err:
        wrapped.reraise()
    assert '\n' in str(err.value)
    assert last_line(err.value) == msg
