"""A TensorBoard backend that quietly does nothing when tensorboard is not installed.

Configs list it next to the local backend, so the same config logs to TensorBoard where the
package exists and still runs where it does not (mmengine's own backend raises ImportError)::

    visualizer = dict(type='Visualizer', vis_backends=[
        dict(type='LocalVisBackend'), dict(type='OptionalTensorboardVisBackend')])
"""
from __future__ import annotations

import importlib.util

from mmengine.visualization import TensorboardVisBackend

from vsrkit.registry import VISBACKENDS


def tensorboard_available() -> bool:
    """True when ``torch.utils.tensorboard`` can work (the ``tensorboard`` package exists)."""
    return importlib.util.find_spec('tensorboard') is not None


@VISBACKENDS.register_module()
class OptionalTensorboardVisBackend(TensorboardVisBackend):
    """mmengine's TensorboardVisBackend when tensorboard is installed, else a no-op backend."""

    def __init__(self, save_dir: str):
        super().__init__(save_dir)
        self.enabled = tensorboard_available()

    def _init_env(self):
        if self.enabled:
            super()._init_env()
        else:
            self._tensorboard = None

    def add_config(self, config, **kwargs):
        if self.enabled:
            super().add_config(config, **kwargs)

    def add_image(self, name, image, step=0, **kwargs):
        if self.enabled:
            super().add_image(name, image, step, **kwargs)

    def add_scalar(self, name, value, step=0, **kwargs):
        if self.enabled:
            super().add_scalar(name, value, step, **kwargs)

    def add_scalars(self, scalar_dict, step=0, file_path=None, **kwargs):
        if self.enabled:
            super().add_scalars(scalar_dict, step, file_path, **kwargs)

    def close(self):
        if self.enabled and hasattr(self, '_tensorboard'):
            super().close()
