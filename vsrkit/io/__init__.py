"""Reading and writing frames: the LMDB record format, image files and frame stores
(:mod:`~vsrkit.io.frames`), video files (:mod:`~vsrkit.io.video`), and inference's frame
streams from any input to any output (:mod:`~vsrkit.io.streams`)."""
from .frames import (ClipInfo, FolderFrameStore, FrameStore, LMDBFrameStore, decode_frame,
                     encode_frame, frame_key, list_images, natural_key, open_frame_store,
                     read_image, read_meta_info, split_key, write_image, write_meta_info)
from .streams import FrameSink, FrameSource
from .video import Timing, VideoReader, VideoWriter, is_video_path

__all__ = ['ClipInfo', 'FrameStore', 'LMDBFrameStore', 'FolderFrameStore', 'open_frame_store',
           'frame_key', 'split_key', 'read_meta_info', 'write_meta_info', 'encode_frame',
           'decode_frame', 'read_image', 'write_image', 'list_images', 'natural_key',
           'Timing', 'VideoReader', 'VideoWriter', 'is_video_path', 'FrameSource', 'FrameSink']
