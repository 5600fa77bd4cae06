"""The demo's training schedule: its two trainings (SPMC, three stages; the single-frame
baseline) side by side on one thread each, or one after the other on two threads each; with the
current code or an earlier revision's. Wall time of the whole thing, each training a real
``Runner.train()`` (data loading included) on a scaled-down budget.

    python tools/benchmarks/bench_schedule.py [--factor 0.1] [--before 7a1864c] [--rounds 1]

Prints one markdown row per (code, schedule): wall seconds, and for SPMC and single-frame their
wall seconds and CPU seconds (the training process and its data workers, ``os.wait4``).
The schedules alternate (after/before, parallel/sequential) so a changing background load
hits all of them; ``uptime`` is printed beside each row. One child process per training:
``bench_schedule.py train CONFIG --factor F [--before REV]``.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

from vsrkit.utils.revision import ROOT
from vsrkit.utils.revision import SPEED_BASELINE_REV as BEFORE_REV

CONFIGS = {'spmc': 'configs/spmc/spmc_x4_demo.py', 'single_frame': 'configs/spmc/single_frame_x4_demo.py'}


def train(config: str, factor: float, before: str | None) -> None:
    """One training of ``config`` with its stages and max_iters scaled by ``factor``, no
    validation or checkpoints (the code under test: the current one, or ``before``'s)."""
    from mmengine.runner import Runner

    from vsrkit.cli.ablate import scale_budget
    from vsrkit.engine.config import load_config
    if before is None:
        from vsrkit.cli import keep_freed_memory
        from vsrkit.engine.runner_utils import configure_run
        from vsrkit.utils.checkpoint import patch_mmengine
        keep_freed_memory()  # as the current tools do
    else:
        import importlib

        from vsrkit.utils.revision import import_revision
        old = import_revision(before)
        configure_run = importlib.import_module(old.__name__ + '.engine.runner_utils').configure_run
        patch_mmengine = importlib.import_module(old.__name__ + '.utils.checkpoint').patch_mmengine
    patch_mmengine()
    cfg = load_config(os.path.join(ROOT, config))
    configure_run(cfg, config, tempfile.mkdtemp(prefix='bench_schedule_'))
    scale_budget(cfg, factor, None)
    if before is not None:
        cfg.default_scope = old.__name__  # build everything from the old package's registries
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=10 ** 6)
    cfg.log_level = 'WARNING'
    Runner.from_cfg(cfg).train()


def _start(name: str, factor: float, before: str | None, threads: int) -> subprocess.Popen:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    cmd = [sys.executable, __file__, 'train', CONFIGS[name], '--factor', str(factor)]
    if before:
        cmd += ['--before', before]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


def _wait(proc: subprocess.Popen, t0: float) -> tuple[float, float]:
    """(wall seconds since t0, CPU seconds of the training and its data workers)."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f'bench_schedule.py: error: a training failed (exit {proc.returncode})')
    return time.perf_counter() - t0, usage.ru_utime + usage.ru_stime


def run_schedule(schedule: str, factor: float, before: str | None) -> dict:
    t0 = time.perf_counter()
    if schedule == 'parallel':  # the demo's: both at once, one thread each
        spmc, single = _start('spmc', factor, before, 1), _start('single_frame', factor, before, 1)
        times = dict(single_frame=_wait(single, t0), spmc=_wait(spmc, t0))
    else:  # one after the other, two threads each
        times = dict(spmc=_wait(_start('spmc', factor, before, 2), t0))
        t1 = time.perf_counter()
        times['single_frame'] = _wait(_start('single_frame', factor, before, 2), t1)
    return dict(times, wall=time.perf_counter() - t0)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('what', nargs='?', default='compare', choices=['compare', 'train'])
    ap.add_argument('config', nargs='?')
    ap.add_argument('--factor', type=float, default=0.1, help='budget scale of both trainings')
    ap.add_argument('--before', default=BEFORE_REV, help="earlier revision ('none': skip it)")
    ap.add_argument('--rounds', type=int, default=1)
    args = ap.parse_args(argv)
    before = None if str(args.before).lower() == 'none' else args.before
    if args.what == 'train':
        return train(args.config, args.factor, before)
    codes = [('after', None)] + ([('before', before)] if before else [])
    print(f'budget factor {args.factor}: demo trainings scaled alike (stages, max_iters, lr '
          'schedule); wall seconds including start-up and data loading')
    print('| code | schedule | wall s | SPMC wall s / CPU s | single-frame wall s / CPU s '
          '| load average |')
    print('|---|---|---|---|---|---|')
    for _ in range(args.rounds):
        for schedule in ('parallel', 'sequential'):
            for name, rev in codes:
                r = run_schedule(schedule, args.factor, rev)
                load = ' '.join(open('/proc/loadavg').read().split()[:3])
                label = 'parallel, 1 thread each' if schedule == 'parallel' else 'sequential, 2 threads'
                print(f"| {name} | {label} | {r['wall']:.0f} "
                      f"| {r['spmc'][0]:.0f} / {r['spmc'][1]:.0f} "
                      f"| {r['single_frame'][0]:.0f} / {r['single_frame'][1]:.0f} | {load} |",
                      flush=True)


if __name__ == '__main__':
    main()
