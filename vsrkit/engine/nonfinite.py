"""Skip updates on NaN/Inf losses; stop the run, with a good checkpoint, when they persist.

``NonFiniteGuardOptimWrapper`` checks the loss before backward and the gradients
before the optimizer step: a non-finite one discards the step (no optimizer step,
gradients cleared), so parameters and optimizer state stay those of the last good
step. Both are enabled in ``configs/_base_`` (schedule and runtime).
``NonFiniteLossHook`` watches its counter and, after ``max_consecutive`` bad
steps in a row, saves ``last_good.pth`` in the work dir and stops training
with a one-line message.
"""
from __future__ import annotations

import os

import torch
import torch.distributed as dist
from mmengine.hooks import Hook
from mmengine.optim import OptimWrapper

from vsrkit.errors import NonFiniteLossError
from vsrkit.registry import HOOKS, OPTIM_WRAPPERS, ConfigError


@OPTIM_WRAPPERS.register_module()
class NonFiniteGuardOptimWrapper(OptimWrapper):
    """An ``OptimWrapper`` that skips the update when the loss or a gradient is NaN or Inf.

    A skipped step does no optimizer step (weights and optimizer moments untouched) and
    clears the gradients. Under distributed training the finiteness flag is all-reduced, so every
    rank skips the same steps and replicas stay identical.

    Attributes:
        skipped_steps: total number of discarded steps.
        consecutive_bad: discarded steps since the last good one.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.skipped_steps = 0
        self.consecutive_bad = 0
        self.last_bad = ''

    def update_params(self, loss: torch.Tensor, step_kwargs=None, zero_kwargs=None) -> None:
        if not self._all_finite([loss.detach()]):
            self._skip('loss', zero_kwargs)
            return
        loss = self.scale_loss(loss)
        self.backward(loss)
        if self.should_update():
            # A finite loss can still give NaN/Inf gradients (e.g. a sqrt at 0): one
            # such step would poison the weights and Adam's moments for good.
            if not self._grads_finite():
                self._skip('gradient', zero_kwargs)
                return
            self.step(**(step_kwargs or {}))
            self.zero_grad(**(zero_kwargs or {}))
            self.consecutive_bad = 0

    def step(self, **kwargs) -> None:
        """Clip the param groups that carry ``max_grad_norm``, then step.

        A param group gets ``max_grad_norm`` from the config's ``paramwise_cfg``, e.g.
        ``custom_keys={'fusion.temporal': dict(max_grad_norm=3.0)}``: the reference SPMC
        code clips only the ConvLSTM's gradients at global norm 3, leaving the rest free.
        All parameters sharing one ``max_grad_norm`` value are clipped by their joint norm.
        """
        self._clip_param_groups()
        super().step(**kwargs)

    def _grads_finite(self) -> bool:
        grads = [p.grad.detach() for g in self.optimizer.param_groups for p in g['params']
                 if p.grad is not None]
        return self._all_finite(grads)

    def _clip_param_groups(self) -> None:
        # mmengine's constructor makes one group per parameter: the global norm is over all
        # parameters that share a max_grad_norm value.
        buckets: dict[float, list] = {}
        for group in self.optimizer.param_groups:
            if group.get('max_grad_norm'):
                buckets.setdefault(float(group['max_grad_norm']), []).extend(
                    p for p in group['params'] if p.grad is not None)
        for max_norm, params in buckets.items():
            if params:
                torch.nn.utils.clip_grad_norm_(params, max_norm)

    @staticmethod
    def _all_finite(tensors) -> bool:
        """True iff every tensor is finite, on every rank (so all ranks skip together)."""
        device = tensors[0].device if tensors else torch.device('cpu')
        ok = torch.ones((), dtype=torch.int32, device=device)
        for t in tensors:
            ok = ok * torch.isfinite(t).all().to(torch.int32)
        if dist.is_available() and dist.is_initialized():
            dist.all_reduce(ok, op=dist.ReduceOp.MIN)
        return bool(ok.item())

    def _skip(self, what: str, zero_kwargs) -> None:
        self.skipped_steps += 1
        self.consecutive_bad += 1
        self.last_bad = what
        if what == 'loss':
            self._inner_count += 1  # backward was skipped: keep accumulation counting aligned
        # Drops this step's gradients (and a partly accumulated window: it holds bad ones).
        self.zero_grad(**(zero_kwargs or {}))
        self.message_hub.update_scalar('train/skipped_steps', self.skipped_steps)


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Stop after ``max_consecutive`` non-finite losses, keeping a good checkpoint.

    Requires ``optim_wrapper=dict(type='NonFiniteGuardOptimWrapper', ...)``.
    """

    priority = 'HIGH'

    def __init__(self, max_consecutive: int = 10):
        if max_consecutive < 1:
            raise ConfigError(f'NonFiniteLossHook: max_consecutive must be >= 1, got {max_consecutive}')
        self.max_consecutive = max_consecutive
        self._seen = 0

    def before_train(self, runner) -> None:
        if not isinstance(runner.optim_wrapper, NonFiniteGuardOptimWrapper):
            raise ConfigError('NonFiniteLossHook needs optim_wrapper.type='
                              f"'NonFiniteGuardOptimWrapper', got {type(runner.optim_wrapper).__name__}")

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        wrapper = runner.optim_wrapper
        if wrapper.skipped_steps == self._seen:  # this iteration was not skipped
            return
        self._seen = wrapper.skipped_steps
        runner.logger.warning(
            f'iter {runner.iter + 1}: non-finite {wrapper.last_bad}, update skipped '
            f'({wrapper.consecutive_bad} in a row, {wrapper.skipped_steps} in total)')
        if wrapper.consecutive_bad >= self.max_consecutive:
            # Skipped steps changed nothing, so the current weights are the last good ones.
            # by_epoch=False: meta records iter + 1 (the iterations done), as CheckpointHook's
            # iteration checkpoints do, so --resume from it continues at the right batch.
            runner.save_checkpoint(runner.work_dir, 'last_good.pth', save_optimizer=True,
                                   by_epoch=False)
            raise NonFiniteLossError(
                f'{wrapper.consecutive_bad} non-finite losses/gradients in a row at iter {runner.iter + 1}; '
                f'stopped. Last good state: {os.path.join(runner.work_dir, "last_good.pth")}')
