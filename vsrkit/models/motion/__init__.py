"""Motion estimators: ``forward(frame_i (N,C,h,w), frame_0 (N,C,h,w)) -> flow_i_to_0 (N,2,h,w)``."""
from .opencv_flow import OpenCVFlowMotion
from .vespcn import VESPCNMotion
from .zero import ZeroMotion

__all__ = ['VESPCNMotion', 'ZeroMotion', 'OpenCVFlowMotion']
