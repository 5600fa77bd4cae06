"""Panels (crop placement, PSNR captions), weight maps, training curves, optional TB backend."""
import json

import numpy as np
import pytest
import torch

from vsrkit.evaluation.functional import psnr
from vsrkit.ops import spmc_warp
from vsrkit.ops.upsample import bicubic_upsample
from vsrkit.visualization import (OptionalTensorboardVisBackend, add_caption, comparison_panel,
                                  load_scalars, load_stages, plot_training_curves,
                                  spmc_maps_panel, split_frame, tensorboard_available,
                                  textured_crop, weight_map_image, wipe_position)


def _u8(x):
    return np.clip(np.rint(np.asarray(x) * 255), 0, 255).astype(np.uint8)


def test_textured_crop_finds_the_detail():
    gt = np.full((3, 64, 80), 0.5)
    gt[:, 24:40, 48:64] = np.random.default_rng(0).random((3, 16, 16))
    assert textured_crop(gt, (16, 16)) == (24, 48, 16, 16)
    y, x, h, w = textured_crop(gt, (16, 16), align=4)
    assert y % 4 == 0 and x % 4 == 0 and abs(y - 24) <= 4 and abs(x - 48) <= 4


def test_comparison_panel_places_crops_and_scores():
    torch.manual_seed(0)
    s = 2
    gt = torch.rand(3, 32, 48)
    lr = gt[:, ::2, ::2].contiguous()
    sr = (gt + 0.02 * torch.randn_like(gt)).clamp(0, 1)
    panel, info = comparison_panel(lr, sr, gt, s, crop=(8, 12, 16, 20), context=False)
    bic = bicubic_upsample(lr[None], s)[0].clamp(0, 1)
    assert info['psnr_sr'] == pytest.approx(psnr(sr, gt, crop_border=s))
    assert info['psnr_bicubic'] == pytest.approx(psnr(bic, gt, crop_border=s))
    assert info['crop'] == (8, 12, 16, 20)
    # four 20-px tiles with 4-px gaps; images on top, caption strips below
    assert panel.shape[1] == 4 * 20 + 3 * 4 and panel.shape[0] > 16
    tiles = [panel[:16, k * 24:k * 24 + 20] for k in range(4)]
    lr_crop = lr[:, 4:12, 6:16].numpy().transpose(1, 2, 0)
    np.testing.assert_array_equal(tiles[0], _u8(lr_crop.repeat(2, 0).repeat(2, 1)))
    np.testing.assert_array_equal(tiles[1], _u8(bic[:, 8:24, 12:32].numpy().transpose(1, 2, 0)))
    np.testing.assert_array_equal(tiles[2], _u8(sr[:, 8:24, 12:32].numpy().transpose(1, 2, 0)))
    np.testing.assert_array_equal(tiles[3], _u8(gt[:, 8:24, 12:32].numpy().transpose(1, 2, 0)))
    with_ctx, _ = comparison_panel(lr, sr, gt, s, crop=(8, 12, 16, 20))
    assert with_ctx.shape[1] > panel.shape[1]
    with pytest.raises(ValueError, match='multiples of the scale'):
        comparison_panel(lr, sr, gt, s, crop=(1, 0, 16, 16))
    with pytest.raises(ValueError, match='do not fit'):
        comparison_panel(lr, sr[:, :30], gt, s)


def test_caption_and_spmc_maps():
    img = np.zeros((20, 60, 3), np.uint8)
    out = add_caption(img, 'Bicubic 27.31 dB')
    assert out.shape[1] == 60 and out.shape[0] > 20 and out[20:].max() > 150  # text drawn (anti-aliased)
    lr = torch.rand(1, 3, 6, 7)
    sparse, weights = spmc_warp(lr, torch.zeros(1, 2, 6, 7), 4, return_weights=True)
    wimg = weight_map_image(weights[0])
    holes = (weights[0, 0] == 0).numpy()
    assert (wimg[holes] == 0).all() and (wimg[~holes].sum(-1) > 0).all()
    assert holes.mean() == pytest.approx(1 - 6 * 7 / (24 * 28))  # zero flow: 1 of 16 hit
    panel = spmc_maps_panel(sparse[0], weights[0])
    assert panel.shape[1] == 2 * 28 + 4


