"""KnownShiftDataset (exact sub-pixel translations of real frames), MixDataset, interval lists."""
import numpy as np
import pytest
import torch

from frame_helpers import write_lmdb
from vsrkit.datasets import VideoTrainDataset
from vsrkit.datasets.degradations import bicubic_downsample
from vsrkit.datasets.known_shift import KnownShiftDataset
from vsrkit.datasets.mix import MixDataset
from vsrkit.datasets.synthetic_motion import SyntheticMotionDataset
from vsrkit.ops import backward_warp
from vsrkit.registry import ConfigError


@pytest.fixture(scope='module')
def gt_lmdb(carphone, tmp_path_factory):
    _, frames = carphone
    root = tmp_path_factory.mktemp('ks')
    gt = write_lmdb(root / 'GT.lmdb', {'car': [f[:128, :160] for f in frames[:4]]})
    lq = write_lmdb(root / 'LQ.lmdb', {'car': [bicubic_downsample(f[:128, :160], 4) for f in frames[:4]]})
    return gt, lq, frames


def test_known_shift_items_are_exact_downscales_of_translated_frames(gt_lmdb):
    gt_path, _, frames = gt_lmdb
    ds = KnownShiftDataset(gt_path, num_frames=3, scale=4, seed=5)
    assert len(ds) == 4
    for idx in range(len(ds)):
        item = ds[idx]
        x, s = item['inputs'], item['data_samples']
        assert x.shape == (3, 3, 30, 38) and s['gt'].shape == (3, 120, 152)
        d = ds.shifts(idx)
        assert (d[1] == 0).all() and d.min() >= 0 and d.max() <= 3
        src = frames[idx][:128, :160]
        for i, (dx, dy) in enumerate(d):
            crop = src[4 + dy:4 + dy + 120, 4 + dx:4 + dx + 152]
            want = bicubic_downsample(crop, 4)[:, :, ::-1].astype(np.float32) / 255
            torch.testing.assert_close(x[i], torch.from_numpy(want.copy()).permute(2, 0, 1), rtol=0, atol=0)
            assert torch.all(s['flow_gt'][i, 0] == dx / 4) and torch.all(s['flow_gt'][i, 1] == dy / 4)
        gt = src[4:124, 4:156, ::-1].astype(np.float32) / 255
        torch.testing.assert_close(s['gt'], torch.from_numpy(gt.copy()).permute(2, 0, 1), rtol=0, atol=0)
    assert not all((ds.shifts(i) == ds.shifts(0)).all() for i in range(1, 4))
    assert (KnownShiftDataset(gt_path, seed=5).shifts(2) == ds.shifts(2)).all()


def test_known_shift_flow_explains_the_frames(gt_lmdb):
    # backward-warping the LR reference by flow_gt reproduces frame i (up to the LR sampling
    # loss) far better than zero flow or the negated flow: the sign convention is right
    ds = KnownShiftDataset(gt_lmdb[0], num_frames=5, scale=4, seed=1)
    errs = {'gt': [], 'zero': [], 'neg': []}
    for idx in range(len(ds)):
        item = ds[idx]
        x, f = item['inputs'], item['data_samples']['flow_gt']
        for i in (0, 1, 3, 4):
            if not f[i].abs().sum():
                continue
            ref = x[2:3]
            core = (..., slice(3, -3), slice(3, -3))
            for name, flow in (('gt', f[i:i + 1]), ('zero', 0 * f[i:i + 1]), ('neg', -f[i:i + 1])):
                errs[name].append((backward_warp(ref, flow) - x[i:i + 1])[core].abs().mean().item())
    gt, zero, neg = (np.mean(errs[k]) for k in ('gt', 'zero', 'neg'))
    assert gt < 0.6 * zero and gt < 0.5 * neg, (gt, zero, neg)


