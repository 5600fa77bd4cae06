"""Regenerate docs/RESULTS.md from the quality runs (tools/benchmarks/run_quality.sh).

    python tools/benchmarks/write_results.py [--runs work_dirs/quality] [--demo work_dirs/demo]
        [--template tools/benchmarks/results_template.md] [--out docs/RESULTS.md]

Substitutes the measured tables into the hand-written text: ``{{SEED_TABLE}}`` (SPMC against
the single-frame model, every seed: ``<runs>/seed*/{spmc,single_frame}_x4_demo/ablation.json``,
plus the README demo's own run, ``<demo>/results.json``, when there is one),
``{{SEED_SUMMARY}}`` (means, standard deviations and the SPMC - single-frame gaps) and
``{{ABLATION_TABLE}}`` (every variant of ``<runs>/seed0``, tools/ablate.py's table).
"""
from __future__ import annotations

import argparse
import glob
import json
import os.path as osp
import statistics

from vsrkit.cli.ablate import collect, make_table

MODELS = (('spmc_x4_demo', 'SPMC'), ('single_frame_x4_demo', 'single-frame'))


def motion_figures(record: dict) -> tuple:
    """(synthetic EPE, real-clip warp error of the model's flow, of OpenCV DIS) of an ablate.py
    record, None where it has none."""
    km, rw = record.get('known_motion') or {}, record.get('real_warp') or {}
    return km.get('epe'), rw.get('model'), rw.get('dis')


def seed_rows(runs: str, demo: str) -> list[dict]:
    """One row per (source, seed): {model: (real PSNR, real crop-4 PSNR, known-shift PSNR, EPE)}
    and ``motion``: :func:`motion_figures` of the SPMC run. The README demo's run gets its
    motion figures from ``<runs>/seed0/spmc_x4_demo/ablation.json`` when that is an evaluation
    of its checkpoint (``tools/ablate.py --checkpoint``)."""
    rows = []
    for folder in sorted(glob.glob(osp.join(runs, 'seed*'))):
        seed = int(osp.basename(folder)[4:])
        row = dict(source='tools/ablate.py', seed=seed)
        for variant, label in MODELS:
            path = osp.join(folder, variant, 'ablation.json')
            if osp.isfile(path):
                with open(path) as f:
                    r = json.load(f)
                shift = r.get('test_sets', {}).get('known_shift', {})
                row[label] = (r['metrics']['PSNR'], r['metrics'].get('crop4/PSNR'),
                              shift.get('PSNR'), shift.get('EPE'))
                if label == 'SPMC':
                    row['motion'] = motion_figures(r)
        if all(label in row for _, label in MODELS):
            rows.append(row)
    path = osp.join(demo, 'results.json')
    if osp.isfile(path):
        with open(path) as f:
            res = json.load(f)['results']
        row = dict(source='tools/demo.py (README demo)', seed=0)
        for key, label in (('spmc', 'SPMC'), ('single_frame', 'single-frame')):
            real, shift = res[key]['real'], res[key]['known_shift']
            row[label] = (real['PSNR'], real.get('crop4/PSNR'), shift['PSNR'], shift.get('EPE'))
        evaluated = osp.join(runs, 'seed0', 'spmc_x4_demo', 'ablation.json')
        if osp.isfile(evaluated):
            with open(evaluated) as f:
                r = json.load(f)
            if r.get('checkpoint'):
                row['motion'] = motion_figures(r)
        rows.append(row)
    return rows


def fmt(v, spec='.2f') -> str:
    return '-' if v is None else format(v, spec)


def seed_table(rows: list[dict]) -> str:
    lines = ['| run | seed | SPMC PSNR-Y | single-frame PSNR-Y | gap | SPMC crop 4 | single-frame crop 4 '
             '| SPMC known-shift | single-frame known-shift | known-shift gap | SPMC EPE known-shift '
             '| SPMC EPE synth. | real-clip warp error: SPMC flow / OpenCV DIS |',
             '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|']
    for r in rows:
        a, b = r['SPMC'], r['single-frame']
        epe, warp, dis = r.get('motion', (None, None, None))
        lines.append(f"| {r['source']} | {r['seed']} | {fmt(a[0])} | {fmt(b[0])} | {a[0] - b[0]:+.2f} "
                     f"| {fmt(a[1])} | {fmt(b[1])} | {fmt(a[2])} | {fmt(b[2])} | {a[2] - b[2]:+.2f} "
                     f"| {fmt(a[3], '.3f')} | {fmt(epe, '.3f')} | {fmt(warp, '.5f')} / {fmt(dis, '.5f')} |")
    return '\n'.join(lines)


def seed_summary(rows: list[dict]) -> str:
    if len(rows) < 2:
        return '(fewer than two seeds finished: no spread to report)'
    out = []
    for name, i in (('held-out clip (PSNR-Y, no crop)', 0), ('known-shift test (PSNR-Y)', 2)):
        spmc = [r['SPMC'][i] for r in rows]
        single = [r['single-frame'][i] for r in rows]
        gap = statistics.mean(spmc) - statistics.mean(single)
        sd = max(statistics.stdev(spmc), statistics.stdev(single))
        verdict = 'more' if gap > 2 * sd else 'NOT more'
        out.append(f'- **{name}**, {len(rows)} runs: SPMC {statistics.mean(spmc):.3f} '
                   f'± {statistics.stdev(spmc):.3f} dB, single-frame {statistics.mean(single):.3f} '
                   f'± {statistics.stdev(single):.3f} dB (mean ± sample standard deviation): '
                   f'SPMC − single-frame = **{gap:+.3f} dB**, {verdict} than twice the larger '
                   f'seed-to-seed standard deviation ({2 * sd:.3f} dB).')
    warps = [r['motion'] for r in rows if r.get('motion') and r['motion'][1] is not None]
    if warps:
        model, dis = [w[1] for w in warps], [w[2] for w in warps]
        better = sum(m <= d for m, d in zip(model, dis))
        out.append(f'- **Real-clip warp error** of the learned flow, {len(warps)} runs: '
                   f'{min(model):.5f}-{max(model):.5f} (mean {statistics.mean(model):.5f}) against '
                   f'OpenCV DIS {statistics.mean(dis):.5f}: {statistics.mean(model) / statistics.mean(dis) - 1:+.1%}; '
                   f'{better} of {len(warps)} runs at or below DIS.')
    return '\n'.join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--runs', default='work_dirs/quality')
    ap.add_argument('--demo', default='work_dirs/demo')
    ap.add_argument('--template', default='tools/benchmarks/results_template.md')
    ap.add_argument('--out', default='docs/RESULTS.md')
    args = ap.parse_args()
    rows = seed_rows(args.runs, args.demo)
    ablations = collect(osp.join(args.runs, 'seed0'))
    text = open(args.template).read()
    text = text.replace('{{SEED_TABLE}}', seed_table(rows))
    text = text.replace('{{SEED_SUMMARY}}', seed_summary(rows))
    text = text.replace('{{ABLATION_TABLE}}', make_table(ablations).strip())
    with open(args.out, 'w') as f:
        f.write(text)
    print(f'wrote {args.out}: {len(rows)} seed runs, {len(ablations)} ablation variants')


if __name__ == '__main__':
    main()
