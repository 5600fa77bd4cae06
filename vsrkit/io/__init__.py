"""File input and output: video containers (PyAV/FFmpeg) and frame folders."""
from .video import (ENCODERS, FrameSink, FrameSource, Timing, VideoIOError, VideoReader,
                    VideoWriter, is_video_path)

__all__ = ['VideoReader', 'VideoWriter', 'FrameSource', 'FrameSink', 'Timing', 'VideoIOError',
           'ENCODERS', 'is_video_path']
