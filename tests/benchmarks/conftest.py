"""Fixtures for the benchmark / ablation tests: a tiny frame folder cut from a bundled video."""
import cv2
import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: threads only add contention
    yield
    torch.set_num_threads(old)


@pytest.fixture(scope='session')
def frame_folder(tmp_path_factory, carphone_path, bgr_frames):
    """Four real frames of carphone (176x144) as a one-clip PNG folder."""
    frames = bgr_frames(carphone_path, 0, 4)
    root = tmp_path_factory.mktemp('frames') / 'carphone'
    root.mkdir()
    for i, f in enumerate(frames):
        cv2.imwrite(str(root / f'{i:08d}.png'), f)
    return str(root.parent)
