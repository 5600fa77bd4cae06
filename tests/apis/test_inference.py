"""init_model / super_resolve: colour recombination, streaming == whole sequence, tiling,
checkpoint matching and scale errors."""
import numpy as np
import pytest
import torch

from vsrkit.apis import WindowSR, check_scale, init_model, iter_super_resolve, super_resolve
from vsrkit.datasets import window_indices
from vsrkit.ops import rgb_to_ycbcr
from vsrkit.ops.upsample import bicubic_upsample
from vsrkit.registry import ConfigError
from vsrkit.utils.checkpoint import CheckpointError

torch.set_num_threads(2)


def _chw(frames):
    return torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2).float() / 255.0


def test_y_model_colour_recombination_equals_rgb_bicubic(real_frames):
    frames = real_frames[:2]
    y_model = init_model(dict(model=dict(type='BicubicVSR', scale=4, in_channels=1)))
    rgb_model = init_model(dict(model=dict(type='BicubicVSR', scale=4, in_channels=3)))
    out_y = super_resolve(y_model, frames)
    out_rgb = super_resolve(rgb_model, frames)
    # bicubic is linear with weights summing to 1 and YCbCr is affine, so upsampling Y (by the
    # model) and Cb/Cr (by the recombination) separately equals upsampling RGB directly
    ref = bicubic_upsample(_chw(frames), 4).clamp(0, 1).permute(0, 2, 3, 1).numpy()
    assert out_y.shape == (2, 192, 256, 3) and out_y.dtype == np.float32
    assert np.abs(out_y - ref).max() < 1e-5
    assert np.abs(out_rgb - ref).max() < 1e-5
    # and the Y channel of the result is the model's own Y output
    y_in = rgb_to_ycbcr(_chw(frames))[:, :1] - 0.5
    y_sr = y_model(y_in[:, None], mode='tensor') + 0.5
    y_out = rgb_to_ycbcr(torch.from_numpy(out_y).permute(0, 3, 1, 2))[:, :1]
    inside = (ref > 0.001).all(-1) & (ref < 0.999).all(-1)  # not clipped
    assert (y_out - y_sr)[torch.from_numpy(inside)[:, None]].abs().max() < 1e-5


def test_streaming_equals_whole_sequence(real_frames, tiny_spmc):
    model = tiny_spmc(in_channels=3)
    frames = [f[:24, :32] for f in real_frames[:5]]
    n = len(frames)
    x = _chw(frames) + model.pixel_shift
    with torch.no_grad():  # reference: every window built by index, run one by one
        ref = [(model(x[window_indices(i, n, 3)][None], mode='tensor')[0] - model.pixel_shift)
               .clamp(0, 1).permute(1, 2, 0).numpy() for i in range(n)]
    got = list(iter_super_resolve(model, iter(frames)))
    assert len(got) == n
    for a, b in zip(got, ref):  # same maths, but batched vs one-by-one kernels may round differently
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    # the windows matter: the same centre with its neighbours swapped gives another output
    with torch.no_grad():
        swapped = model(x[[2, 1, 0]][None], mode='tensor')[0] - model.pixel_shift
    assert np.abs(swapped.clamp(0, 1).permute(1, 2, 0).numpy() - got[1]).max() > 1e-3


def test_tiled_equals_untiled_for_spmc(real_frames, tiny_spmc):
    model = tiny_spmc()
    # one 3-frame window, 16 x 128 LR: with the measured overlap some tiles see part of the width
    frames = [np.concatenate([f[:16], f[16:32]], axis=1) for f in real_frames[:3]]
    tiled_run = WindowSR(model, tile=40)  # overlap: measured receptive field + motion allowance
    window = [tiled_run.prepare(f) for f in frames]
    full = WindowSR(model)(window)
    tiled = tiled_run(window)
    assert full.shape == tiled.shape == (64, 512, 3)
    assert 40 + tiled_run.tile_overlap < 128  # the first tile sees only part of the width
    assert np.abs(full - tiled).max() < 1e-4
    seams = WindowSR(model, tile=40, tile_overlap=0)(window)
    assert np.abs(full - seams).max() > 1e-3  # too little context: the test can fail


def _save(tmp_path, state, name='ckpt.pth', wrap=True):
    path = tmp_path / name
    torch.save({'state_dict': state, 'meta': {'iter': 3}} if wrap else state, path)
    return str(path)


def test_checkpoint_round_trip_and_mismatch(tmp_path, tiny_spmc, tiny_spmc_cfg):
    model = tiny_spmc()
    cfg = dict(model=tiny_spmc_cfg)
    good = _save(tmp_path, model.state_dict())
    loaded = init_model(cfg, good)
    for k, v in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[k], v)
    bare = _save(tmp_path, {f'module.{k}': v for k, v in model.state_dict().items()}, 'bare.pth',
                 wrap=False)
    assert torch.equal(init_model(cfg, bare).fusion.out.weight, model.fusion.out.weight)

    state = dict(model.state_dict())
    state.pop('fusion.out.bias')
    state['fusion.extra.weight'] = torch.zeros(1)
    with pytest.raises(CheckpointError, match=r"missing keys \[fusion.out.bias\]; unexpected "
                                              r"keys \[fusion.extra.weight\]"):
        init_model(cfg, _save(tmp_path, state, 'bad.pth'))
    wide = dict(tiny_spmc_cfg, fusion=dict(tiny_spmc_cfg['fusion'], enc_channels=(8, 8, 8, 8),
                                       dec_channels=(8, 8, 8, 8, 8)))
    with pytest.raises(CheckpointError, match=r'bad2?.pth: does not match .*mis-shaped keys '
                                              r'\[fusion.dec3.0.bias \(4,\) vs \(8,\)'):
        init_model(dict(model=wide), _save(tmp_path, model.state_dict(), 'bad2.pth'))
    with pytest.raises(CheckpointError, match='not found'):
        init_model(cfg, str(tmp_path / 'nope.pth'))


def test_config_and_scale_errors(tmp_path):
    with pytest.raises(ConfigError, match='missing.py: config file not found'):
        init_model(str(tmp_path / 'missing.py'))
    empty = tmp_path / 'empty.py'
    empty.write_text('x = 1\n')
    with pytest.raises(ConfigError, match='no "model" entry'):
        init_model(str(empty))
    model = init_model(dict(model=dict(type='BicubicVSR', scale=4)))
    check_scale(model, 4)
    with pytest.raises(ConfigError, match='--scale 2: this model upscales x4 only'):
        check_scale(model, 2)
    with pytest.raises(ValueError, match='zero input frames'):
        super_resolve(model, [])
