"""Fusion nets: ``forward(hr_seq (B,T,C,H,W), ref_up (B,C,H,W)) -> (B,T,C,H,W)``."""
from .convlstm import ConvLSTM
from .detail_fusion import DetailFusionNet

__all__ = ['ConvLSTM', 'DetailFusionNet']
