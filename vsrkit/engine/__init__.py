"""Training machinery on mmengine: hooks, log processor, optimizer wrappers.

``vsrkit.registry`` imports this package to register its components (``locations``), so every
module here is imported: the listed ones, and any other module placed in this folder.
"""
import importlib
import pkgutil

from .hooks import StageHook
from .log_processor import StageLogProcessor

for _mod in pkgutil.iter_modules(__path__):
    importlib.import_module(f'{__name__}.{_mod.name}')

__all__ = ['StageHook', 'StageLogProcessor']
