"""Video datasets (training windows, whole-clip evaluation, known motion: synthetic flow and
exact sub-pixel shifts) on mmengine's BaseDataset, a proportional mix of datasets, their frame
windows, LR degradations and transforms.

Frames on disk and their stores are in :mod:`vsrkit.io.frames`.
"""
from . import transforms  # noqa: F401  registers the transforms
from .degradations import bicubic_downsample, blur_downsample, crop_to_multiple, degrade
from .known_shift import KnownShiftDataset
from .mix import MixDataset
from .synthetic_motion import SyntheticMotionDataset
from .video_datasets import (PairedFrameStores, VideoTestDataset, VideoTrainDataset, reflect_index,
                             sliding_windows, window_indices)

__all__ = ['VideoTrainDataset', 'VideoTestDataset', 'SyntheticMotionDataset', 'KnownShiftDataset',
           'MixDataset', 'PairedFrameStores', 'degrade', 'bicubic_downsample', 'blur_downsample',
           'crop_to_multiple', 'reflect_index', 'window_indices', 'sliding_windows']
