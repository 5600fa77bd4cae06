"""Pure tensor/array functions: warping, colour conversion, MATLAB-compatible resize."""
# imresize: the package attribute must be the function, not the submodule of the same name.
from .imresize import imresize
from .color import rgb_to_y, rgb_to_ycbcr, ycbcr_to_rgb
from .upsample import bicubic_upsample
from .warp import backward_warp, grid_offset, pixel_grid, spmc_output_size, spmc_warp

__all__ = ['backward_warp', 'spmc_warp', 'grid_offset', 'spmc_output_size', 'pixel_grid',
           'bicubic_upsample', 'rgb_to_y', 'rgb_to_ycbcr', 'ycbcr_to_rgb', 'imresize']

