"""Restorers (mmengine BaseModels): SPMC VSR and the single-frame and bicubic baselines, and
their data preprocessor."""
from .baselines import BicubicVSR, SingleFrameVSR
from .base import BaseVSR, VSRDataPreprocessor
from .spmc_vsr import SPMCVSR

__all__ = ['BaseVSR', 'VSRDataPreprocessor', 'SPMCVSR', 'SingleFrameVSR', 'BicubicVSR']
