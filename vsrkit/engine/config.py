"""Configs in: :func:`load_config` reads one (errors name the file) and :func:`check_config`
validates it before anything runs: fail in a second, before any data is read or any weight
trained, with one line naming the config key at fault and what is allowed.

mmengine builds the model in ``Runner.__init__`` but datasets, hooks and the optimizer
only inside ``runner.train()``, and a scale that disagrees between data and model only
surfaces at the first forward pass as a shape error from deep inside the model. So every
command-line tool that takes a config calls :func:`check_config` right after reading it
(:func:`vsrkit.cli.load_checked_config`). It checks:

- every component ``type`` (model and its nested parts, datasets, their pipelines,
  samplers, hooks, optimizer wrapper, optimizer, schedulers, loops, metrics) is
  registered, suggesting the closest name;
- every argument of those components is one their constructor accepts;
- the data agree with the model: ``scale`` and ``num_frames`` of every dataset and
  ``PairedRandomCrop``, and the colour channels (``RGBToY`` in the pipelines iff
  ``model.in_channels == 1``);
- every ``StageHook`` stage names modules the (built) model has;
- ``NonFiniteLossHook`` comes with ``NonFiniteGuardOptimWrapper``.
"""
from __future__ import annotations

import copy
import inspect
import os.path as osp
from typing import Iterator, Optional

from mmengine.config import Config

from vsrkit.registry import (DATA_SAMPLERS, DATASETS, HOOKS, LOG_PROCESSORS, LOOPS, METRICS,
                             MODELS, OPTIM_WRAPPERS, OPTIMIZERS, PARAM_SCHEDULERS, TRANSFORMS,
                             ConfigError, vsrkit_scope)

# Arguments the runner (or a builder) passes itself, per registry.
_PASSED_BY_RUNNER = {
    'data sampler': {'dataset', 'seed'},
    'optim_wrapper': {'optimizer'},
    'optimizer': {'params'},
    'parameter scheduler': {'optimizer'},
    'loop': {'runner', 'dataloader', 'evaluator'},
}
# Keys consumed by a builder before the constructor sees them.
_CONSUMED = {'optim_wrapper': {'constructor', 'paramwise_cfg'}}
# Nested dicts with a ``type`` that belong to another registry (not checked here).
_FOREIGN_KEYS = {'init_cfg'}


def load_config(config, cfg_options: Optional[dict] = None) -> Config:
    """A config from a file (``_base_`` inheritance), a :class:`mmengine.Config` or a dict,
    with ``--cfg-options`` merged in; a one-line :class:`ConfigError` naming the file when it
    is missing, cannot be read, or the options do not fit it."""
    if isinstance(config, Config):
        cfg, name = config, config.filename or 'config'
    elif isinstance(config, dict):
        cfg, name = Config(config), 'config'
    else:
        name = str(config)
        if not osp.isfile(name):
            raise ConfigError(f'{name}: config file not found')
        try:
            cfg = Config.fromfile(name)
        except Exception as err:  # the config is user code: any error in it is a config error
            raise ConfigError(f'{name}: cannot read config ({type(err).__name__}: '
                              f'{str(err).splitlines()[0] if str(err) else ""})') from None
    if cfg_options:
        try:
            cfg.merge_from_dict(cfg_options)
        except (TypeError, KeyError, ValueError) as err:
            raise ConfigError(f'{name}: --cfg-options {" ".join(f"{k}={v}" for k, v in cfg_options.items())} '
                              f'cannot be applied ({str(err).splitlines()[0][:300]})') from None
    return cfg


def check_component(cfg, registry, key: str, nested: bool = False):
    """Check one ``dict(type=..., **args)`` against ``registry`` (:meth:`VSRRegistry.check`);
    returns the class (or None if ``cfg`` is not such a dict). With ``nested``, dict
    arguments that carry a ``type`` are checked against the same registry."""
    obj = registry.check(cfg, key, passed_by_caller=_PASSED_BY_RUNNER.get(registry.name, ()),
                         consumed=_CONSUMED.get(registry.name, ()))
    if obj is not None and nested:
        for arg, value in cfg.items():
            if arg not in _FOREIGN_KEYS:
                check_component(value, registry, f'{key}.{arg}', nested=True)
    return obj


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _arg(cfg: dict, cls, name: str):
    """The value ``cls`` will get for ``name``: the config's, else the constructor default."""
    if name in cfg:
        return cfg[name]
    if cls is None:
        return None
    param = inspect.signature(cls).parameters.get(name)
    return None if param is None or param.default is param.empty else param.default


