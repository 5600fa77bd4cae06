"""Time to the first resumed iteration: mmengine's replaying loop against NoReplayIterBasedTrainLoop.

    python tools/benchmarks/bench_resume.py [--config configs/spmc/spmc_x4_demo.py]
        [--at 500 1000 2000 10000] [--loops replay noreplay]

1. Trains ``--config`` for one iteration (validation off) and keeps its checkpoint.
2. Makes it the checkpoint of iteration N for each ``--at``: ``meta.iter`` and the message
   hub's ``iter`` and ``train_sample_position`` (N x batch size, one process) are set, nothing
   else (the weights stay those of iteration 1: what is timed is the loop's resume, not the model;
   training N iterations first would take hours on a CPU).
3. Runs ``tools/train.py CONFIG --resume CKPT`` to iteration N + 1 with each loop (``replay``:
   mmengine's ``IterBasedTrainLoop``, which loads and discards the N trained batches;
   ``noreplay``: ``NoReplayIterBasedTrainLoop``) and reads its log as it is written:

   - ``resumed``: seconds from the launch to mmengine's 'resumed epoch: ..., iter: N' line
     (interpreter start, imports, building the runner, loading the checkpoint);
   - ``first iter``: seconds from the launch to the log line of iteration N + 1 (logger
     interval 1), i.e. the time to the first resumed iteration;
   - ``resume -> first``: the difference (the replay, for ``replay``).

The figures of docs/RELIABILITY.md; run it alone (the CPU is shared, see run_benchmarks.sh's lock).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import torch

from vsrkit.utils.checkpoint import load_checkpoint_file, patch_mmengine

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOOPS = dict(replay='IterBasedTrainLoop', noreplay='NoReplayIterBasedTrainLoop')
NO_VAL = ['val_dataloader=None', 'val_cfg=None', 'val_evaluator=None']


def train(config: str, work: str, *options: str, resume: str | None = None, watch=()) -> dict:
    """Run tools/train.py; return {pattern: seconds from launch to the first line holding it}."""
    cmd = [sys.executable, os.path.join(ROOT, 'tools', 'train.py'), config, '--work-dir', work]
    cmd += ['--resume', resume] if resume else []
    cmd += ['--cfg-options', 'default_hooks.logger.interval=1', *NO_VAL, *options]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen, tail = {}, []
    for line in proc.stdout:
        tail = (tail + [line])[-30:]
        for pattern in watch:
            if pattern not in seen and pattern in line:
                seen[pattern] = time.perf_counter() - t0
    if proc.wait() != 0:
        raise SystemExit(f'bench_resume: {" ".join(cmd)} failed:\n{"".join(tail)}')
    return seen


def checkpoint_at(src: str, dst: str, iters: int, batch_size: int) -> None:
    """The checkpoint ``src`` relabelled as that of iteration ``iters`` (see module docstring)."""
    patch_mmengine()  # as the tools: HistoryBuffers saved without their bound methods
    ckpt = load_checkpoint_file(src)
    ckpt['meta']['iter'] = iters
    info = ckpt['message_hub']['runtime_info']
    info['iter'] = iters
    info['train_sample_position'] = iters * batch_size
    torch.save(ckpt, dst)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--config', default='configs/spmc/spmc_x4_demo.py')
    p.add_argument('--at', type=int, nargs='+', default=[500, 1000, 2000, 10000])
    p.add_argument('--loops', nargs='+', choices=sorted(LOOPS), default=['replay', 'noreplay'])
    args = p.parse_args(argv)
    from mmengine.config import Config
    batch_size = Config.fromfile(os.path.join(ROOT, args.config)).train_dataloader.batch_size
    with tempfile.TemporaryDirectory(prefix='bench_resume_') as tmp:
        train(args.config, os.path.join(tmp, 'first'), 'train_cfg.max_iters=1', 'experiment_name=first')
        print(f'| {args.config} | resumed at | loop | resumed (s) | first iter (s) | resume -> first (s) |')
        print('|---|---:|---|---:|---:|---:|')
        for n in args.at:
            ckpt = os.path.join(tmp, f'iter_{n}.pth')
            checkpoint_at(os.path.join(tmp, 'first', 'iter_1.pth'), ckpt, n, batch_size)
            for loop in args.loops:
                work = os.path.join(tmp, f'{loop}_{n}')
                seen = train(args.config, work, f'train_cfg.type={LOOPS[loop]}', f'train_cfg.max_iters={n + 1}',
                             f'experiment_name={loop}_{n}', resume=ckpt,
                             watch=(f'resumed epoch: 0, iter: {n}', f'Iter(train) [{n + 1}/'))
                resumed, first = seen[f'resumed epoch: 0, iter: {n}'], seen[f'Iter(train) [{n + 1}/']
                print(f'| | {n} | {loop} | {resumed:.1f} | {first:.1f} | {first - resumed:.1f} |', flush=True)


if __name__ == '__main__':
    main()
