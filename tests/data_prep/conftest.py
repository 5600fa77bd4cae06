"""Small real inputs for the data_prep tests: carphone_pristine.mp4 (176x144) as a video and
as frame folders in the standard layouts."""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:  # prep_helpers
    sys.path.insert(0, HERE)


@pytest.fixture(scope='session')
def carphone(carphone_path):
    """(video path, its first 14 frames as BGR uint8 (144, 176, 3))."""
    from vsrkit.utils.demo_data import read_video_frames
    frames = read_video_frames(carphone_path, 0, 14)
    assert len(frames) == 14
    return carphone_path, frames
