"""vsrkit's registries: children of mmengine's roots under the scope ``vsrkit``.

Each registry knows the package that registers into it (``locations``), so
``MODELS.build(dict(type='SPMC', scale=4))`` works without importing
``vsrkit.models`` first. An unknown ``type`` or a misspelled argument fails
with a one-line message that names what is allowed (:meth:`VSRRegistry.check`, which
the pre-flight config check and the restorers' part builder use too).
"""
from __future__ import annotations

import difflib
import inspect
from typing import Optional

from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import DefaultScope, Registry

from .errors import ConfigError  # noqa: F401  (re-exported: modules import it with the registries)


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


def did_you_mean(word: str, options) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``options``, or ''."""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ''


def vsrkit_scope():
    """Context in which mmengine's root registries (e.g. the one mmengine's ``Compose`` builds
    transforms from) find vsrkit's components, also where no Runner has set the scope."""
    return DefaultScope.overwrite_default_scope('vsrkit')


class VSRRegistry(Registry):
    """A Registry whose ``build`` checks the config first (:meth:`check`): an unknown type or
    argument is a one-line :class:`ConfigError` naming what is allowed."""

    def registered_names(self) -> list[str]:
        """Every type this registry can build (its own and its parents')."""
        self.import_from_location()
        names, registry = set(), self
        while registry is not None:
            names |= set(registry.module_dict)
            registry = registry.parent
        return sorted(names)

    def check(self, cfg, where: str, passed_by_caller=frozenset(), consumed=frozenset()):
        """The class that ``cfg = dict(type=..., **args)`` names, after checking that it is
        registered and accepts every argument of ``cfg``; None when ``cfg`` is not such a dict
        (or its type is a class object).

        ``where`` names ``cfg`` in the messages (a config key); ``passed_by_caller`` are
        arguments the builder passes itself (left out of the allowed list), ``consumed`` keys
        that a builder takes out of ``cfg`` before the constructor sees it.
        """
        if not isinstance(cfg, dict) or not isinstance(cfg.get('type'), str):
            return None
        name = cfg['type']
        obj = self.get(name)
        if obj is None:
            names = self.registered_names()
            raise ConfigError(f"{where}.type: unknown {self.name} type '{name}'"
                              f"{did_you_mean(name, names)}; allowed: {', '.join(names)}")
        allowed = accepted_args(obj)
        if allowed is not None:
            bad = sorted(set(cfg) - {'type'} - set(consumed) - allowed)
            if bad:
                options = sorted(allowed - set(passed_by_caller))
                raise ConfigError(f"{where}: {name} has no argument '{bad[0]}'"
                                  f"{did_you_mean(bad[0], options)}; allowed: {', '.join(options)}")
        return obj

    def build(self, cfg, *args, **kwargs):
        self.check(cfg, self.name)
        return super().build(cfg, *args, **kwargs)


def _child(name: str, parent: Registry, location: str) -> VSRRegistry:
    return VSRRegistry(name, parent=parent, scope='vsrkit', locations=[location])


MODELS = _child('model', MMENGINE_MODELS, 'vsrkit.models')
MODEL_WRAPPERS = _child('model_wrapper', MMENGINE_MODEL_WRAPPERS, 'vsrkit.models')
DATASETS = _child('dataset', MMENGINE_DATASETS, 'vsrkit.datasets')
DATA_SAMPLERS = _child('data sampler', MMENGINE_DATA_SAMPLERS, 'vsrkit.datasets')
TRANSFORMS = _child('transform', MMENGINE_TRANSFORMS, 'vsrkit.datasets.transforms')
FUNCTIONS = _child('function', MMENGINE_FUNCTIONS, 'vsrkit.datasets')
HOOKS = _child('hook', MMENGINE_HOOKS, 'vsrkit.engine')
LOOPS = _child('loop', MMENGINE_LOOPS, 'vsrkit.engine')
OPTIM_WRAPPERS = _child('optim_wrapper', MMENGINE_OPTIM_WRAPPERS, 'vsrkit.engine')
OPTIMIZERS = _child('optimizer', MMENGINE_OPTIMIZERS, 'vsrkit.engine')
PARAM_SCHEDULERS = _child('parameter scheduler', MMENGINE_PARAM_SCHEDULERS, 'vsrkit.engine')
METRICS = _child('metric', MMENGINE_METRICS, 'vsrkit.evaluation')
EVALUATOR = _child('evaluator', MMENGINE_EVALUATOR, 'vsrkit.evaluation')
VISUALIZERS = _child('visualizer', MMENGINE_VISUALIZERS, 'vsrkit.visualization')
VISBACKENDS = _child('vis_backend', MMENGINE_VISBACKENDS, 'vsrkit.visualization')
LOG_PROCESSORS = _child('log_processor', MMENGINE_LOG_PROCESSORS, 'vsrkit.engine')
