"""Transforms: the paired crop keeps LR and GT aligned, flips/transposes are identical on
every frame (and consistent for flows), RGB->Y is BT.601, packing gives the documented item."""
import numpy as np
import pytest
import torch

from vsrkit.errors import DataError
from vsrkit.datasets.transforms import PackVSRInputs, PairedRandomCrop, RandomFlipTranspose, RGBToY
from vsrkit.ops import backward_warp, rgb_to_y
from vsrkit.registry import TRANSFORMS, ConfigError


def _sample(t=5, h=9, w=12, s=4, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.random((h, w, 3)).astype(np.float32)
    lq = [base + np.float32(k) for k in range(t)]           # frame k = frame 0 + k everywhere
    gt = np.repeat(np.repeat(lq[t // 2], s, 0), s, 1)        # nearest x s of the centre frame
    return dict(lq=lq, gt=gt, key='clip/00000007', clip='clip', frame=7, scale=s)


def _geom(img, h, v, t):
    if h:
        img = img[:, ::-1]
    if v:
        img = img[::-1]
    if t:
        img = img.transpose(1, 0, 2)
    return img


def test_crop_and_flips_are_identical_on_every_frame_and_keep_gt_aligned():
    np.random.seed(0)
    crop = TRANSFORMS.build(dict(type='PairedRandomCrop', gt_patch_size=16, scale=4))
    flip = TRANSFORMS.build(dict(type='RandomFlipTranspose'))
    seen, origins = set(), set()
    for i in range(64):
        src = _sample(seed=i)
        r = flip(crop(_sample(seed=i)))
        y, x = r['crop_lq_yx']
        seen.add(r['flip'])
        origins.add((y, x))
        assert r['gt'].shape == (16, 16, 3) and all(f.shape == (4, 4, 3) for f in r['lq'])
        for k, f in enumerate(r['lq']):
            np.testing.assert_allclose(f - r['lq'][0], k, atol=1e-5)   # same pixels moved alike
            np.testing.assert_array_equal(f, _geom(src['lq'][k][y:y + 4, x:x + 4], *r['flip']))
        # GT patch = nearest x4 of the (augmented) centre LR patch: crops and flips agree
        np.testing.assert_array_equal(r['gt'], np.repeat(np.repeat(r['lq'][2], 4, 0), 4, 1))
    assert len(seen) == 8                   # every flip/transpose combination occurs
    assert len(origins) > 20                # and the crop position varies


def test_flow_is_flipped_consistently_with_the_frames():
    rng = np.random.default_rng(1)
    img = rng.random((10, 10, 1)).astype(np.float32)
    yy, xx = np.mgrid[0:10, 0:10].astype(np.float32)
    flow = np.stack([0.7 + 0.1 * yy, -0.4 + 0.05 * xx], -1).astype(np.float32)  # x, y
    def warp(im, fl):
        return backward_warp(torch.from_numpy(np.ascontiguousarray(im)).permute(2, 0, 1)[None],
                             torch.from_numpy(np.ascontiguousarray(fl)).permute(2, 0, 1)[None])[0].permute(1, 2, 0).numpy()
    warped = warp(img, flow)
    np.random.seed(3)
    flip = RandomFlipTranspose()
    seen = set()
    for _ in range(40):
        r = flip(dict(lq=[img, warped], flow_gt=[flow, flow]))
        seen.add(r['flip'])
        # warping the augmented frame by the augmented flow = augmenting the warped frame
        np.testing.assert_allclose(warp(r['lq'][0], r['flow_gt'][0]), r['lq'][1], atol=1e-5)
    assert len(seen) == 8


def test_rgb_to_y_and_packing():
    r = _sample(t=3, h=5, w=6, s=2)
    r['lq'] = [np.clip(f - k, 0, 1) for k, f in enumerate(r['lq'])]
    r['gt'] = np.clip(r['gt'] - 1, 0, 1)
    y = RGBToY()(dict(r, lq=list(r['lq'])))
    for a, b in zip(y['lq'], r['lq']):
        assert a.shape == (5, 6, 1) and a.dtype == np.float32
        np.testing.assert_allclose(a, rgb_to_y(b), atol=1e-6)
        assert a.min() >= 16 / 255 - 1e-6 and a.max() <= 235 / 255 + 1e-6
    r['flow_gt'] = [np.full((5, 6, 2), k, np.float32) for k in range(3)]
    item = PackVSRInputs()(y)
    assert item['inputs'].shape == (3, 1, 5, 6) and item['inputs'].dtype == torch.float32
    assert item['data_samples']['gt'].shape == (1, 10, 12)
    np.testing.assert_array_equal(item['inputs'][1, 0].numpy(), y['lq'][1][..., 0])
    assert item['data_samples']['key'] == 'clip/00000007' and item['data_samples']['frame'] == 7
    packed = PackVSRInputs()(dict(r))
    assert packed['data_samples']['flow_gt'].shape == (3, 2, 5, 6)
    assert packed['inputs'].is_contiguous()


def test_crop_errors_name_the_sample():
    with pytest.raises(ConfigError, match='multiple of scale'):
        PairedRandomCrop(30, 4)
    r = _sample(s=4)
    r['gt'] = r['gt'][:-4]
    with pytest.raises(DataError, match=r'clip/00000007: GT/LR size mismatch: GT 32x48, LR 9x12, scale 4'):
        PairedRandomCrop(16, 4)(r)
    with pytest.raises(DataError, match=r'clip/00000007: LR frame 9x12 is smaller than the patch 16x16'):
        PairedRandomCrop(64, 4)(_sample(s=4))
