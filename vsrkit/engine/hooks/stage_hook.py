"""StageHook: the paper's staged training protocol as data in the config.

A stage is ``dict(name, begin, trainable=[top-level module names], loss_weights=dict(...))``;
it lasts from iteration ``begin`` until the next stage's ``begin``. Entering a stage sets
``requires_grad`` (True exactly for the parameters under the ``trainable`` modules), clears
the gradients of frozen parameters, calls ``model.set_loss_weights`` and logs one line.

Why this is enough to keep frozen parameters fixed: torch's Adam/AdamW (and SGD) skip every
parameter whose ``grad`` is None, weight decay and momentum included; a frozen parameter gets
no gradient and mmengine's ``zero_grad`` sets gradients to None. The optimizer is built once
over the whole model, so stage switches never rebuild it and its state survives resume.

Loss weights accumulate over stages (a later stage overrides only the weights it names), and
the hook always passes the full accumulated dict, so a run resumed in stage k sees exactly the
weights an uninterrupted run would.
"""
from __future__ import annotations

from typing import Optional, Sequence

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from vsrkit.registry import HOOKS, ConfigError

_STAGE_KEYS = {'name', 'begin', 'trainable', 'loss_weights'}


def _unwrap(model):
    return model.module if is_model_wrapper(model) else model


@HOOKS.register_module()
class StageHook(Hook):
    """Switch trainable modules and loss weights at configured iterations.

    Args:
        stages: list of ``dict(name=str, begin=int, trainable=list[str], loss_weights=dict)``
            with strictly increasing ``begin``, the first at 0. ``trainable`` names top-level
            submodules of the model (e.g. ``'motion'``, ``'fusion'``); all other parameters
            are frozen during the stage. ``loss_weights`` is optional.
    """

    # Before the optimizer hooks and the checkpoint hook: the stage is set up before the
    # iteration's forward pass.
    priority = 'ABOVE_NORMAL'

    def __init__(self, stages: Sequence[dict]):
        self.stages = self._check_stages(stages)
        self.current: Optional[int] = None

    @staticmethod
    def _check_stages(stages) -> list:
        if not isinstance(stages, (list, tuple)) or not stages:
            raise ConfigError(f'StageHook: stages must be a non-empty list of dicts, got {stages!r}')
        out = []
        for i, st in enumerate(stages):
            where = f'StageHook: stages[{i}]'
            if not isinstance(st, dict):
                raise ConfigError(f'{where} must be a dict, got {st!r}')
            unknown = set(st) - _STAGE_KEYS
            if unknown:
                raise ConfigError(f'{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(_STAGE_KEYS)}')
            for key in ('name', 'begin', 'trainable'):
                if key not in st:
                    raise ConfigError(f'{where} lacks {key!r}')
            begin, trainable = st['begin'], st['trainable']
            if not isinstance(begin, int) or isinstance(begin, bool) or begin < 0:
                raise ConfigError(f'{where} ({st["name"]}): begin must be an int >= 0, got {begin!r}')
            if isinstance(trainable, str) or not all(isinstance(t, str) for t in trainable):
                raise ConfigError(f'{where} ({st["name"]}): trainable must be a list of module names, '
                                  f'got {trainable!r}')
            weights = st.get('loss_weights') or {}
            if not isinstance(weights, dict):
                raise ConfigError(f'{where} ({st["name"]}): loss_weights must be a dict, got {weights!r}')
            out.append(dict(name=str(st['name']), begin=begin, trainable=list(trainable),
                            loss_weights=dict(weights)))
        if out[0]['begin'] != 0:
            raise ConfigError(f"StageHook: the first stage ({out[0]['name']}) must begin at 0, "
                              f"got {out[0]['begin']}")
        for prev, nxt in zip(out, out[1:]):
            if nxt['begin'] <= prev['begin']:
                raise ConfigError(f"StageHook: stages overlap: '{nxt['name']}' begins at {nxt['begin']}, "
                                  f"not after '{prev['name']}' (begin {prev['begin']}); "
                                  'begins must be strictly increasing')
        names = [st['name'] for st in out]
        if len(set(names)) != len(names):
            raise ConfigError(f'StageHook: duplicate stage names in {names}')
        # Accumulated weights: what each stage actually trains with.
        acc: dict = {}
        for st in out:
            acc = {**acc, **st['loss_weights']}
            st['effective_loss_weights'] = dict(acc)
        return out

    def stage_index(self, it: int) -> int:
        """Index of the stage that trains iteration ``it`` (0-based)."""
        idx = 0
        for i, st in enumerate(self.stages):
            if st['begin'] <= it:
                idx = i
        return idx

    def _check_model(self, model) -> None:
        top = sorted({n.split('.')[0] for n, _ in model.named_parameters()}
                     | {n for n, _ in model.named_children()})
        for st in self.stages:
            bad = [t for t in st['trainable'] if t not in top]
            if bad:
                raise ConfigError(f"StageHook: stage '{st['name']}' names unknown module(s) {bad}; "
                                  f'the model ({type(model).__name__}) has: {top}')
        weighted = any(st['loss_weights'] for st in self.stages)
        if weighted and not callable(getattr(model, 'set_loss_weights', None)):
            raise ConfigError(f'StageHook: stages set loss_weights but {type(model).__name__} '
                              'has no set_loss_weights()')
        if weighted:  # let the model reject unknown loss names now, not at iteration 70k
            for st in self.stages:
                model.set_loss_weights(dict(st['effective_loss_weights']))

    def _enter(self, runner, idx: int, reason: str) -> None:
        model = _unwrap(runner.model)
        st = self.stages[idx]
        trainable = set(st['trainable'])
        for name, param in model.named_parameters():
            on = name.split('.')[0] in trainable
            param.requires_grad_(on)
            if not on:
                param.grad = None  # a stale gradient would let the optimizer move it
        if st['effective_loss_weights']:
            model.set_loss_weights(dict(st['effective_loss_weights']))
        frozen = sorted({n.split('.')[0] for n, p in model.named_parameters() if not p.requires_grad})
        end = self.stages[idx + 1]['begin'] if idx + 1 < len(self.stages) else None
        runner.message_hub.update_info('stage', st['name'])
        runner.logger.info(
            f"StageHook: {reason} at iter {runner.iter}: stage {idx + 1}/{len(self.stages)} "
            f"'{st['name']}' (iters {st['begin']}-{'end' if end is None else end - 1}); "
            f"trainable: {sorted(trainable)}, frozen: {frozen}, "
            f"loss weights: {st['effective_loss_weights']}")
        self.current = idx

    def before_train(self, runner) -> None:
        # On resume mmengine has already restored runner.iter: this re-applies its stage.
        self._check_model(_unwrap(runner.model))
        self.current = None
        self._enter(runner, self.stage_index(runner.iter),
                    'resumed' if runner.iter > 0 else 'start')

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        idx = self.stage_index(runner.iter)
        if idx != self.current:
            self._enter(runner, idx, 'stage change')
