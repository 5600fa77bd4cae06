"""VideoTrainDataset / VideoTestDataset: the round trip video -> LMDB -> dataset returns the
source pixels exactly, windows reflect at clip ends, DataLoader workers read safely, and
bad data fails with a DataError naming the file, clip or key."""
import logging
import multiprocessing
import os

import cv2
import lmdb
import numpy as np
import pytest
import torch
from mmengine.dataset import InfiniteSampler, default_collate
from mmengine.logging import MMLogger
from torch.utils.data import DataLoader

from frame_helpers import rgb01, write_lmdb
from vsrkit.data_prep.convert import PrepSettings, build_lmdbs
from vsrkit.data_prep.sources import FrameSelection, VideoSource
from vsrkit.datasets import VideoTestDataset, VideoTrainDataset, window_indices
from vsrkit.datasets.degradations import bicubic_downsample
from vsrkit.errors import ConfigError, DataError
from vsrkit.io import frames as frame_stores
from vsrkit.registry import DATASETS


@pytest.fixture(scope='module')
def lmdbs(tmp_path_factory, carphone):
    """GT + BIx4 LMDBs of carphone frames 0..11 (two clips of 6) made by data_prep."""
    video, frames = carphone
    out = str(tmp_path_factory.mktemp('lmdb'))
    src = VideoSource('car', video, selection=FrameSelection(0, 12), clip_length=6)
    build_lmdbs([src], out, 'rt', PrepSettings(degradations=('BI',), scales=(4,)), progress=False)
    return os.path.join(out, 'rt_GT.lmdb'), os.path.join(out, 'rt_BIx4.lmdb'), frames


def test_round_trip_video_to_lmdb_to_test_dataset_is_exact(lmdbs):
    gt_path, lq_path, frames = lmdbs
    ds = DATASETS.build(dict(type='VideoTestDataset', gt_path=gt_path, lq_path=lq_path, num_frames=3))
    assert len(ds) == 12 and list(ds.clips) == ['car_000', 'car_001']
    lr = [bicubic_downsample(f, 4) for f in frames]
    for idx in range(12):
        item = ds[idx]
        clip, frame = ('car_000', idx) if idx < 6 else ('car_001', idx - 6)
        s = item['data_samples']
        assert (s['clip'], s['frame'], s['key']) == (clip, frame, f'{clip}/{frame:08d}')
        base = 0 if idx < 6 else 6
        np.testing.assert_array_equal(s['gt'].permute(1, 2, 0).numpy(), rgb01(frames[idx]))
        want = [base + i for i in window_indices(frame, 6, 3)]
        assert item['inputs'].shape == (3, 3, 36, 44)
        for t, src in enumerate(want):
            np.testing.assert_array_equal(item['inputs'][t].permute(1, 2, 0).numpy(), rgb01(lr[src]))
    batch = default_collate([ds[0], ds[7]])
    assert batch['inputs'].shape == (2, 3, 3, 36, 44) and batch['data_samples']['gt'].shape == (2, 3, 144, 176)
    assert batch['data_samples']['frame'].tolist() == [0, 1] and batch['data_samples']['clip'] == ['car_000', 'car_001']


def test_test_dataset_options_and_gt_less_inference(lmdbs):
    gt_path, lq_path, frames = lmdbs
    ds = VideoTestDataset(gt_path, lq_path, num_frames=5, clips=['car_001'], max_frames=2,
                          pipeline=[dict(type='RGBToY'), dict(type='PackVSRInputs')])
    assert len(ds) == 2 and ds[1]['inputs'].shape == (5, 1, 36, 44)
    no_gt = VideoTestDataset(None, lq_path, num_frames=3)[0]['data_samples']
    assert 'gt' not in no_gt and no_gt['key'] == 'car_000/00000000'
    with pytest.raises(DataError, match=r"rt_GT.lmdb: no clip 'car_009'"):
        VideoTestDataset(gt_path, lq_path, clips=['car_009'])


def test_gt_only_frame_folder_equals_the_lmdbs(lmdbs, tmp_path):
    gt_path, lq_path, frames = lmdbs
    for i, f in enumerate(frames[:6]):
        os.makedirs(tmp_path / 'car_000', exist_ok=True)
        cv2.imwrite(str(tmp_path / 'car_000' / f'{i:08d}.png'), f)
    folder = VideoTestDataset(str(tmp_path), None, num_frames=3, backend='folder')
    ref = VideoTestDataset(gt_path, lq_path, num_frames=3, clips=['car_000'])
    assert len(folder) == 6
    for i in (0, 5):
        a, b = folder[i], ref[i]
        assert torch.equal(a['inputs'], b['inputs'])
        assert torch.equal(a['data_samples']['gt'], b['data_samples']['gt'])


