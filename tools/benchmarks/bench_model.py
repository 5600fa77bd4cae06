"""Model speed: inference per frame, FLOPs and efficiency against the machine's peak; training
iteration split into data / forward / backward / optimizer / framework overhead.

    python tools/benchmarks/bench_model.py peak [--threads 2]
    python tools/benchmarks/bench_model.py infer --model demo --size 180x320 [--threads 2 --reps 3]
        [--channels-last]
    python tools/benchmarks/bench_model.py train [--config configs/spmc/spmc_x4_demo.py]
        [--stage joint] [--iters 30] [--threads 2]
    python tools/benchmarks/bench_model.py all [--threads 2]   # the tables of docs/BENCHMARKS.md

``peak``: the machine's own fp32 throughput: a 2048^3 matmul and a 3x3 conv (64 -> 64 channels,
1x64x256x256, the faster of NCHW and NHWC), GFLOP/s = counted FLOPs / best (minimum) wall time of
5 runs. ``infer`` measures it again in the same process, right after the model, so that the
model's share of the peak compares runs made under the same background load.

``infer``: one SR output frame (``mode='tensor'``, batch 1, 3 LR frames of the given size, Y, x4)
of the default SPMC model (paper widths, configs/_base_/models/spmc.py) or the demo model
(configs/spmc/spmc_x4_demo.py) under ``torch.no_grad``: minimum wall time of ``--reps`` runs, FLOPs per frame counted by
``torch.utils.flop_counter.FlopCounterMode`` (convolutions and matmuls, 2 FLOPs per MAC), achieved
GFLOP/s and its share of the conv peak, and the peak resident memory (the run is a fresh process,
so ``ru_maxrss`` minus the RSS before the model was built is the model's peak). ``--channels-last``
converts the model to NHWC memory format first (no model code changes).

``train``: ``--iters`` iterations of the config's real mmengine loop in one stage, with the data
preprocessor, model forward, ``optim_wrapper.backward``, ``step`` and ``zero_grad`` timed in place;
data time comes from mmengine's IterTimerHook; framework overhead = iteration time - all of these
(hooks, logging, loss parsing, loop bookkeeping). The first 5 iterations are discarded.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import torch
import torch.nn.functional as F


def best_time(fn, reps: int, warmup: int = 1) -> float:
    """Minimum wall time over ``reps`` runs after ``warmup``: on a shared machine the
    least-disturbed run is the best estimate of the code's own cost."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def rss_mb() -> float:
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2 ** 20


def peak() -> dict:
    """Measured fp32 GFLOP/s of a large matmul and a 3x3 conv on this machine."""
    a, b = torch.rand(2048, 2048), torch.rand(2048, 2048)
    t_mm = best_time(lambda: a @ b, 5)
    x, w = torch.rand(1, 64, 256, 256), torch.rand(64, 64, 3, 3)
    t_conv = best_time(lambda: F.conv2d(x, w, padding=1), 5)
    # The same conv in NHWC (oneDNN's native layout on CPU): the better of the two is the peak.
    xl, wl = x.to(memory_format=torch.channels_last), w.to(memory_format=torch.channels_last)
    t_conv = min(t_conv, best_time(lambda: F.conv2d(xl, wl, padding=1), 5))
    return dict(matmul_gflops=2 * 2048 ** 3 / t_mm / 1e9,
                conv3x3_gflops=2 * 64 * 64 * 9 * 256 * 256 / t_conv / 1e9)


def build_model(kind: str):
    from mmengine.config import Config
    from vsrkit.registry import MODELS
    path = {'default': 'configs/_base_/models/spmc.py', 'demo': 'configs/spmc/spmc_x4_demo.py'}[kind]
    cfg = Config.fromfile(path).model
    return MODELS.build(cfg).eval()


def count_flops(model, x) -> int:
    from torch.utils.flop_counter import FlopCounterMode
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(x, mode='tensor')
    return counter.get_total_flops()


def infer(kind: str, h: int, w: int, reps: int, channels_last: bool = False) -> dict:
    torch.manual_seed(0)
    base_rss = rss_mb()
    model = build_model(kind)
    if channels_last:  # NHWC weights: oneDNN convolutions then skip their per-call reorders
        model = model.to(memory_format=torch.channels_last)
    x = torch.rand(1, model.num_frames, model.in_channels, h, w) - 0.5
    with torch.no_grad():
        t = best_time(lambda: model(x, mode='tensor'), reps)
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB -> MB on Linux
    flops = count_flops(model, x)
    params = sum(p.numel() for p in model.parameters())
    pk = peak()  # in the same process and minute: the same background load as the model run
    return dict(model=kind + (' NHWC' if channels_last else ''), lr=f'{h}x{w}', hr=f'{h * model.scale}x{w * model.scale}', params=params,
                ms_per_frame=t * 1e3, gflop_per_frame=flops / 1e9, gflops=flops / t / 1e9,
                peak_mem_mb=peak_rss - base_rss, **pk)


class _Timed:
    """Accumulates the wall time of calls to a bound method it replaces."""

    def __init__(self, obj, name: str, store: dict, key: str):
        fn = getattr(obj, name)

        @functools.wraps(fn)
        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                store.setdefault(key, []).append(time.perf_counter() - t0)
        setattr(obj, name, timed)