def _check_data(cfg, model_cfg: dict, model_cls) -> None:
    scale = _arg(model_cfg, model_cls, 'scale')
    frames = _arg(model_cfg, model_cls, 'num_frames')
    channels = _arg(model_cfg, model_cls, 'in_channels')
    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        if not isinstance(loader, dict):
            continue
        where = f'{split}_dataloader'
        check_component(loader.get('sampler'), DATA_SAMPLERS, f'{where}.sampler')
        ds = loader.get('dataset')
        ds_cls = check_component(ds, DATASETS, f'{where}.dataset')
        if ds_cls is None:
            continue
        pipeline = _as_list(ds.get('pipeline', _arg(ds, ds_cls, 'pipeline')))
        types = []
        for i, t in enumerate(pipeline):
            check_component(t, TRANSFORMS, f'{where}.dataset.pipeline[{i}]')
            if isinstance(t, dict):
                types.append(t.get('type'))
                if t.get('type') == 'PairedRandomCrop' and scale is not None \
                        and t.get('scale') not in (None, scale):
                    raise ConfigError(f'{where}.dataset.pipeline[{i}].scale={t["scale"]} but '
                                      f'model.scale={scale}: they must agree')
        for name, want in (('scale', scale), ('num_frames', frames)):
            have = _arg(ds, ds_cls, name)
            if want is not None and have is not None and have != want:
                raise ConfigError(f'{where}.dataset.{name}={have} but model.{name}={want}: the data '
                                  f'must match the model (set both to {want}, or both to {have})')
        if channels is not None and types:
            to_y = 'RGBToY' in types
            if channels == 1 and not to_y:
                raise ConfigError(f'{where}.dataset.pipeline has no RGBToY but model.in_channels=1 '
                                  '(Y frames): add dict(type=\'RGBToY\') before PackVSRInputs')
            if channels == 3 and to_y:
                raise ConfigError(f'{where}.dataset.pipeline has RGBToY but model.in_channels=3 '
                                  '(RGB frames): remove RGBToY')


def _hook_cfgs(cfg) -> Iterator[tuple[str, dict]]:
    for name, hook in (cfg.get('default_hooks') or {}).items():
        if hook is not None:
            yield f'default_hooks.{name}', hook
    for i, hook in enumerate(_as_list(cfg.get('custom_hooks'))):
        yield f'custom_hooks[{i}]', hook


def check_config(cfg, build_model: bool = True) -> None:
    """Raise a one-line :class:`ConfigError` for the first problem found in ``cfg``.

    ``build_model`` also builds the model (cheap: no data, weights on the CPU) to check
    the module names of the ``StageHook`` stages against it.
    """
    model_cfg = cfg.get('model')
    if not isinstance(model_cfg, dict):
        raise ConfigError(f'model: the config needs a model dict, got {model_cfg!r}')
    model_cls = check_component(model_cfg, MODELS, 'model', nested=True)
    _check_data(cfg, model_cfg, model_cls)

    hooks = list(_hook_cfgs(cfg))
    hook_classes = {key: check_component(h, HOOKS, key) for key, h in hooks}
    wrapper = cfg.get('optim_wrapper')
    wrapper_cls = None
    if isinstance(wrapper, dict):
        wrapper_cls = check_component({'type': 'OptimWrapper', **wrapper}, OPTIM_WRAPPERS,
                                      'optim_wrapper')
        check_component(wrapper.get('optimizer'), OPTIMIZERS, 'optim_wrapper.optimizer')
    for i, sched in enumerate(_as_list(cfg.get('param_scheduler'))):
        check_component(sched, PARAM_SCHEDULERS, f'param_scheduler[{i}]')
    for key in ('train_cfg', 'val_cfg', 'test_cfg'):
        check_component(cfg.get(key), LOOPS, key)
    for key in ('val_evaluator', 'test_evaluator'):
        for i, metric in enumerate(_as_list(cfg.get(key))):
            check_component(metric, METRICS, f'{key}[{i}]')
    check_component(cfg.get('log_processor'), LOG_PROCESSORS, 'log_processor')

    from .nonfinite import NonFiniteGuardOptimWrapper, NonFiniteLossHook
    from .hooks import StageHook
    for key, cls in hook_classes.items():
        # (a config without optim_wrapper is a test-only one: the hook never runs)
        if cls is not None and issubclass(cls, NonFiniteLossHook) and wrapper_cls is not None \
                and not issubclass(wrapper_cls, NonFiniteGuardOptimWrapper):
            raise ConfigError(f"{key}: NonFiniteLossHook needs optim_wrapper.type="
                              f"'NonFiniteGuardOptimWrapper', got "
                              f"'{getattr(wrapper_cls, '__name__', wrapper_cls)}'")
    stage_hooks = [(key, h) for key, h in hooks if hook_classes[key] is not None
                   and issubclass(hook_classes[key], StageHook)]
    if build_model and stage_hooks:
        with vsrkit_scope():
            model = MODELS.build(copy.deepcopy(model_cfg))
        for key, h in stage_hooks:
            try:
                StageHook(**{k: v for k, v in h.items() if k not in ('type', 'priority')}
                          )._check_model(model)
            except ConfigError as err:
                raise ConfigError(f'{key}.stages: {err}') from None
