"""Fusion nets: ``forward(hr_seq (B,T,C,H,W), ref_up (B,C,H,W)) -> (B,T,C,H,W)``."""
from .detail_fusion import ConvLSTM, DetailFusionNet

__all__ = ['ConvLSTM', 'DetailFusionNet']
