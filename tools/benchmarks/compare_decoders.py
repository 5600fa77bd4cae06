"""Frame-by-frame difference between OpenCV's and vsrkit's (PyAV) decoding of videos.

    python tools/benchmarks/compare_decoders.py [VIDEO ...]   # default: the bundled demo videos

The demo LMDBs were first built from OpenCV's decoding; vsrkit.io.video must give the same
pixels for them to stay valid. Prints, per video, the frame counts of both and the max / mean
absolute difference over all frames.
"""
from __future__ import annotations

import os
import sys

import cv2
import numpy as np

from vsrkit.io.video import VideoReader


def compare(path: str) -> str:
    cap = cv2.VideoCapture(path)
    worst, means, n = 0, [], 0
    for frame in VideoReader(path, bgr=True):
        ok, ref = cap.read()
        if not ok:
            break
        diff = np.abs(frame.astype(np.int16) - ref)
        worst, n = max(worst, int(diff.max())), n + 1
        means.append(diff.mean())
    rest = 0
    while cap.read()[0]:
        rest += 1
    cap.release()
    return (f'{os.path.basename(path)}: {n} frames compared (OpenCV has {rest} more), '
            f'max abs diff {worst}, mean abs diff {np.mean(means):.6f}')


def main(argv=None) -> int:
    paths = sys.argv[1:] if argv is None else argv
    if not paths:
        from vsrkit.data_prep.demo import DEMO_VIDEOS, demo_video_path
        paths = [demo_video_path(name) for name in DEMO_VIDEOS]
    for path in paths:
        print(compare(path))
    return 0


if __name__ == '__main__':
    sys.exit(main())
