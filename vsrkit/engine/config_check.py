"""Pre-flight config validation: fail in a second, before any data is read or any weight
trained, with one line naming the config key at fault and what is allowed.

mmengine builds the model in ``Runner.__init__`` but datasets, hooks and the optimizer
only inside ``runner.train()``, and a scale that disagrees between data and model only
surfaces at the first forward pass as a shape error from deep inside the model. So
``tools/train.py`` calls :func:`check_config` right after reading the config. It checks:

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
import difflib
import inspect
from typing import Any, Iterator, Optional

from mmengine.registry import DefaultScope, Registry

from vsrkit.registry import (DATA_SAMPLERS, DATASETS, HOOKS, LOG_PROCESSORS, LOOPS, METRICS,
                             MODELS, OPTIM_WRAPPERS, OPTIMIZERS, PARAM_SCHEDULERS, TRANSFORMS,
                             ConfigError)

# Arguments the runner (or a builder) passes itself, per registry.
_INJECTED = {
    'dataset': set(),
    'data sampler': {'dataset', 'seed'},
    'hook': set(),
    'optim_wrapper': {'optimizer'},
    'optimizer': {'params'},
    'parameter scheduler': {'optimizer'},
    'loop': {'runner', 'dataloader', 'evaluator'},
}
# Keys consumed by a builder before the constructor sees them.
_CONSUMED = {'optim_wrapper': {'constructor', 'paramwise_cfg'}}
# Nested dicts with a ``type`` that belong to another registry (not checked here).
_FOREIGN_KEYS = {'init_cfg'}


def _registry_chain(registry: Registry) -> Iterator[Registry]:
    while registry is not None:
        yield registry
        registry = registry.parent


def _registered_names(registry: Registry) -> list[str]:
    registry.import_from_location()
    return sorted({n for r in _registry_chain(registry) for n in r.module_dict})


def _suggest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ''


def accepted_args(obj) -> Optional[set[str]]:
    """Keyword arguments a class (or function) accepts; None if it takes ``**kwargs`` all the
    way down (then anything goes)."""
    if not inspect.isclass(obj):
        params = inspect.signature(obj).parameters
        if any(p.kind == p.VAR_KEYWORD for p in params.values()):
            return None
        return {n for n, p in params.items() if p.kind != p.VAR_POSITIONAL}
    names: set[str] = set()
    for klass in inspect.getmro(obj):  # follow **kwargs up to the class that takes them
        init = klass.__dict__.get('__init__')
        if init is None:
            continue
        try:
            params = inspect.signature(init).parameters
        except (TypeError, ValueError):
            return None
        names |= {n for n, p in params.items()
                  if n != 'self' and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
        if not any(p.kind == p.VAR_KEYWORD for p in params.values()):
            return names
    return None


def check_component(cfg: Any, registry: Registry, key: str, nested: bool = False):
    """Check one ``dict(type=..., **args)`` against ``registry``; returns the class (or None
    if ``cfg`` is not such a dict or its type is a class object). With ``nested``, dict
    arguments that carry a ``type`` are checked against the same registry."""
    if not isinstance(cfg, dict) or not isinstance(cfg.get('type'), str):
        return None
    name = cfg['type']
    with DefaultScope.overwrite_default_scope('vsrkit'):
        obj = registry.get(name)
    if obj is None:
        names = _registered_names(registry)
        raise ConfigError(f"{key}.type: unknown {registry.name} type '{name}'{_suggest(name, names)}; "
                          f'allowed: {", ".join(names)}')
    allowed = accepted_args(obj)
    if allowed is not None:
        given = set(cfg) - {'type'} - _CONSUMED.get(registry.name, set())
        bad = sorted(given - allowed)
        if bad:
            options = sorted(allowed - _INJECTED.get(registry.name, set()))
            raise ConfigError(f"{key}: {name} has no argument '{bad[0]}'{_suggest(bad[0], options)}; "
                              f'allowed: {", ".join(options)}')
    if nested:
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
        with DefaultScope.overwrite_default_scope('vsrkit'):
            model = MODELS.build(copy.deepcopy(model_cfg))
        for key, h in stage_hooks:
            try:
                StageHook(**{k: v for k, v in h.items() if k not in ('type', 'priority')}
                          )._check_model(model)
            except ConfigError as err:
                raise ConfigError(f'{key}.stages: {err}') from None
