"""Motion estimators: ``forward(frame_i (N,C,h,w), frame_0 (N,C,h,w)) -> flow_i_to_0 (N,2,h,w)``."""
from .simple import OpenCVFlowMotion, ZeroMotion
from .vespcn import VESPCNMotion

__all__ = ['VESPCNMotion', 'ZeroMotion', 'OpenCVFlowMotion']
