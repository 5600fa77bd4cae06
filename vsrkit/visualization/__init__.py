"""Pictures for people: flow colour wheel, SPMC sparse/weight maps, comparison panels, curves.

Importing this package registers :class:`OptionalTensorboardVisBackend` (``VISBACKENDS``
``locations`` point here).
"""
from .backends import OptionalTensorboardVisBackend, tensorboard_available
from .curves import load_scalars, load_stages, plot_training_curves
from .flow import color_wheel_legend, flow_image, flow_to_color, make_colorwheel
from .images import (add_caption, comparison_panel, hstack, spmc_maps_panel, split_frame,
                     textured_crop, to_uint8, weight_map_image, wipe_position)
from .sample import render_sample, save_images

__all__ = ['OptionalTensorboardVisBackend', 'tensorboard_available', 'load_scalars',
           'load_stages', 'plot_training_curves', 'color_wheel_legend', 'flow_image',
           'flow_to_color', 'make_colorwheel', 'add_caption', 'comparison_panel', 'hstack',
           'spmc_maps_panel', 'split_frame', 'textured_crop', 'to_uint8', 'weight_map_image',
           'wipe_position', 'render_sample', 'save_images']
