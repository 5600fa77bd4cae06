"""Video datasets (training windows, whole-clip evaluation) over LMDBs or frame folders,
their frame format, degradations and transforms."""
from . import transforms  # noqa: F401  registers the transforms
from .base import reflect_index, window_indices
from .degradations import bicubic_downsample, blur_downsample, crop_to_multiple, degrade
from .errors import DataError
from .frame_io import ClipInfo, decode_frame, encode_frame, frame_key, read_meta_info, split_key
from .frame_stores import FolderFrameStore, LMDBFrameStore, open_frame_store
from .lmdb_video_dataset import LMDBVideoDataset
from .known_shift import KnownShiftDataset  # noqa: F401  (registers it)
from .mix import MixDataset  # noqa: F401  (registers it)
from .synthetic_motion import SyntheticMotionDataset  # noqa: F401  (registers it)
from .video_test_dataset import VideoTestDataset

__all__ = ['DataError', 'LMDBVideoDataset', 'VideoTestDataset', 'LMDBFrameStore',
           'FolderFrameStore', 'open_frame_store', 'ClipInfo', 'frame_key', 'split_key',
           'read_meta_info', 'encode_frame', 'decode_frame', 'degrade', 'bicubic_downsample',
           'blur_downsample', 'crop_to_multiple', 'reflect_index', 'window_indices']
