"""Training curves from a run's log: losses per stage and validation metrics, as one PNG.

mmengine's LocalVisBackend writes ``<work_dir>/<timestamp>/vis_data/scalars.json``: one JSON
object per line, training lines carrying ``iter`` and the losses, validation lines carrying the
metrics (``PSNR``, ``SSIM``, ``EPE``) and ``step`` (the training iteration of the evaluation).
Stage boundaries come from the run's dumped config (``vis_data/config.py``: the StageHook's
``stages``), else from the text log ``<timestamp>/<timestamp>.log``, whose training lines read
``Iter(train) [ 40/900]  stage: fusion  ...`` (StageLogProcessor).
"""
from __future__ import annotations

import glob
import json
import os
import re

from vsrkit.errors import DataError

METRIC_KEYS = ('PSNR', 'SSIM', 'EPE')
_STAGE_RE = re.compile(r'Iter\(train\)\s*\[\s*(\d+)\s*/\s*\d+\]\s+stage:\s*(\S+)')


def find_scalars(path: str) -> str:
    """The scalars.json of ``path``: the file itself, or the newest run under a work dir."""
    if os.path.isfile(path):
        return path
    if not os.path.isdir(path):
        raise FileNotFoundError(f'{path}: no such log file or work dir')
    found = sorted(glob.glob(os.path.join(path, '**', 'vis_data', 'scalars.json'), recursive=True),
                   key=os.path.getmtime)
    if not found:
        raise FileNotFoundError(f'{path}: holds no */vis_data/scalars.json (was training run '
                                'with a LocalVisBackend?)')
    return found[-1]


def load_scalars(path: str) -> tuple[dict[str, list], dict[str, list]]:
    """Read a scalars.json into ``(train, val)``: each maps a key to [(iteration, value), ...].

    Losses a stage does not compute (weight 0) are absent in that stage: mmengine's log repeats
    their last value, and exact repeats are dropped.
    """
    train: dict[str, list] = {}
    val: dict[str, list] = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                raise DataError(f'{path}:{n}: not a JSON line') from None
            if 'iter' in rec:
                for k, v in rec.items():
                    if k.startswith('loss') and isinstance(v, (int, float)):
                        pts = train.setdefault(k, [])
                        # mmengine re-logs the last value of a loss that a stage stopped
                        # computing; a window average never repeats bit for bit, so an exact
                        # repeat is such a stale value and is dropped
                        if not pts or pts[-1][1] != float(v):
                            pts.append((rec['iter'], float(v)))
            else:
                step = rec.get('step')
                for k, v in rec.items():
                    # the mean over clips only: not 'PSNR/<clip>', nor the crop-4 'crop4/PSNR'
                    if k in METRIC_KEYS and isinstance(v, (int, float)):
                        val.setdefault(k, []).append((step, float(v)))
    if not train and not val:
        raise DataError(f'{path}: no losses or validation metrics found')
    return train, val


def load_stages(log_path: str) -> list[tuple[int, str]]:
    """[(first logged iteration, stage name), ...] from a text log, in order of appearance."""
    stages: list[tuple[int, str]] = []
    with open(log_path, errors='replace') as f:
        for line in f:
            m = _STAGE_RE.search(line)
            if m and (not stages or stages[-1][1] != m.group(2)):
                stages.append((int(m.group(1)), m.group(2)))
    return stages


def stages_from_config(config_path: str) -> list[tuple[int, str]]:
    """[(begin, stage name), ...] of the StageHook in a dumped run config ([] if none)."""
    from mmengine.config import Config
    try:
        cfg = Config.fromfile(config_path)
    except Exception:  # a config that no longer parses (moved _base_ files): use the log
        return []
    for hook in cfg.get('custom_hooks', None) or []:
        if isinstance(hook, dict) and hook.get('type') in ('StageHook', 'vsrkit.StageHook'):
            return [(int(st['begin']), str(st['name'])) for st in hook.get('stages', [])]
    return []


