"""Losses: warp (masked L1) and flow TV for motion, the temporally weighted SR loss."""
from .motion_losses import FlowEPELoss, FlowTVLoss, WarpLoss
from .sr_loss import TemporalSRLoss

__all__ = ['WarpLoss', 'FlowTVLoss', 'FlowEPELoss', 'TemporalSRLoss']
