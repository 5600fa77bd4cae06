"""Inference on any footage: load a checkpoint, super-resolve frames as a stream, file to file.

``init_model(config, checkpoint)`` builds and loads a restorer; ``super_resolve(model, frames)``
returns all SR frames, ``iter_super_resolve`` streams them; ``infer_video(model, input, output)``
runs file to file (what ``tools/infer.py`` calls). Frames come and go through
:mod:`vsrkit.io.streams`, windows are the datasets' (:func:`vsrkit.datasets.sliding_windows`).
"""
from .inference import (WindowSR, check_scale, init_model, iter_super_resolve, load_weights,
                        super_resolve)
from .file_inference import infer_video
from .progress import Progress
from .tiling import receptive_margin, tile_spans, tiled_forward

__all__ = ['init_model', 'load_weights', 'check_scale', 'super_resolve', 'iter_super_resolve',
           'WindowSR', 'infer_video', 'Progress', 'tile_spans', 'tiled_forward',
           'receptive_margin']
