"""vsrkit's registries: children of mmengine's roots under the scope ``vsrkit``.

Each registry knows the package that registers into it (``locations``), so
``MODELS.build(dict(type='SPMC', scale=4))`` works without importing
``vsrkit.models`` first. An unknown ``type`` or a misspelled argument fails
with a one-line message that names what is allowed.
"""
from __future__ import annotations

import inspect

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
from mmengine.registry import Registry


class ConfigError(ValueError):
    """A config names something that does not exist or is not allowed."""


class VSRRegistry(Registry):
    """A Registry whose ``build`` explains unknown types and bad arguments."""

    def build(self, cfg, *args, **kwargs):
        obj_type = cfg.get('type') if isinstance(cfg, dict) else None
        if isinstance(obj_type, str) and self.get(obj_type) is None:
            raise ConfigError(
                f"unknown {self.name} type '{obj_type}'; registered in vsrkit: "
                f'{", ".join(sorted(self.module_dict)) or "(none)"}')
        try:
            return super().build(cfg, *args, **kwargs)
        except TypeError as err:
            if 'unexpected keyword argument' not in str(err) or not isinstance(obj_type, str):
                raise
            params = inspect.signature(self.get(obj_type)).parameters
            allowed = [n for n, p in params.items()
                       if n != 'self' and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
            bad = sorted(set(cfg) - set(allowed) - {'type'})
            raise ConfigError(
                f"{self.name} '{obj_type}': unknown argument(s) {bad}; allowed: {allowed}") from None


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
