"""Regenerate docs/RESULTS.md from the ablation outputs (work_dirs/ablate*/table.md).

    python tools/benchmarks/write_results.py [--template tools/benchmarks/results_template.md]

Only substitutes the measured tables into the hand-written text: ``{{SR_TABLE}}``,
``{{ME_TABLE_SHORT}}`` and ``{{ME_TABLE_LONG}}`` are replaced by the tables that
tools/ablate.py wrote (the SR-variant table of work_dirs/ablate, and the motion-only tables of
work_dirs/ablate, work_dirs/ablate_me and work_dirs/ablate_me_full; ``{{ME_TABLE_FULL}}``).
"""
from __future__ import annotations

import argparse

from vsrkit.cli.ablate import collect as results
from vsrkit.cli.ablate import make_table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--template', default='tools/benchmarks/results_template.md')
    ap.add_argument('--out', default='docs/RESULTS.md')
    args = ap.parse_args()
    short = results('work_dirs/ablate')
    long = results('work_dirs/ablate_me')
    full = results('work_dirs/ablate_me_full')
    text = open(args.template).read()
    text = text.replace('{{SR_TABLE}}', make_table([r for r in short if r['sr']]).strip())
    text = text.replace('{{ME_TABLE_SHORT}}', make_table([r for r in short if not r['sr']]).strip())
    text = text.replace('{{ME_TABLE_LONG}}', make_table(long).strip())
    text = text.replace('{{ME_TABLE_FULL}}', make_table(full).strip() if full else '(did not finish in time)')
    with open(args.out, 'w') as f:
        f.write(text)
    print(f'wrote {args.out}: {len(short)} + {len(long)} + {len(full)} results')


if __name__ == '__main__':
    main()
