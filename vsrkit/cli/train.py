"""Train a model from a config: ``python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]]
[--cfg-options k=v ...] [--launcher none|pytorch]`` (installed as ``vsrkit-train``).

Distributed: ``torchrun --nproc_per_node=2 tools/train.py CONFIG --launcher pytorch``
(gloo on the CPU, nccl on GPUs).
"""
from __future__ import annotations

import argparse
import sys

from mmengine.config import DictAction

from . import entry_point, load_checked_config


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog='train.py', description='Train a vsrkit model.')
    p.add_argument('config', help='config file, e.g. configs/spmc/spmc_x4_demo.py')
    p.add_argument('--work-dir', help='where logs and checkpoints go (default work_dirs/<config>)')
    p.add_argument('--resume', nargs='?', const='auto', default=None, metavar='CKPT',
                   help='resume from CKPT, or from the latest checkpoint in the work dir if no CKPT')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, metavar='KEY=VALUE',
                   help="override config keys, e.g. train_cfg.max_iters=100 'model.num_frames=5'")
    p.add_argument('--launcher', choices=['none', 'pytorch'], default='none',
                   help='pytorch: distributed data-parallel under torchrun')
    p.add_argument('--local-rank', '--local_rank', type=int, default=0, help=argparse.SUPPRESS)
    return p.parse_args(argv)


@entry_point('train.py')
def main(argv=None) -> None:
    args = parse_args(argv)
    from mmengine.runner import Runner

    from vsrkit.engine.runner_utils import configure_run
    cfg = load_checked_config(args.config, args.cfg_options)
    configure_run(cfg, args.config, args.work_dir, args.launcher)
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    Runner.from_cfg(cfg).train()


if __name__ == '__main__':
    sys.exit(main())
