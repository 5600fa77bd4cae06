"""The dataset tests cut two 6-frame clips from carphone_pristine.mp4 (176x144)."""
import pytest


@pytest.fixture(scope='session')
def carphone(carphone):
    """(video path, its first 12 frames as BGR uint8 (144, 176, 3))."""
    path, frames = carphone
    return path, frames[:12]
