"""bench_model: FLOP counts against counts from the layer shapes, the before/after records,
and importing an earlier revision beside the current code."""
import pytest
import torch

from tools.benchmarks import bench_model
from vsrkit.utils.revision import import_revision


def _conv(n, cin, cout, k, h, w):
    """2 * MACs of a 'same' k x k conv producing (n, cout, h, w)."""
    return 2 * n * cout * h * w * cin * k * k


def demo_flop_parts(h, w, t=3, last_only=True):
    """FLOPs of the demo model (configs/spmc/spmc_x4_demo.py) for one output frame, from the
    architecture, by part: VESPCN on the T-1 frame pairs, the fusion encoder on T frames (enc0
    apart), the ConvLSTM (the zero-state step over x alone), the decoder on 1 step (inference)
    or T. The encoder sees 2 channels per frame: Y and the SPMC splat's weight map
    (``with_weights=True``)."""
    p = t - 1
    motion = (_conv(p, 2, 24, 5, h // 2, w // 2) + _conv(p, 24, 24, 3, h // 2, w // 2)
              + _conv(p, 24, 24, 5, h // 4, w // 4) + _conv(p, 24, 24, 3, h // 4, w // 4)
              + _conv(p, 24, 32, 3, h // 4, w // 4)
              + _conv(p, 5, 24, 5, h // 2, w // 2) + 3 * _conv(p, 24, 24, 3, h // 2, w // 2)
              + _conv(p, 24, 8, 3, h // 2, w // 2))
    H, W = 4 * h, 4 * w
    enc0 = _conv(t, 2, 8, 5, H, W)
    enc = (_conv(t, 8, 16, 3, H // 2, W // 2)
           + _conv(t, 16, 16, 3, H // 2, W // 2) + _conv(t, 16, 32, 3, H // 4, W // 4))
    lstm = _conv(1, 32, 128, 3, H // 4, W // 4) + (t - 1) * _conv(1, 64, 128, 3, H // 4, W // 4)
    d = 1 if last_only else t
    # a 4x4 stride-2 deconv: every input pixel meets all 16 taps
    dec = (_conv(d, 32, 32, 3, H // 4, W // 4) + 2 * d * (H // 4) * (W // 4) * 32 * 16 * 16
           + _conv(d, 16, 16, 3, H // 2, W // 2) + 2 * d * (H // 2) * (W // 2) * 16 * 8 * 16
           + _conv(d, 8, 8, 3, H, W) + _conv(d, 8, 1, 5, H, W))
    return dict(motion=motion, enc0=enc0, enc=enc, lstm=lstm, dec=dec)


def demo_flops(h, w, t=3, last_only=True):
    return sum(demo_flop_parts(h, w, t, last_only).values())


def test_flop_count_matches_the_architecture():
    model = bench_model.build_model('demo')
    x = torch.rand(1, 3, 1, 12, 16) - 0.5
    counted = bench_model.count_flops(model, x)
    expected = demo_flops(12, 16)
    # The counter also sees the bicubic upsampling's 1-D convolutions (a few 1e3 FLOPs here).
    assert expected <= counted <= expected * 1.01
    # the fast convolutions are switched back on afterwards
    assert model.fusion.fast_conv and model.fusion.temporal.fast_conv


def test_infer_record_is_consistent():
    r = bench_model.infer('demo', 8, 12, reps=1, before=None)
    assert r['hr'] == '32x48' and r['params'] > 0 and 'ms_before' not in r
    assert r['ms_after'] > 0 and r['cpu_ms_after'] > 0 and 'peak_mem_mb' in r  # (fresh process: RSS growth)
    assert r['gflop_run'] * 1e9 >= demo_flops(8, 12)
    assert r['conv3x3_gflops'] > 0 and r['matmul_gflops'] > 0


def test_import_revision_gives_a_separate_working_package():
    old = import_revision('HEAD')
    assert old.__name__.startswith('vsrkit_') and old.__name__ != 'vsrkit'
    model = bench_model.build_model('demo', old)
    assert type(model).__module__.startswith(old.__name__)
    assert import_revision('HEAD') is old  # imported once
    new = bench_model.build_model('demo')
    model.load_state_dict(new.state_dict())  # the same parameters


def test_before_and_after_compute_the_same_function():
    """The default "before" revision predates the motion net's input normalisation (a quality
    change): the comparison switches it off in the current model, so that the outputs and the
    gradients differ by float rounding only (they differed by ~5e-4 with it on)."""
    r = bench_model.infer('demo', 12, 16, reps=1)
    assert r['max_abs_diff'] < 1e-6
    cfg = bench_model.model_config('demo')
    assert bench_model.comparable(cfg, bench_model.BEFORE_REV).motion.normalize_window == 0
    assert 'normalize_window' not in bench_model.comparable(cfg, bench_model.BEFORE_REV, old=True).motion
    assert bench_model.comparable(cfg, 'HEAD') == cfg  # a revision that has it: unchanged


def test_training_flops_match_the_architecture():
    """One fusion-stage iteration: the forward (every step decoded), then for the fusion net
    (trainable) every kernel gradient and every input gradient but enc0's (its input, the
    splat, needs none); the frozen motion net gets no backward."""
    from mmengine.config import Config
    from vsrkit.registry import MODELS
    cfg = Config.fromfile('configs/spmc/spmc_x4_demo.py')
    _, weights = bench_model.stage_setup(cfg, 'fusion')
    model = MODELS.build(bench_model.comparable(cfg.model, None))
    model.set_loss_weights(weights)
    model.motion.requires_grad_(False)
    b, h, w = 2, 8, 12
    x = torch.rand(b, 3, 1, h, w) - 0.5
    gt = torch.rand(b, 1, 4 * h, 4 * w) - 0.5
    counted = bench_model.train_flops(model, x, gt)
    p = demo_flop_parts(h, w, last_only=False)
    fusion = p['enc0'] + p['enc'] + p['lstm'] + p['dec']
    expected = b * (p['motion'] + fusion + fusion + (fusion - p['enc0']))
    assert expected <= counted <= expected * 1.01  # (+ the bicubic upsampling's 1-D convs)
    assert all(q.grad is None for q in model.parameters())  # left as it found them
    assert model.fusion.fast_conv


def test_rows_without_a_before_revision():
    """``all --before none`` (e.g. on a GPU machine whose copy of the code has no git history):
    the before columns read '-', the after columns are filled."""
    r = bench_model.infer('demo', 8, 12, reps=1, before=None)
    cells = bench_model.infer_row(r).strip('| ').split(' | ')
    header = bench_model.INFER_HEADER.splitlines()[0].strip('| ').split(' | ')
    assert len(cells) == len(header)
    row = dict(zip(header, cells))
    assert row['before ms'] == row['speed-up'] == row['max abs diff'] == '-'
    assert float(row['after ms']) == round(r['ms_after'], 1) and row['after % of peak'].endswith('%')
    t = bench_model.train_step('configs/spmc/spmc_x4_demo.py', 'fusion', reps=1, before=None)
    cells = bench_model.train_row(t).strip('| ').split(' | ')
    header = bench_model.TRAIN_HEADER.splitlines()[0].strip('| ').split(' | ')
    row = dict(zip(header, cells))
    assert len(cells) == len(header) and row['before ms/iter (min / median)'] == '-'
    assert row['precision'] == 'fp32' and float(row['GFLOP/iter (direct)']) == round(t['gflop_iter'], 2)
    assert t['ms_at_conv_peak'] < t['ms_after_min']  # nothing runs faster than the peak
    pct = int(row['% of peak before / after'].split(' / ')[1].rstrip('%'))
    assert pct == round(100 * t['ms_at_conv_peak'] / t['ms_after_min'])


def test_an_unknown_before_revision_is_one_line_error():
    with pytest.raises(SystemExit) as err:
        bench_model.main(['infer', '--before', 'no-such-rev', '--size', '8x8', '--threads', '1'])
    assert str(err.value).startswith('bench_model.py: error: --before no-such-rev: cannot import')
    assert '\n' not in str(err.value)
