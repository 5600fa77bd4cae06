"""PSNR / SSIM / EPE against hand-computed values and an independent brute-force SSIM."""
import math

import cv2
import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator

from vsrkit.evaluation import PSNR, SSIM, FlowEPE, psnr, ssim
from vsrkit.registry import METRICS, ConfigError


def levels(arr):
    """8-bit levels -> a (C, H, W) float tensor in [0, 1]."""
    a = torch.tensor(np.asarray(arr, dtype=np.float64) / 255.0, dtype=torch.float32)
    return a[None] if a.dim() == 2 else a


def test_psnr_hand_computed_y():
    gt = np.full((2, 2), 100)
    pred = gt.copy()
    pred[0, 0] = 101  # one pixel off by one level: MSE = 1/4
    assert psnr(levels(pred), levels(gt)) == pytest.approx(10 * math.log10(255 ** 2 * 4), abs=1e-9)
    assert psnr(levels(gt), levels(gt)) == math.inf


def test_psnr_crop_border_ignores_the_border():
    gt = np.full((6, 6), 50)
    pred = gt.copy()
    pred[0, :] = 250            # border row: cropped away with crop_border=1
    pred[2, 3] = 52             # inner 4x4: one pixel off by 2 -> MSE = 4/16
    assert psnr(levels(pred), levels(gt), crop_border=1) == pytest.approx(10 * math.log10(255 ** 2 * 4))
    mse_full = (6 * 200 ** 2 + 4) / 36
    assert psnr(levels(pred), levels(gt), crop_border=0) == pytest.approx(10 * math.log10(255 ** 2 / mse_full))


def test_psnr_rgb_is_measured_on_bt601_y():
    red = np.zeros((3, 4, 4))
    red[0] = 255
    black = np.zeros((3, 4, 4))
    # Y(red) - Y(black) = 65.481 levels (BT.601); chroma differences do not count.
    assert psnr(levels(red), levels(black)) == pytest.approx(20 * math.log10(255 / 65.481), abs=1e-9)
    assert psnr(levels(red), levels(black), convert_to=None) == pytest.approx(
        10 * math.log10(255 ** 2 / (255 ** 2 / 3)))


def test_eight_bit_rounding_before_the_metric():
    gt = levels(np.full((4, 4), 80))
    assert psnr(gt + 0.4 / 255, gt) == math.inf          # rounds back to the same level
    assert psnr(gt + 0.6 / 255, gt) == pytest.approx(20 * math.log10(255))  # one level off
    assert psnr(gt + 1.0, gt) == pytest.approx(20 * math.log10(255 / 175))  # clipped to 255


def test_ssim_identical_is_one_and_constant_images_by_hand():
    rng = np.random.default_rng(0)
    img = levels(rng.integers(0, 256, (3, 20, 24)))
    assert ssim(img, img, crop_border=2) == pytest.approx(1.0, abs=1e-12)
    a, b = 100.0, 140.0  # constant images: no variance, SSIM = luminance term only
    c1 = (0.01 * 255) ** 2
    expect = (2 * a * b + c1) / (a * a + b * b + c1)
    assert ssim(levels(np.full((16, 16), a)), levels(np.full((16, 16), b))) == pytest.approx(expect, abs=1e-12)


def brute_force_ssim(x, y):
    """SSIM from its definition, one 11x11 window at a time (x, y: 2-D float arrays in [0, 255])."""
    g = cv2.getGaussianKernel(11, 1.5)
    w = g @ g.T
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    vals = []
    for i in range(x.shape[0] - 10):
        for j in range(x.shape[1] - 10):
            px, py = x[i:i + 11, j:j + 11], y[i:i + 11, j:j + 11]
            mx, my = (w * px).sum(), (w * py).sum()
            vx = (w * (px - mx) ** 2).sum()
            vy = (w * (py - my) ** 2).sum()
            cxy = (w * (px - mx) * (py - my)).sum()
            vals.append((2 * mx * my + c1) * (2 * cxy + c2) / ((mx ** 2 + my ** 2 + c1) * (vx + vy + c2)))
    return float(np.mean(vals))