def test_training_dataset_indexing_and_crop_pairs(lmdbs):
    gt_path, lq_path, frames = lmdbs
    ds = VideoTrainDataset(gt_path, lq_path, num_frames=3, interval=2, scale=4, samples_per_epoch=100,
                          pipeline=[dict(type='PairedRandomCrop', gt_patch_size=32, scale=4),
                                    dict(type='PackVSRInputs')])
    assert len(ds) == 100 and ds.metainfo['clips'] == ['car_000', 'car_001']
    item = ds[13]  # 13 mod 12 = frame 1 of car_000
    assert item['data_samples']['key'] == 'car_000/00000001'
    assert item['inputs'].shape == (3, 3, 8, 8) and item['data_samples']['gt'].shape == (3, 32, 32)
    # interval 2 around frame 1 of 6: frames 1, 1, 3 (reflected)
    lq = item['inputs'].permute(0, 2, 3, 1).numpy()
    full = [rgb01(bicubic_downsample(frames[i], 4)) for i in (1, 1, 3)]
    hits = [(y, x) for y in range(36 - 7) for x in range(44 - 7)
            if np.array_equal(full[0][y:y + 8, x:x + 8], lq[0])]
    assert hits, 'the LR patch is not a crop of the LR frame'
    y, x = hits[0]
    np.testing.assert_array_equal(lq[2], full[2][y:y + 8, x:x + 8])
    np.testing.assert_array_equal(item['data_samples']['gt'].permute(1, 2, 0).numpy(),
                                  rgb01(frames[1])[4 * y:4 * y + 32, 4 * x:4 * x + 32])
    with pytest.raises(IndexError):
        ds[100]


def test_dataloader_workers_read_safely_after_the_parent_opened_the_lmdb(lmdbs):
    gt_path, lq_path, _ = lmdbs
    ds = VideoTestDataset(gt_path, lq_path, num_frames=3)
    reference = [ds[i] for i in range(len(ds))]  # opens the LMDBs in this process first
    twin = VideoTestDataset(gt_path, lq_path, num_frames=3)  # same LMDBs, same process
    assert torch.equal(twin[3]['inputs'], reference[3]['inputs'])
    loader = DataLoader(ds, batch_size=3, num_workers=2, collate_fn=default_collate,
                        multiprocessing_context='fork')
    got = [b for b in loader]
    inputs = torch.cat([b['inputs'] for b in got])
    assert torch.equal(inputs, torch.stack([r['inputs'] for r in reference]))
    assert sum((b['data_samples']['key'] for b in got), []) == [r['data_samples']['key'] for r in reference]
    # the training set under mmengine's InfiniteSampler, two workers, random crops
    train = VideoTrainDataset(gt_path, lq_path, num_frames=3, pipeline=[
        dict(type='PairedRandomCrop', gt_patch_size=16, scale=4), dict(type='RandomFlipTranspose'),
        dict(type='PackVSRInputs')])
    it = iter(DataLoader(train, batch_size=4, num_workers=2, collate_fn=default_collate,
                         sampler=InfiniteSampler(train, shuffle=True, seed=0)))
    batches = [next(it) for _ in range(5)]  # 20 samples > 12 frames: no epoch end
    assert all(b['inputs'].shape == (4, 3, 3, 4, 4) for b in batches)
    del it


def _child_read(store, out):
    inherited = dict(frame_stores._ENVS)
    img = store.read('car_000', 0)
    env = frame_stores._shared_env(store.path)
    try:
        inherited[store.path].stat()
        closed = False
    except lmdb.Error:
        closed = True
    out.put((frame_stores._ENVS_PID == os.getpid(), env is not inherited[store.path], closed,
             int(img.sum())))