def test_known_shift_errors(gt_lmdb, tmp_path):
    with pytest.raises(ConfigError, match='num_frames'):
        KnownShiftDataset(gt_lmdb[0], num_frames=2)
    with pytest.raises(ConfigError, match='no clip'):
        KnownShiftDataset(gt_lmdb[0], clips=['nope'])
    odd = write_lmdb(tmp_path / 'odd.lmdb', {'c': [np.zeros((30, 41, 3), np.uint8)]})
    with pytest.raises(ConfigError, match='divisible by 4'):
        KnownShiftDataset(odd)


def test_interval_list_draws_the_frame_step_per_item(gt_lmdb):
    gt, lq, _ = gt_lmdb
    ds = VideoTrainDataset(gt, lq, num_frames=3, interval=[1, 2], pipeline=[])
    np.random.seed(0)
    steps = {abs(ds[1]['lq_indices'][2] - ds[1]['lq_indices'][1]) for _ in range(30)}
    assert steps == {1, 2}
    assert ds.metainfo['interval'] == [1, 2]
    with pytest.raises(ConfigError, match='interval'):
        VideoTrainDataset(gt, lq, interval=[1, 0])


def test_mix_dataset_proportions_and_flow_known(gt_lmdb):
    gt, lq, _ = gt_lmdb
    pipe = [dict(type='PairedRandomCrop', gt_patch_size=64, scale=4), dict(type='PackVSRInputs')]
    real = VideoTrainDataset(gt, lq, num_frames=3, pipeline=pipe)
    synth = SyntheticMotionDataset(gt, num_frames=3, scale=4, patch_size=16, num_samples=8,
                                   max_flow=1.0, pipeline=[dict(type='PackVSRInputs')])
    mix = MixDataset([real, synth], weights=[3, 1], length=400, seed=2)
    sources = [mix.source(i)[0] for i in range(400)]
    assert 0.65 < sources.count(0) / 400 < 0.85
    assert mix.source(7) == MixDataset([real, synth], [3, 1], 400, seed=2).source(7)
    from mmengine.dataset import default_collate
    items = [mix[i] for i in range(12)]
    batch = default_collate(items)
    known = batch['data_samples']['flow_known']
    assert known.dtype == torch.bool and known.tolist() == [mix.source(i)[0] == 1 for i in range(12)]
    flow_gt = batch['data_samples']['flow_gt']
    assert flow_gt.shape == (12, 3, 2, 16, 16) and torch.all(flow_gt[~known] == 0)
    with pytest.raises(ConfigError, match='one weight per dataset'):
        MixDataset([real], [1, 2])


def test_mix_dataset_scene_cuts(gt_lmdb):
    gt, lq, _ = gt_lmdb
    synth = SyntheticMotionDataset(gt, num_frames=5, scale=4, patch_size=16, num_samples=8,
                                   max_flow=1.0, pipeline=[dict(type='PackVSRInputs')])
    plain = MixDataset([synth], weights=[1], length=200, seed=4)
    cuts = MixDataset([synth], weights=[1], length=200, seed=4, scene_cut_prob=0.3)
    n_cut = 0
    for i in range(60):
        cut = cuts.scene_cut(i)
        a, b = plain[i], cuts[i]
        if cut is None:
            assert torch.equal(a['inputs'], b['inputs']) and b['data_samples']['flow_known']
            continue
        n_cut += 1
        (k2, j2), side = cut
        other = synth[j2]['inputs']
        replaced = slice(0, 2) if side == 'before' else slice(3, 5)
        kept = slice(2, 5) if side == 'before' else slice(0, 3)
        assert torch.equal(b['inputs'][replaced], other[replaced])
        assert torch.equal(b['inputs'][kept], a['inputs'][kept])  # the reference stays
        assert not b['data_samples']['flow_known']
        assert torch.equal(b['data_samples']['gt'], a['data_samples']['gt'])
    assert 8 < n_cut < 30
    with pytest.raises(ConfigError, match='scene_cut_prob'):
        MixDataset([synth], [1], scene_cut_prob=1.5)