def test_ssim_matches_brute_force_on_y():
    rng = np.random.default_rng(1)
    gt = rng.integers(0, 256, (3, 22, 19)).astype(np.float64)
    pred = np.clip(gt + rng.normal(0, 20, gt.shape), 0, 255).round()
    # Independent Y: MATLAB rgb2ycbcr coefficients written out here, not taken from vsrkit.
    def y(img):
        return 16 + (65.481 * img[0] + 128.553 * img[1] + 24.966 * img[2]) / 255
    crop = 3
    expect = brute_force_ssim(y(pred)[crop:-crop, crop:-crop], y(gt)[crop:-crop, crop:-crop])
    got = ssim(levels(pred), levels(gt), crop_border=crop)
    assert got == pytest.approx(expect, abs=1e-9)
    assert got < 0.99


def frames(d_levels, clip, base=120, size=(1, 8, 8)):
    gt = levels(np.full(size, base))
    return dict(pred=levels(np.full(size, base + d_levels)), gt=gt, clip=clip, key=f'{clip}/x')


def test_per_clip_average_then_over_clips():
    metric = PSNR(crop_border=1)
    metric.process({}, [frames(1, 'a'), frames(2, 'a'), frames(4, 'a')])
    metric.process({}, [frames(8, 'b')])
    res = metric.compute_metrics(metric.results)
    p = [20 * math.log10(255 / d) for d in (1, 2, 4, 8)]
    clip_a = np.mean(p[:3])
    assert res['PSNR/a'] == pytest.approx(clip_a)
    assert res['PSNR/b'] == pytest.approx(p[3])
    assert res['PSNR'] == pytest.approx((clip_a + p[3]) / 2)
    assert res['PSNR'] != pytest.approx(np.mean(p))  # not the frame average


def test_evaluator_reports_main_and_per_clip_keys_without_prefix():
    ev = Evaluator([METRICS.build(dict(type='PSNR', crop_border=2)),
                    METRICS.build(dict(type='SSIM', crop_border=2))])
    rng = np.random.default_rng(2)
    gt = levels(rng.integers(0, 256, (3, 16, 16)))
    ev.process([dict(pred=gt, gt=gt, clip='c', key='c/0')], {})
    res = ev.evaluate(1)
    assert set(res) == {'PSNR', 'PSNR/c', 'SSIM', 'SSIM/c'}
    assert res['PSNR'] == math.inf and res['SSIM'] == pytest.approx(1.0)


def test_flow_epe_hand_computed_skips_reference_and_reads_batch():
    t, h, w = 3, 4, 5
    flow = torch.zeros(t, 2, h, w)
    flow[0, 0], flow[0, 1] = 3.0, 4.0      # error 5 on frame 0
    flow[1] = 100.0                        # reference frame: excluded
    flow[2, 0] = 1.0                       # error 1 on frame 2
    metric = FlowEPE()
    gt = torch.zeros(t, 2, h, w)
    # flow_gt from the predict dict for the first sample, from the batch for the second
    batch = dict(data_samples=dict(flow_gt=torch.stack([gt, gt]), clip=['a', 'b']))
    metric.process(batch, [dict(flow=flow, flow_gt=gt, clip='a'), dict(flow=flow * 2, clip='b')])
    metric.process({}, [dict(pred=None, clip='c')])  # no flow: skipped
    res = metric.compute_metrics(metric.results)
    assert res['EPE/a'] == pytest.approx(3.0)
    assert res['EPE/b'] == pytest.approx(6.0)
    assert res['EPE'] == pytest.approx(4.5)
    assert 'EPE/c' not in res


def test_bad_input_errors():
    with pytest.raises(ConfigError, match='crop_border'):
        METRICS.build(dict(type='PSNR', crop_border=-1))
    with pytest.raises(ConfigError, match='convert_to'):
        SSIM(convert_to='lab')
    with pytest.raises(ValueError, match='differ in shape'):
        psnr(torch.zeros(1, 8, 8), torch.zeros(1, 8, 9))
    with pytest.raises(ValueError, match='C = 1'):
        psnr(torch.zeros(2, 8, 8), torch.zeros(2, 8, 8))
    with pytest.raises(KeyError, match="'gt'"):
        PSNR().process({}, [dict(pred=torch.zeros(1, 8, 8), key='clip/00000001')])
    with pytest.raises(ValueError, match='too small'):
        psnr(torch.zeros(1, 8, 8), torch.zeros(1, 8, 8), crop_border=4)
