"""Transforms on a ``results`` dict (``lq`` list of T (h, w, C), ``gt`` (H, W, C), float32
RGB in [0, 1]); all registered in ``vsrkit.registry.TRANSFORMS``."""
from .color import RGBToY
from .crop import PairedRandomCrop
from .flip import RandomFlipTranspose
from .formatting import PackVSRInputs

__all__ = ['PairedRandomCrop', 'RandomFlipTranspose', 'RGBToY', 'PackVSRInputs']
