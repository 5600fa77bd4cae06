"""Restorers (mmengine BaseModels): SPMC VSR and the single-frame and bicubic baselines."""
from .baselines import BicubicVSR, SingleFrameVSR
from .base import BaseVSR
from .spmc_vsr import SPMCVSR

__all__ = ['BaseVSR', 'SPMCVSR', 'SingleFrameVSR', 'BicubicVSR']
