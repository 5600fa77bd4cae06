"""Video files: lazy reading and atomic writing (OpenCV's FFmpeg build), the one place that
opens a video.

Frames travel as numpy arrays (H, W, 3) uint8 in RGB order; OpenCV's BGR stays inside this
module. Reading decodes one frame at a time, so memory does not grow with the clip length.
Writing goes to a hidden temporary file beside the target that is renamed only when the video
is complete, so a failed run never leaves a partial file under the final name.

    for frame in VideoReader('in.mp4', start=10, max_frames=50):   # (H, W, 3) uint8 RGB
        ...
    with VideoWriter('out.mkv', fps=25) as out:
        out.write(frame)                                             # uint8, or float in [0, 1]
"""
from __future__ import annotations

import os
from typing import Iterator

import cv2
import numpy as np

from vsrkit.errors import VideoIOError

from .frames import swap_rb

# Containers read as video when scanning folders (anything else is tried only when named).
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mkv', '.mov', '.webm', '.m4v', '.mpg', '.mpeg', '.wmv',
                    '.flv', '.y4m', '.ts')
# Codec per container we write; OpenCV picks the muxer from the extension, the fourcc picks the
# encoder. .mkv with FFV1 is lossless; mp4v is what opencv-python's FFmpeg build can always write.
VIDEO_CODECS = {'.mp4': 'mp4v', '.m4v': 'mp4v', '.mov': 'mp4v', '.avi': 'MJPG', '.mkv': 'FFV1'}
DEFAULT_FPS = 25.0


def is_video_path(path: str) -> bool:
    """True when ``path`` names a video container we can write (by extension)."""
    return os.path.splitext(path)[1].lower() in VIDEO_CODECS


def to_uint8(frame: np.ndarray) -> np.ndarray:
    """uint8 frames as they are; float frames in [0, 1] rounded and clipped to uint8."""
    if frame.dtype == np.uint8:
        return frame
    return np.clip(np.rint(frame * 255.0), 0, 255).astype(np.uint8)


class VideoReader:
    """The frames of a video file, decoded lazily and in order as (H, W, 3) uint8 RGB.

    Opening checks that the file exists and is a video (:class:`VideoIOError` otherwise).
    Iterating decodes from the first frame on (seeking in compressed video is not
    frame-exact): frames before ``start`` are decoded and dropped, at most ``max_frames``
    are yielded. A frame that cannot be decoded before the end the container lists (1% slack:
    some containers only estimate it) raises :class:`VideoIOError` naming the frame, instead
    of silently returning a shorter clip.

    Attributes:
        path: the file.
        fps: frames per second (None when the container does not say).
        frame_count: frames the container lists (an estimate for some containers; 0 unknown).
    """

    def __init__(self, path: str, start: int = 0, max_frames: int | None = None):
        if start < 0 or (max_frames is not None and max_frames < 0):
            raise VideoIOError(f'{path}: bad frame range start={start} max_frames={max_frames}')
        self.path, self.start, self.max_frames = path, start, max_frames
        cap = self._open()
        try:
            self.fps: float | None = cap.get(cv2.CAP_PROP_FPS) or None
            self.frame_count = max(int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
        finally:
            cap.release()

    def _open(self) -> cv2.VideoCapture:
        if not os.path.isfile(self.path):
            raise VideoIOError(f'{self.path}: no such video file')
        cap = cv2.VideoCapture(self.path)
        if not cap.isOpened():
            cap.release()
            raise VideoIOError(f'{self.path}: cannot open video (unknown format or corrupt)')
        return cap

    def __len__(self) -> int:
        """Frames to expect from ``start`` on (from the container's count)."""
        n = max(self.frame_count - self.start, 0)
        return n if self.max_frames is None else min(n, self.max_frames)

    def __iter__(self) -> Iterator[np.ndarray]:
        stop = None if self.max_frames is None else self.start + self.max_frames
        cap = self._open()
        try:
            i = 0
            while stop is None or i < stop:
                if i < self.start:  # grab only: no colour conversion for dropped frames
                    ok, img = cap.grab(), None
                else:
                    ok, img = cap.read()
                if not ok:
                    self._check_end(i, stop)
                    return
                if img is not None:
                    yield swap_rb(img)
                i += 1
        finally:
            cap.release()

    def _check_end(self, i: int, stop: int | None) -> None:
        """Decoding stopped at frame ``i``: fine at the end of the video, an error if the
        container lists more frames (a corrupt frame ends OpenCV's decoding early)."""
        listed = self.frame_count
        expected = listed if stop is None else min(listed, stop)
        if listed > 0 and i < expected - listed // 100:
            raise VideoIOError(f'{self.path}: frame {i} cannot be decoded but the video lists '
                               f'{listed} frames (corrupt video)')


class VideoWriter:
    """Context manager writing RGB frames to a video file, atomically.

    The container comes from the extension of ``path`` (:data:`VIDEO_CODECS`). Frames go to
    ``.<name>.<pid>.partial<ext>`` beside ``path`` (same extension, so OpenCV picks the same
    codec), renamed onto ``path`` on a clean exit and deleted on an exception; a clean exit
    with no frame written is a :class:`VideoIOError` and leaves nothing.

    Frames: (H, W, 3) uint8 RGB, or float in [0, 1] (rounded and clipped here).
    """

    def __init__(self, path: str, fps: float | None = None):
        self.path = os.path.abspath(path)
        self.fps = float(fps or DEFAULT_FPS)
        self.count = 0
        self._writer = None
        parent, name = os.path.split(self.path)
        stem, ext = os.path.splitext(name)
        if ext.lower() not in VIDEO_CODECS:
            raise VideoIOError(f'{path}: not a video name; use one of {", ".join(VIDEO_CODECS)}')
        if not os.path.isdir(parent):
            raise VideoIOError(f'{path}: parent folder {parent} does not exist')
        if os.path.isdir(self.path):
            raise VideoIOError(f'{path}: is a folder, expected a video file name')
        self.tmp = os.path.join(parent, f'.{stem}.{os.getpid()}.partial{ext}')

    def __enter__(self) -> 'VideoWriter':
        return self

    def write(self, frame: np.ndarray) -> None:
        """Append one (H, W, 3) RGB frame."""
        bgr = swap_rb(to_uint8(frame))
        if self._writer is None:
            ext = os.path.splitext(self.path)[1].lower()
            fourcc = cv2.VideoWriter_fourcc(*VIDEO_CODECS[ext])
            self._writer = cv2.VideoWriter(self.tmp, fourcc, self.fps, (bgr.shape[1], bgr.shape[0]))
            if not self._writer.isOpened():
                raise VideoIOError(f'{self.path}: OpenCV cannot write {ext} with codec '
                                   f'{VIDEO_CODECS[ext]}')
        self._writer.write(bgr)
        self.count += 1

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._writer is not None:
            self._writer.release()
        if exc_type is None and self.count:
            os.replace(self.tmp, self.path)
            return
        if os.path.exists(self.tmp):
            os.remove(self.tmp)
        if exc_type is None:
            raise VideoIOError(f'{self.path}: no frames were written, no output made')
