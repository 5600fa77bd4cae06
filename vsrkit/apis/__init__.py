"""Inference on any footage: load a checkpoint, super-resolve frames as a stream, read/write video.

``init_model(config, checkpoint)`` builds and loads a restorer; ``super_resolve(model, frames)``
returns all SR frames, ``iter_super_resolve`` streams them; ``infer_video(model, input, output)``
runs file to file (what ``tools/infer.py`` calls).
"""
from .inference import (WindowSR, check_scale, init_model, iter_super_resolve, load_config,
                        load_weights, super_resolve)
from .pipeline import degrade_bicubic, infer_video
from .progress import Progress
from .tiling import receptive_margin, tile_spans, tiled_forward
from .video_io import FrameSink, FrameSource, VideoIOError, is_video_path
from .windowing import reflect_index, sliding_windows, window_indices

__all__ = ['init_model', 'load_config', 'load_weights', 'check_scale', 'super_resolve',
           'iter_super_resolve', 'WindowSR', 'infer_video', 'degrade_bicubic', 'Progress',
           'tile_spans', 'tiled_forward', 'receptive_margin', 'FrameSource', 'FrameSink',
           'VideoIOError', 'is_video_path', 'reflect_index', 'window_indices', 'sliding_windows']
