"""SyntheticMotionDataset: shapes, determinism, the flow really moves the frames, errors."""
import math

import numpy as np
import pytest
import torch

from vsrkit.datasets.synthetic_motion import SyntheticMotionDataset, smooth_flow
from vsrkit.ops import backward_warp
from vsrkit.registry import ConfigError


def make(folder, **kw):
    args = dict(gt_path=folder, backend='folder', num_frames=3, scale=2, patch_size=24,
                num_samples=4, max_flow=2.0, seed=3,
                pipeline=[dict(type='RGBToY'), dict(type='PackVSRInputs')])
    args.update(kw)
    return SyntheticMotionDataset(**args)


def test_item_format_and_determinism(frame_folder):
    ds = make(frame_folder)
    item = ds[1]
    x, samples = item['inputs'], item['data_samples']
    assert x.shape == (3, 1, 24, 24) and samples['gt'].shape == (1, 48, 48)
    assert samples['flow_gt'].shape == (3, 2, 24, 24)
    assert torch.all(samples['flow_gt'][1] == 0)  # the reference does not move
    assert torch.linalg.vector_norm(samples['flow_gt'], dim=1).max() <= 2.0 + 1e-6
    again = make(frame_folder)[1]  # a new dataset object: same seed, same item
    torch.testing.assert_close(again['inputs'], x, rtol=0, atol=0)
    torch.testing.assert_close(again['data_samples']['flow_gt'], samples['flow_gt'], rtol=0, atol=0)
    cached = make(frame_folder, cache=True)
    torch.testing.assert_close(cached[1]['inputs'], x, rtol=0, atol=0)
    torch.testing.assert_close(cached[1]['inputs'], x, rtol=0, atol=0)  # served from the cache
    assert not torch.equal(ds[2]['inputs'], x)


def test_known_flow_explains_the_motion(frame_folder):
    """Warping the LR reference by flow_gt reproduces frame i far better than zero or negated flow."""
    ds = make(frame_folder, scale=4, patch_size=20, num_samples=6, max_flow=1.5)
    res_true, res_zero, res_neg = [], [], []
    for i in range(len(ds)):
        item = ds[i]
        x, flow = item['inputs'], item['data_samples']['flow_gt']
        for t in (0, 2):
            inner = (..., slice(2, -2), slice(2, -2))
            err = lambda f: (x[t:t + 1] - backward_warp(x[1:2], f))[inner].abs().mean().item()  # noqa: E731
            res_true.append(err(flow[t:t + 1]))
            res_zero.append(err(torch.zeros_like(flow[t:t + 1])))
            res_neg.append(err(-flow[t:t + 1]))
    assert np.mean(res_true) < 0.6 * np.mean(res_zero)
    assert np.mean(res_true) < 0.5 * np.mean(res_neg)


def test_constant_integer_translation_is_exact(frame_folder, monkeypatch):
    """A flow of exactly one LR pixel in x: LR frame i is the LR reference shifted by one column."""
    import vsrkit.datasets.synthetic_motion as sm
    monkeypatch.setattr(sm, 'smooth_flow', lambda rng, u, v, m: np.stack(
        (np.ones_like(u), np.zeros_like(u)), -1))
    ds = make(frame_folder, num_frames=3, scale=2, pipeline=[dict(type='PackVSRInputs')])
    x = ds[0]['inputs']
    # frame_i(p) = frame_0(p + (1, 0)): column j of frame i is column j + 1 of the reference.
    # Bicubic downsampling is shift-equivariant by whole LR pixels away from the borders.
    torch.testing.assert_close(x[0, :, 3:-3, 3:-4], x[1, :, 3:-3, 4:-3], rtol=0, atol=1e-6)
    assert torch.all(ds[0]['data_samples']['flow_gt'][0, 0] == 1)


def test_smooth_flow_is_bounded_smooth_and_grid_independent():
    u, v = np.meshgrid(np.arange(40.0), np.arange(30.0))
    f = smooth_flow(np.random.default_rng(5), u, v, 2.5)
    assert f.shape == (30, 40, 2) and np.linalg.norm(f, axis=-1).max() <= 2.5 + 1e-9
    # Two sinusoids with periods >= 24 px and amplitudes <= max/4 change a component by at most
    # b = 2 * 2pi * (max/4) / 24 per pixel; the clip to norm max_flow is the projection onto a
    # disc (non-expansive), so a clipped component changes by at most sqrt(2) * b.
    b = 2 * 2 * math.pi * 2.5 / 4 / 24
    assert np.abs(np.diff(f, axis=1)).max() <= math.sqrt(2) * b + 1e-9
    # The same draws on a finer grid give the same field at the shared points.
    uf, vf = np.meshgrid(np.arange(0, 40, 0.5), np.arange(0, 30, 0.5))
    fine = smooth_flow(np.random.default_rng(5), uf, vf, 2.5)
    np.testing.assert_allclose(fine[::2, ::2], f, atol=1e-12)


def test_bad_configs_name_the_problem(frame_folder):
    with pytest.raises(ConfigError, match='no clip'):
        make(frame_folder, clips=['nope'])
    with pytest.raises(ConfigError, match='smaller than patch'):
        make(frame_folder, patch_size=80)
    with pytest.raises(ConfigError, match='num_frames'):
        make(frame_folder, num_frames=2)
    with pytest.raises(IndexError):
        make(frame_folder)[4]
