"""vsrkit: video super-resolution components, datasets and training on mmengine."""
__version__ = '0.1.0'

from .utils import checkpoint as _checkpoint  # noqa: E402  installs the safe checkpoint loader

_checkpoint.install_safe_loading()
