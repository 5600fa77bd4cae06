"""Models: motion estimators, compensation layers, fusion nets, losses, restorers.

Importing this package registers every component in ``vsrkit.registry.MODELS``
(the registry imports it lazily through its ``locations``).
"""
from . import compensation, fusion, losses, motion, restorers  # noqa: F401  (registration)
from .restorers import VSRDataPreprocessor

__all__ = ['VSRDataPreprocessor', 'compensation', 'fusion', 'losses', 'motion', 'restorers']
