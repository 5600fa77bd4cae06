"""Evaluate a checkpoint on a config's test set: ``python tools/test.py CONFIG CKPT
[--test-set NAME] [--out results.json] [--work-dir DIR] [--cfg-options k=v ...]
[--launcher none|pytorch]`` (installed as ``vsrkit-test``).

Prints the metrics (PSNR / SSIM on Y, per clip and averaged) and writes them as JSON to --out.
``--test-set NAME`` evaluates on one of the config's extra test sets instead,
``test_sets = dict(NAME=dict(dataloader=..., evaluator=...))`` (the demo configs define
``known_shift``, the known-motion test).
"""
from __future__ import annotations

import argparse
import json
import os
import os.path as osp
import sys

from mmengine.config import DictAction

from vsrkit.errors import CheckpointError, ConfigError

from . import entry_point, load_checked_config


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog='test.py', description='Test a vsrkit checkpoint.')
    p.add_argument('config', help='config file the checkpoint was trained with')
    p.add_argument('checkpoint', help="checkpoint file (.pth); 'none' for a model without "
                   'parameters (BicubicVSR)')
    p.add_argument('--test-set', metavar='NAME',
                   help="evaluate on the config's test_sets[NAME] instead of test_dataloader")
    p.add_argument('--out', help='write the metrics to this JSON file')
    p.add_argument('--work-dir', help='where the test log goes (default work_dirs/<config>)')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, metavar='KEY=VALUE',
                   help='override config keys')
    p.add_argument('--launcher', choices=['none', 'pytorch'], default='none')
    p.add_argument('--local-rank', '--local_rank', type=int, default=0, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def select_test_set(cfg, config: str, name: str) -> None:
    """Make ``cfg.test_sets[name]`` (its ``dataloader`` and ``evaluator``) the test set."""
    sets = cfg.get('test_sets') or {}
    if name not in sets:
        raise ConfigError(f'{config}: no test set {name!r} in test_sets '
                          f'(it has: {", ".join(sets) or "none"})')
    for key in ('dataloader', 'evaluator'):
        if key not in sets[name]:
            raise ConfigError(f'{config}: test_sets.{name} has no {key!r}')
    cfg.test_dataloader, cfg.test_evaluator = sets[name]['dataloader'], sets[name]['evaluator']


@entry_point('test.py')
def main(argv=None) -> None:
    args = parse_args(argv)
    from mmengine.dist import is_main_process
    from mmengine.runner import Runner

    from vsrkit.engine.runner_utils import configure_run
    no_ckpt = args.checkpoint.lower() == 'none'
    if not no_ckpt and not osp.isfile(args.checkpoint):
        raise CheckpointError(f'{args.checkpoint}: checkpoint file not found')
    cfg = load_checked_config(args.config, args.cfg_options)
    if args.test_set:
        select_test_set(cfg, args.config, args.test_set)
    for key in ('test_dataloader', 'test_evaluator'):
        if cfg.get(key) is None:
            raise ConfigError(f'{args.config}: no {key!r}; tools/test.py needs a test set and metrics')
    configure_run(cfg, args.config, args.work_dir, args.launcher)
    cfg.load_from, cfg.resume = (None if no_ckpt else args.checkpoint), False
    if cfg.get('test_cfg') is None:
        cfg.test_cfg = dict(type='TestLoop')
    runner = Runner.from_cfg(cfg)
    if no_ckpt and any(True for _ in runner.model.parameters()):
        raise CheckpointError(f'{type(runner.model).__name__} has parameters: '
                              "give its checkpoint instead of 'none'")
    metrics = runner.test()
    if is_main_process():
        for key, value in metrics.items():
            print(f'{key:>24s}: {value:.4f}' if isinstance(value, float) else f'{key:>24s}: {value}')
        if args.out:
            os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
            with open(args.out, 'w') as f:
                json.dump(dict(config=args.config, checkpoint=args.checkpoint,
                               test_set=args.test_set, metrics=metrics), f, indent=2)
            print(f'metrics written to {args.out}')


if __name__ == '__main__':
    sys.exit(main())
