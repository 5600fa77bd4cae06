"""Mixed-precision training that keeps the non-finite guard: ``AmpGuardOptimWrapper``.

The switch, in a config (see configs/spmc/spmc_x4_3f_lmdb_amp.py) or on the command line::

    optim_wrapper = dict(type='AmpGuardOptimWrapper', dtype='bfloat16')   # or 'float16'
    --cfg-options optim_wrapper.type=AmpGuardOptimWrapper optim_wrapper.dtype=float16

(mmengine's own ``AmpOptimWrapper`` refuses to run without a GPU and knows nothing of the
guard; this one runs wherever ``torch.autocast`` does, so the CPU tests exercise it too.)
"""
from __future__ import annotations

from contextlib import contextmanager

import torch

from vsrkit.registry import OPTIM_WRAPPERS, ConfigError

from .nonfinite import NonFiniteGuardOptimWrapper

DTYPES = {'bfloat16': torch.bfloat16, 'float16': torch.float16}


@OPTIM_WRAPPERS.register_module()
class AmpGuardOptimWrapper(NonFiniteGuardOptimWrapper):
    """:class:`NonFiniteGuardOptimWrapper` whose forward runs under ``torch.autocast``.

    - ``bfloat16``: autocast only (bf16 has float32's exponent range: no loss scaling).
    - ``float16``: autocast and a dynamic ``torch.amp.GradScaler``: the loss is scaled before
      backward; the gradients are unscaled before the finiteness check, the clipping and the
      step. A step whose scaled gradients overflowed is dropped and the scale lowered, the
      normal course of fp16 training, so it does not count as a bad step while the scale is at
      least ``min_loss_scale``; below that the gradients are non-finite at any scale, and such
      steps count (``NonFiniteLossHook`` then stops the run after its limit).

    Precision-critical ops (the warps, the SPMC splat and its weight sums, MATLAB bicubic, the
    flow outputs) run in float32 inside autocast (:func:`vsrkit.ops.precision.float32_op`).
    The scaler's state is saved in checkpoints (``state_dict()['loss_scaler']``).

    Args:
        dtype: 'bfloat16' or 'float16'.
        loss_scale: float16 only: 'dynamic', or a dict of ``GradScaler`` arguments
            (``init_scale``, ``growth_interval``, ...).
        min_loss_scale: see above.
        **kwargs: those of :class:`NonFiniteGuardOptimWrapper` (``optimizer``, ...).

    Attributes:
        overflow_steps: steps dropped by the fp16 scaler (not counted as bad).
    """

    def __init__(self, *args, dtype: str = 'bfloat16', loss_scale='dynamic',
                 min_loss_scale: float = 1.0, **kwargs):
        super().__init__(*args, **kwargs)
        if dtype not in DTYPES:
            raise ConfigError(f'AmpGuardOptimWrapper: dtype must be one of {sorted(DTYPES)}, '
                              f'got {dtype!r}')
        if loss_scale != 'dynamic' and not isinstance(loss_scale, dict):
            raise ConfigError("AmpGuardOptimWrapper: loss_scale must be 'dynamic' or a dict of "
                              f'GradScaler arguments, got {loss_scale!r}')
        self.dtype = DTYPES[dtype]
        params = [p for g in self.optimizer.param_groups for p in g['params']]
        self.device_type = params[0].device.type if params else 'cpu'
        self.loss_scaler = None
        if self.dtype == torch.float16:
            self.loss_scaler = torch.amp.GradScaler(
                self.device_type, **(loss_scale if isinstance(loss_scale, dict) else {}))
        self.min_loss_scale = float(min_loss_scale)
        self.overflow_steps = 0

    @contextmanager
    def optim_context(self, model):
        with super().optim_context(model), torch.autocast(self.device_type, dtype=self.dtype):
            yield

    def backward(self, loss: torch.Tensor, **kwargs) -> None:
        if self.loss_scaler is None:
            return super().backward(loss, **kwargs)
        self.loss_scaler.scale(loss).backward(**kwargs)
        self._inner_count += 1

    def _grads_finite(self) -> bool:
        if self.loss_scaler is not None:
            self.loss_scaler.unscale_(self.optimizer)  # true gradients for the check and clipping
        return super()._grads_finite()

    def step(self, **kwargs) -> None:
        if self.loss_scaler is None:
            return super().step(**kwargs)
        self._clip_param_groups()
        if self.clip_grad_kwargs:
            self._clip_grad()
        self.loss_scaler.step(self.optimizer, **kwargs)
        self.loss_scaler.update()

    def _skip(self, what: str, zero_kwargs) -> None:
        if what == 'gradient' and self.loss_scaler is not None:
            self.loss_scaler.update()  # unscale_ recorded the overflow: this lowers the scale
            if self.loss_scaler.get_scale() >= self.min_loss_scale:
                self.overflow_steps += 1
                self.zero_grad(**(zero_kwargs or {}))
                self.message_hub.update_scalar('train/amp_overflow_steps', self.overflow_steps)
                return
        super()._skip(what, zero_kwargs)

    def state_dict(self) -> dict:
        state = super().state_dict()
        if self.loss_scaler is not None:
            state['loss_scaler'] = self.loss_scaler.state_dict()
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        state_dict = dict(state_dict)
        scaler_state = state_dict.pop('loss_scaler', None)
        if scaler_state is not None and self.loss_scaler is not None:
            self.loss_scaler.load_state_dict(scaler_state)
        super().load_state_dict(state_dict)
