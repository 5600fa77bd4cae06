"""Motion compensation + upscaling: ``forward(lr (N,C,h,w), flow (N,2,h,w)) -> (N,C,s*h,s*w)``."""
from .spmc import SPMC
from .warp_resize import BackwardWarpResize

__all__ = ['SPMC', 'BackwardWarpResize']