def _write_run(tmp_path):
    run = tmp_path / 'work' / '20240101_000000'
    (run / 'vis_data').mkdir(parents=True)
    lines = []
    for it in range(10, 61, 10):
        rec = dict(lr=1e-4, loss=1.0 / it, loss_warp=0.5 / it, time=0.1, iter=it, step=it)
        if it > 30:
            rec['loss_sr'] = 0.2 / it
            rec['loss_warp'] = 0.5 / 30  # not computed any more: mmengine repeats the last value
        lines.append(json.dumps(rec))
        if it % 30 == 0:
            lines.append(json.dumps({'PSNR': 25.0 + it / 30, 'SSIM': 0.8, 'PSNR/clip': 20.0,
                                     'crop4/PSNR': 24.0, 'crop4/SSIM': 0.7, 'step': it}))
    (run / 'vis_data' / 'scalars.json').write_text('\n'.join(lines) + '\n')
    log = ['2024/01/01 00:00:00 - mmengine - INFO - Iter(train) [{:>2}/60]  stage: {}  lr: 1e-4'
           .format(it, 'motion' if it <= 30 else 'fusion') for it in range(10, 61, 10)]
    (run / '20240101_000000.log').write_text('\n'.join(log) + '\n')
    return run


def test_training_curves_from_a_run(tmp_path):
    run = _write_run(tmp_path)
    train, val = load_scalars(str(run / 'vis_data' / 'scalars.json'))
    assert train['loss_warp'][0] == (10, 0.05) and [i for i, _ in train['loss_sr']] == [40, 50, 60]
    assert [i for i, _ in train['loss_warp']] == [10, 20, 30]  # stale repeats dropped
    assert val['PSNR'] == [(30, 26.0), (60, 27.0)]
    assert load_stages(str(run / '20240101_000000.log')) == [(10, 'motion'), (40, 'fusion')]
    out = tmp_path / 'curves.png'
    info = plot_training_curves(str(tmp_path / 'work'), str(out))
    assert info['losses'] == ['loss', 'loss_sr', 'loss_warp'] and info['metrics'] == ['PSNR', 'SSIM']
    assert info['stages'] == [(10, 'motion'), (40, 'fusion')]  # from the text log
    # the dumped config, when present, gives the exact stage starts
    (run / 'vis_data' / 'config.py').write_text(
        "custom_hooks = [dict(type='StageHook', stages=[dict(name='motion', begin=0, trainable=[]),"
        " dict(name='fusion', begin=35, trainable=[]), dict(name='joint', begin=90, trainable=[])])]\n")
    info = plot_training_curves(str(tmp_path / 'work'), str(out))
    assert info['stages'] == [(0, 'motion'), (35, 'fusion')]  # joint (90) was not reached
    import cv2
    img = cv2.imread(str(out))
    assert img is not None and img.shape[0] > 300 and img.std() > 10
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match='empty: holds no .*scalars.json'):
        plot_training_curves(str(tmp_path / 'empty'), str(out))
    with pytest.raises(FileNotFoundError, match='missing: no such log'):
        plot_training_curves(str(tmp_path / 'missing'), str(out))


def test_optional_tensorboard_backend(tmp_path):
    from mmengine.visualization import Visualizer
    vis = Visualizer.get_instance(
        'vsrkit_test_vis', save_dir=str(tmp_path),
        vis_backends=[dict(type='LocalVisBackend'),
                      dict(type='vsrkit.OptionalTensorboardVisBackend')])
    vis.add_image('panel', np.full((8, 8, 3), 200, np.uint8), step=3)
    vis.add_scalars(dict(PSNR=30.0), step=3)
    assert (tmp_path / 'vis_data' / 'vis_image' / 'panel_3.png').is_file()
    tb = vis.get_backend('OptionalTensorboardVisBackend')
    assert isinstance(tb, OptionalTensorboardVisBackend) and tb.enabled == tensorboard_available()


def test_split_frame_takes_each_side_from_its_image():
    rng = np.random.default_rng(0)
    left = rng.integers(0, 200, (120, 160, 3), dtype=np.uint8)
    right = rng.random((120, 160, 3))  # float in [0, 1] is rounded as the metrics do
    out = split_frame(left, right, position=0.25, labels=('bicubic', 'SPMC'))
    assert out.shape == (120, 160, 3) and out.dtype == np.uint8
    body = slice(30, 120)  # below the labels
    np.testing.assert_array_equal(out[body, :39], left[body, :39])
    np.testing.assert_array_equal(out[body, 41:], _u8(right)[body, 41:])
    assert (out[body, 39:41] == 255).all()  # the divider
    assert (out[:30, :39] != left[:30, :39]).any() and (out[:30, -40:] != _u8(right)[:30, -40:]).any()
    with pytest.raises(ValueError, match='sizes'):
        split_frame(left, right[:100])


def test_wipe_sweeps_back_and_forth():
    positions = [wipe_position(i, 50) for i in range(101)]
    assert positions[0] == pytest.approx(0.1) and positions[25] == pytest.approx(0.9)
    assert positions[50] == pytest.approx(0.1) and positions[100] == pytest.approx(0.1)
    assert all(b > a for a, b in zip(positions[:25], positions[1:26]))
