"""Small real inputs for the data_prep tests: carphone_pristine.mp4 (176x144) as a video and
as frame folders in the standard layouts."""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))
for p in (ROOT, HERE):  # data_prep (repo root) and prep_helpers
    if p not in sys.path:
        sys.path.insert(0, p)


@pytest.fixture(scope='session')
def carphone():
    """(video path, its first 14 frames as BGR uint8 (144, 176, 3))."""
    from vsrkit.utils.demo_data import demo_video_path, read_video_frames
    try:
        path = demo_video_path('carphone_pristine.mp4')
    except FileNotFoundError as err:
        pytest.skip(str(err))
    frames = read_video_frames(path, 0, 14)
    assert len(frames) == 14
    return path, frames