def run_stages(scalars_path: str) -> list[tuple[int, str]]:
    """Stage boundaries of the run that wrote ``scalars_path``: config first, then text log."""
    vis_dir = os.path.dirname(os.path.abspath(scalars_path))
    config = os.path.join(vis_dir, 'config.py')
    stages = stages_from_config(config) if os.path.isfile(config) else []
    if not stages:
        logs = glob.glob(os.path.join(os.path.dirname(vis_dir), '*.log'))
        stages = load_stages(logs[0]) if logs else []
    return stages


def _break_gaps(pts: list) -> tuple[list, list]:
    """Split a curve where logging paused (a stage without this loss): NaN where the gap between
    two points exceeds twice the usual logging interval, so no line is drawn across it."""
    gaps = sorted(b[0] - a[0] for a, b in zip(pts, pts[1:]))
    limit = 2 * gaps[len(gaps) // 2] if gaps else 0
    its, vals = [pts[0][0]], [pts[0][1]]
    for (i0, _), (i1, v1) in zip(pts, pts[1:]):
        if i1 - i0 > limit:
            its.append((i0 + i1) / 2)
            vals.append(float('nan'))
        its.append(i1)
        vals.append(v1)
    return its, vals


def plot_training_curves(path: str, out_png: str, title: str | None = None) -> dict:
    """Plot losses (log scale, stages shaded) and validation metrics from a run into ``out_png``.

    Args:
        path: a work dir (its newest run is used) or a scalars.json.
        out_png: the PNG to write (its folder must exist).
        title: figure title; defaults to '<work dir name> / <run timestamp>'.

    Returns:
        dict(scalars=path used, stages=[(iter, name)], losses=[keys], metrics=[keys]).
    """
    scalars = find_scalars(path)
    train, val = load_scalars(scalars)
    stages = run_stages(scalars)
    panels = int(bool(train)) + len(val)
    # A bare Figure (no pyplot): draws to a file with Agg without touching the global backend
    # of whoever imported us (a notebook, a GUI).
    from matplotlib.figure import Figure
    fig = Figure(figsize=(7, 2.6 * panels))
    axes = fig.subplots(panels, 1, sharex=True, squeeze=False)
    axes = list(axes[:, 0])
    last_iter = max([it for pts in train.values() for it, _ in pts] +
                    [it for pts in val.values() for it, _ in pts if it is not None] + [1])
    stages = [(b, n) for b, n in stages if b < last_iter]  # stages the run reached
    for ax in axes:
        for k, (begin, name) in enumerate(stages):
            end = stages[k + 1][0] if k + 1 < len(stages) else last_iter
            ax.axvspan(begin, end, color=f'C{k % 10}', alpha=0.08, lw=0)
            if ax is axes[0]:
                ax.text(begin, 1.0, f' {name}', transform=ax.get_xaxis_transform(), va='top',
                        fontsize=8, color='0.3')
    if train:
        ax = axes.pop(0)
        for k, pts in sorted(train.items()):
            its, vals = _break_gaps(pts)
            ax.plot(its, vals, label=k, lw=1)
        if all(v > 0 for pts in train.values() for _, v in pts):
            ax.set_yscale('log')
        ax.set_ylabel('training loss')
        ax.legend(fontsize=8, loc='best')
    for ax, (k, pts) in zip(axes, sorted(val.items())):
        its, vals = zip(*[(it, v) for it, v in pts])
        ax.plot(its, vals, 'o-', ms=3, lw=1, color='C3')
        ax.set_ylabel(f'val {k}' + (' (dB)' if k == 'PSNR' else ''))
    fig.axes[-1].set_xlabel('iteration')
    run_dir = os.path.dirname(os.path.dirname(os.path.abspath(scalars)))
    default_title = f'{os.path.basename(os.path.dirname(run_dir))} / {os.path.basename(run_dir)}'
    fig.suptitle(title or default_title, fontsize=10)
    fig.tight_layout()
    fig.savefig(out_png, dpi=110)
    return dict(scalars=scalars, stages=stages, losses=sorted(train), metrics=sorted(val))