def train_split(config: str, stage: str, iters: int, skip: int = 5) -> dict:
    """Per-iteration times of the config's real training loop in one stage."""
    from mmengine.hooks import Hook
    from mmengine.runner import Runner
    from vsrkit.engine.config import load_config
    from vsrkit.engine.runner_utils import configure_run
    from vsrkit.utils.checkpoint import patch_mmengine

    patch_mmengine()
    work = tempfile.mkdtemp(prefix='bench_train_')
    cfg = configure_run(load_config(config), config, work)
    hook = next(h for h in cfg.custom_hooks if h['type'] == 'StageHook')
    chosen = [st for st in hook['stages'] if st['name'] == stage]
    if not chosen:
        raise SystemExit(f'{config}: no stage {stage!r} in its StageHook')
    hook['stages'] = [dict(chosen[0], begin=0)]
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=iters + 1)
    store: dict = {}

    class SplitHook(Hook):
        priority = 'VERY_LOW'

        def before_train(self, runner):
            model = runner.model
            _Timed(model.data_preprocessor, 'forward', store, 'preprocess')
            _Timed(model, 'forward', store, 'forward')
            for name in ('backward', 'step', 'zero_grad'):
                _Timed(runner.optim_wrapper, name, store, name)

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            hub = runner.message_hub
            store.setdefault('iter', []).append(hub.get_scalar('train/time').current())
            store.setdefault('data', []).append(hub.get_scalar('train/data_time').current())

    runner = Runner.from_cfg(cfg)
    runner.register_hook(SplitHook())
    runner.train()
    mean = {k: statistics.mean(v[skip:]) for k, v in store.items()}
    parts = ('data', 'preprocess', 'forward', 'backward', 'step', 'zero_grad')
    mean['overhead'] = mean['iter'] - sum(mean[k] for k in parts)
    return dict(config=config, stage=stage, iters=iters - skip,
                batch=cfg.train_dataloader.batch_size, **{k: mean[k] * 1e3 for k in mean})


def run_child(args: list[str], threads: int) -> dict:
    """Run one measurement in a fresh process (clean peak-memory figure), parse its JSON line."""
    cmd = [sys.executable, __file__, *args, '--threads', str(threads), '--json']
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('what', choices=['peak', 'infer', 'train', 'all'])
    ap.add_argument('--model', choices=['default', 'demo'], default='demo')
    ap.add_argument('--size', default='180x320', help='LR input HxW')
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--channels-last', action='store_true', help='infer: NHWC weights')
    ap.add_argument('--config', default='configs/spmc/spmc_x4_demo.py')
    ap.add_argument('--stage', default='joint')
    ap.add_argument('--iters', type=int, default=30)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--json', action='store_true', help='print one JSON line (used by "all")')
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.what == 'peak':
        res = peak()
    elif args.what == 'infer':
        h, w = (int(v) for v in args.size.lower().split('x'))
        res = infer(args.model, h, w, args.reps, args.channels_last)
    elif args.what == 'train':
        res = train_split(args.config, args.stage, args.iters)
    if args.what != 'all':
        print(json.dumps(res) if args.json else '\n'.join(f'{k}: {v}' for k, v in res.items()))
        return

    print(f'torch {torch.__version__}, {args.threads} threads, fp32; load average before: '
          f'{open("/proc/loadavg").read().split()[:3]}')
    pk = run_child(['peak'], args.threads)
    print(f"\nmachine peak: matmul 2048^3 {pk['matmul_gflops']:.1f} GFLOP/s, "
          f"conv3x3 64->64 @256x256 {pk['conv3x3_gflops']:.1f} GFLOP/s")
    print('\n| model | LR in | HR out | params | ms/frame | GFLOP/frame | GFLOP/s | conv / matmul peak '
          '| % of conv peak | peak mem MB |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    for model, size, reps, extra in (('demo', '180x320', args.reps, []),
                                     ('demo', '180x320', args.reps, ['--channels-last']),
                                     ('demo', '360x640', args.reps, []),
                                     ('demo', '360x640', args.reps, ['--channels-last']),
                                     ('default', '180x320', 1, [])):
        r = run_child(['infer', '--model', model, '--size', size, '--reps', str(reps), *extra],
                      args.threads)
        print(f"| {r['model']} | {r['lr']} | {r['hr']} | {r['params']:,} | {r['ms_per_frame']:.0f} "
              f"| {r['gflop_per_frame']:.1f} | {r['gflops']:.1f} "
              f"| {r['conv3x3_gflops']:.1f} / {r['matmul_gflops']:.1f} "
              f"| {100 * r['gflops'] / r['conv3x3_gflops']:.0f}% | {r['peak_mem_mb']:.0f} |", flush=True)
    print('\n| config | stage | batch | iter ms | data | preprocess | forward | backward | step | zero_grad '
          '| overhead | overhead % |')
    print('|---|---|---|---|---|---|---|---|---|---|---|---|')
    for stage in ('motion', 'fusion', 'joint'):
        r = run_child(['train', '--config', args.config, '--stage', stage, '--iters', str(args.iters)],
                      args.threads)
        print(f"| {os.path.basename(r['config'])} | {stage} | {r['batch']} | {r['iter']:.0f} | "
              + ' | '.join(f"{r[k]:.0f}" for k in ('data', 'preprocess', 'forward', 'backward', 'step',
                                                   'zero_grad', 'overhead'))
              + f" | {100 * r['overhead'] / r['iter']:.1f}% |", flush=True)


if __name__ == '__main__':
    main()
