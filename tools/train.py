"""Train a model from a config: ``python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]]
[--cfg-options k=v ...] [--launcher none|pytorch]``.

Distributed: ``torchrun --nproc_per_node=2 tools/train.py CONFIG --launcher pytorch``
(gloo on the CPU, nccl on GPUs).
"""
import argparse
import sys

import vsrkit  # noqa: F401  (first: installs the weights-only checkpoint loading)
from mmengine.config import DictAction
from mmengine.runner import Runner

from vsrkit.datasets.errors import DataError
from vsrkit.engine.config_check import check_config
from vsrkit.engine.nonfinite import NonFiniteLossError
from vsrkit.engine.runner_utils import DistributedError, load_config
from vsrkit.registry import ConfigError
from vsrkit.utils.checkpoint import CheckpointError


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Train a vsrkit model.')
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


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        cfg = load_config(args.config, args.cfg_options, args.work_dir, args.launcher)
        check_config(cfg)  # pre-flight: bad types/arguments, data vs model, stage modules
        if args.resume == 'auto':
            cfg.resume, cfg.load_from = True, None
        elif args.resume is not None:
            cfg.resume, cfg.load_from = True, args.resume
        runner = Runner.from_cfg(cfg)
        runner.train()
    except (ConfigError, CheckpointError, DataError, NonFiniteLossError, DistributedError) as err:
        print(f'train.py: error: {_last_line(err)}', file=sys.stderr)
        return 1 if isinstance(err, NonFiniteLossError) else 2
    return 0


def _last_line(err: Exception) -> str:
    # An error raised in a DataLoader worker comes back with the worker's traceback in its
    # message; its last line is the original one-line message.
    lines = [ln for ln in str(err).splitlines() if ln.strip()]
    if len(lines) <= 1:
        return str(err)
    head, sep, rest = lines[-1].partition(': ')  # 'vsrkit.datasets.errors.DataError: <message>'
    return rest if sep and head.endswith(type(err).__name__) else lines[-1]


if __name__ == '__main__':
    sys.exit(main())
