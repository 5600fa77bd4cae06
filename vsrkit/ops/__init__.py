"""Pure tensor/array functions: warping, colour conversion, MATLAB-compatible resize."""
from .color import rgb_to_y, rgb_to_ycbcr, ycbcr_to_rgb
from .upsample import bicubic_upsample
from .warp import backward_warp, pixel_grid, spmc_output_size, spmc_warp

__all__ = ['backward_warp', 'spmc_warp', 'spmc_output_size', 'pixel_grid',
           'bicubic_upsample', 'rgb_to_y', 'rgb_to_ycbcr', 'ycbcr_to_rgb', 'imresize']


def __getattr__(name):
    # imresize pulls in its kernel tables only when used.
    if name == 'imresize':
        from .imresize import imresize
        return imresize
    raise AttributeError(name)