def test_a_forked_child_opens_its_own_lmdb_handle(lmdbs):
    # LMDB forbids using a handle across fork: the child must close the inherited one and
    # open its own, though reusing it would seem to work.
    store = frame_stores.LMDBFrameStore(lmdbs[0])
    expected = int(store.read('car_000', 0).sum())
    ctx = multiprocessing.get_context('fork')
    out = ctx.Queue()
    p = ctx.Process(target=_child_read, args=(store, out))
    p.start()
    own_pid, new_env, old_closed, checksum = out.get(timeout=60)
    p.join()
    assert own_pid and new_env and old_closed and checksum == expected
    frame_stores._shared_env(store.path).stat()  # the parent's handle is untouched


def test_config_and_size_errors(lmdbs, tmp_path, carphone):
    gt_path, lq_path, frames = lmdbs
    with pytest.raises(ConfigError, match='num_frames must be odd'):
        VideoTrainDataset(gt_path, lq_path, num_frames=4)
    with pytest.raises(ConfigError, match="backend must be 'lmdb' or 'folder'"):
        VideoTestDataset(gt_path, lq_path, backend='hdf5')
    with pytest.raises(ConfigError, match="VideoTrainDataset has no argument 'n_frames' \\(did you mean 'num_frames'\\?\\)"):
        DATASETS.build(dict(type='VideoTrainDataset', gt_path=gt_path, lq_path=lq_path, n_frames=3))
    # LR made at x2 but read as x4: the GT/LR size mismatch names the clip and both LMDBs
    x2 = write_lmdb(tmp_path / 'x2.lmdb', {'car_000': [cv2.resize(f, (88, 72)) for f in frames[:6]],
                                          'car_001': [cv2.resize(f, (88, 72)) for f in frames[6:]]})
    with pytest.raises(DataError, match=r"clip 'car_000': GT/LR size mismatch: GT \(144, 176, 3\) .*rt_GT.lmdb, "
                                        r"LR \(72, 88, 3\) .*x2.lmdb, expected GT = LR x 4"):
        VideoTrainDataset(gt_path, x2, scale=4)
    short = write_lmdb(tmp_path / 'short.lmdb', {'car_000': [bicubic_downsample(f, 4) for f in frames[:5]],
                                                 'car_001': [bicubic_downsample(f, 4) for f in frames[6:]]})
    with pytest.raises(DataError, match=r"clip 'car_000': 6 GT frames in .* but 5 LR frames"):
        VideoTestDataset(gt_path, short)


def test_missing_key_and_corrupt_record_and_skip_corrupt(lmdbs, tmp_path, carphone):
    gt_path, _, frames = lmdbs
    lr = {'car_000': [bicubic_downsample(f, 4) for f in frames[:6]],
          'car_001': [bicubic_downsample(f, 4) for f in frames[6:]]}
    bad = write_lmdb(tmp_path / 'bad.lmdb', lr, raw_values={'car_000/00000002': None,
                                                            'car_001/00000004': b'RAW1' + b'\0' * 20})
    ds = VideoTestDataset(gt_path, bad, num_frames=3)
    with pytest.raises(DataError, match=r"bad.lmdb: key 'car_000/00000002' missing from the LMDB"):
        ds[1]  # window 0, 1, 2
    with pytest.raises(DataError, match=r"bad.lmdb: key 'car_001/00000004': corrupt"):
        ds[6 + 5]  # window 4, 5, 4
    tolerant = VideoTestDataset(gt_path, bad, num_frames=3, skip_corrupt=True)
    np.random.seed(0)  # BaseDataset's refetch draws the replacement item with numpy
    logged = []
    handler = logging.Handler()
    handler.emit = lambda record: logged.append(record.getMessage())
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        item = tolerant[1]
    finally:
        logger.removeHandler(handler)
    assert logged[0].startswith('skip_corrupt: skipping item 1: ')
    assert "key 'car_000/00000002' missing" in logged[0]
    assert item['data_samples']['key'] != 'car_000/00000001'
    assert torch.isfinite(item['inputs']).all()
    assert len(logged) >= 1 and all(m.startswith('skip_corrupt: skipping item ') for m in logged)
    # data broken at large: skip_corrupt gives up after 20 corrupt items in a row
    broken = write_lmdb(tmp_path / 'broken.lmdb', lr, raw_values={
        f'{c}/{i:08d}': b'RAW1' for c in lr for i in range(6)})
    with pytest.raises(DataError, match=r"skip_corrupt: 20 corrupt items in a row, last: item \d+: "
                                        r".*broken.lmdb: key '.*': corrupt"):
        VideoTestDataset(gt_path, broken, num_frames=3, skip_corrupt=True)[0]
