"""write_results.py: the seed table and its summary from ablate.py records and a demo run."""
import json

from tools.benchmarks import write_results


def _record(path, psnr, shift, epe=None, warp=None, **extra):
    path.mkdir(parents=True)
    shift_metrics = dict(PSNR=shift, **({'EPE': epe} if epe is not None else {}))
    motion = dict(known_motion=dict(epe=0.14), real_warp=dict(model=warp, dis=0.0065)) if warp else {}
    (path / 'ablation.json').write_text(json.dumps(dict(
        metrics={'PSNR': psnr, 'crop4/PSNR': psnr - 0.1}, test_sets=dict(known_shift=shift_metrics),
        **motion, **extra)))


def test_seed_rows_table_and_summary(tmp_path):
    runs, demo = tmp_path / 'runs', tmp_path / 'demo'
    for seed, (a, b) in enumerate([(31.70, 31.63), (31.66, 31.62)], start=1):
        _record(runs / f'seed{seed}' / 'spmc_x4_demo', a, a + 0.6, 0.08, warp=0.0063 + 0.0003 * seed)
        _record(runs / f'seed{seed}' / 'single_frame_x4_demo', b, b - 0.1)
    _record(runs / 'seed9' / 'spmc_x4_demo', 30.0, 30.0)  # no single-frame partner: left out
    # the README demo's checkpoint evaluated by ablate.py --checkpoint: its motion figures
    _record(runs / 'seed0' / 'spmc_x4_demo', 31.68, 32.3, 0.09, warp=0.0060, checkpoint='demo/spmc/iter_4000.pth')
    demo.mkdir()
    (demo / 'results.json').write_text(json.dumps(dict(results=dict(
        spmc=dict(real={'PSNR': 31.68, 'crop4/PSNR': 31.6}, known_shift=dict(PSNR=32.3, EPE=0.09)),
        single_frame=dict(real={'PSNR': 31.62, 'crop4/PSNR': 31.5}, known_shift=dict(PSNR=31.5))))))
    rows = write_results.seed_rows(str(runs), str(demo))
    assert [(r['source'].split()[0], r['seed']) for r in rows] == [
        ('tools/ablate.py', 1), ('tools/ablate.py', 2), ('tools/demo.py', 0)]
    table = write_results.seed_table(rows).splitlines()
    assert table[2] == ('| tools/ablate.py | 1 | 31.70 | 31.63 | +0.07 | 31.60 | 31.53 | 32.30 | 31.53 '
                        '| +0.77 | 0.080 | 0.140 | 0.00660 / 0.00650 |')
    assert table[4].endswith('| 0.090 | 0.140 | 0.00600 / 0.00650 |')  # the demo row
    summary = write_results.seed_summary(rows)
    # held-out: SPMC mean 31.68, single-frame 31.6233: gap +0.057; stdevs 0.02 and 0.0058
    assert 'SPMC − single-frame = **+0.057 dB**, more than twice' in summary
    # warp errors 0.0066, 0.0069, 0.0060 (mean 0.0065) against DIS 0.0065 each
    assert ('0.00600-0.00690 (mean 0.00650) against OpenCV DIS 0.00650: +0.0%; 1 of 3 runs at or below DIS'
            in summary)
    assert write_results.seed_summary(rows[:1]).startswith('(fewer than two seeds')
