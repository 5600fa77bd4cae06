"""Test-only hooks for the 2-process fault tests, imported by their configs (custom_imports)."""
import json
import os

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook

from vsrkit.registry import HOOKS


@HOOKS.register_module()
class PoisonBatchHook(Hook):
    """Fills rank ``rank``'s input batch with NaN at the given (1-based) iterations."""

    def __init__(self, rank: int, iters):
        self.rank, self.iters = rank, set(iters)

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if get_rank() == self.rank and runner.iter + 1 in self.iters:
            inputs = data_batch['inputs']
            for t in (inputs if isinstance(inputs, (list, tuple)) else [inputs]):
                t.fill_(float('nan'))


@HOOKS.register_module()
class RankRecordHook(Hook):
    """Each rank writes its pid (``rank<r>.pid``) and, after every iteration, one JSON line to
    ``rank<r>.jsonl``: iteration, skipped steps so far, and a checksum of its weights."""

    priority = 'LOWEST'

    def before_train(self, runner):
        with open(os.path.join(runner.work_dir, f'rank{get_rank()}.pid'), 'w') as f:
            f.write(str(os.getpid()))

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        params = [p.detach().double() for p in runner.model.parameters()]
        row = dict(iter=runner.iter + 1, skipped=runner.optim_wrapper.skipped_steps,
                   weights=float(sum((p * (k + 1)).sum() for k, p in enumerate(params))))
        with open(os.path.join(runner.work_dir, f'rank{get_rank()}.jsonl'), 'a') as f:
            f.write(json.dumps(row) + '\n')
