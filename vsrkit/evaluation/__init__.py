"""Metrics as published VSR tables compute them: PSNR / SSIM on Y with border crop, flow EPE."""
from .functional import flow_epe, prepare, psnr, ssim
from .metrics import PSNR, SSIM, FlowEPE

__all__ = ['PSNR', 'SSIM', 'FlowEPE', 'psnr', 'ssim', 'flow_epe', 'prepare']
