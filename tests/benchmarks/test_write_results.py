"""write_results.py: the seed table and its summary from ablate.py records and a demo run."""
import json

from tools.benchmarks import write_results


def _record(path, psnr, shift, epe=None):
    path.mkdir(parents=True)
    shift_metrics = dict(PSNR=shift, **({'EPE': epe} if epe is not None else {}))
    (path / 'ablation.json').write_text(json.dumps(dict(
        metrics={'PSNR': psnr, 'crop4/PSNR': psnr - 0.1}, test_sets=dict(known_shift=shift_metrics))))


def test_seed_rows_table_and_summary(tmp_path):
    runs, demo = tmp_path / 'runs', tmp_path / 'demo'
    for seed, (a, b) in enumerate([(31.70, 31.63), (31.66, 31.62)], start=1):
        _record(runs / f'seed{seed}' / 'spmc_x4_demo', a, a + 0.6, 0.08)
        _record(runs / f'seed{seed}' / 'single_frame_x4_demo', b, b - 0.1)
    _record(runs / 'seed9' / 'spmc_x4_demo', 30.0, 30.0)  # no single-frame partner: left out
    demo.mkdir()
    (demo / 'results.json').write_text(json.dumps(dict(results=dict(
        spmc=dict(real={'PSNR': 31.68, 'crop4/PSNR': 31.6}, known_shift=dict(PSNR=32.3, EPE=0.09)),
        single_frame=dict(real={'PSNR': 31.62, 'crop4/PSNR': 31.5}, known_shift=dict(PSNR=31.5))))))
    rows = write_results.seed_rows(str(runs), str(demo))
    assert [(r['source'].split()[0], r['seed']) for r in rows] == [
        ('tools/ablate.py', 1), ('tools/ablate.py', 2), ('tools/demo.py', 0)]
    table = write_results.seed_table(rows).splitlines()
    assert table[2] == ('| tools/ablate.py | 1 | 31.70 | 31.63 | +0.07 | 31.60 | 31.53 | 32.30 | 31.53 '
                        '| +0.77 | 0.080 |')
    summary = write_results.seed_summary(rows)
    # held-out: SPMC mean 31.68, single-frame 31.6233: gap +0.057; stdevs 0.02 and 0.0058
    assert 'SPMC − single-frame = **+0.057 dB**, more than twice' in summary
    assert write_results.seed_summary(rows[:1]).startswith('(fewer than two seeds')
