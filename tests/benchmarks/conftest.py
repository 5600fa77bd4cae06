"""Fixtures for the benchmark / ablation tests: a tiny frame folder cut from a bundled video."""
import os
import sys

import cv2
import pytest
import torch

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
for sub in ('tools', os.path.join('tools', 'benchmarks')):
    path = os.path.join(REPO, sub)
    if path not in sys.path:
        sys.path.insert(0, path)


@pytest.fixture(autouse=True)
def _one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: threads only add contention
    yield
    torch.set_num_threads(old)


@pytest.fixture(scope='session')
def frame_folder(tmp_path_factory):
    """Four real frames of carphone (176x144) as a one-clip PNG folder."""
    from vsrkit.utils.demo_data import demo_video_path, read_video_frames
    frames = read_video_frames(demo_video_path('carphone_pristine.mp4'), 0, 4)
    root = tmp_path_factory.mktemp('frames') / 'carphone'
    root.mkdir()
    for i, f in enumerate(frames):
        cv2.imwrite(str(root / f'{i:08d}.png'), f)
    return str(root.parent)
