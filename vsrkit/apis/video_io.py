"""Streaming frame input (video file, frame folder, glob) and atomic output (video or PNG folder).

Frames travel as numpy arrays (H, W, 3) uint8 in RGB order; OpenCV's BGR stays inside this module.
Reading is lazy (one decoded frame at a time), so memory does not grow with the clip length.
Writing goes to a temporary name beside the target and is renamed only when complete, so a failed
run never leaves a partial file under the final name.
"""
from __future__ import annotations

import glob
import os
import re
import shutil
from typing import Iterator

import cv2
import numpy as np

IMAGE_EXTS = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp')
# Codec per container; OpenCV picks the muxer from the extension, the fourcc picks the encoder.
# .mkv/.avi with FFV1 are lossless; mp4v is what opencv-python's FFmpeg build can always write.
VIDEO_CODECS = {'.mp4': 'mp4v', '.m4v': 'mp4v', '.mov': 'mp4v', '.avi': 'MJPG', '.mkv': 'FFV1'}
DEFAULT_FPS = 25.0


class VideoIOError(ValueError):
    """An input cannot be read or an output cannot be written; the message names the path."""


def natural_key(path: str) -> list:
    """Sort key that orders ``frame2`` before ``frame10``."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r'(\d+)', path)]


def is_video_path(path: str) -> bool:
    """True when ``path`` names a video container we can write (by extension)."""
    return os.path.splitext(path)[1].lower() in VIDEO_CODECS


class FrameSource:
    """Iterable over the frames of a video file, a folder of images or a glob pattern.

    Yields (H, W, 3) uint8 RGB arrays, one at a time. The first frame is decoded on
    construction so an unreadable or empty input fails here, with the path in the message.

    Attributes:
        path: the input as given.
        kind: 'video', 'folder' or 'glob' (a single image file counts as a 1-frame glob).
        fps: frames per second of a video, else None.
        num_frames: frame count after ``start`` (a video's container estimate; may be off by a
            few), capped by ``max_frames``.
        height, width: frame size.
    """

    def __init__(self, path: str, max_frames: int | None = None, start: int = 0):
        if max_frames is not None and max_frames < 1:
            raise VideoIOError(f'--max-frames must be >= 1, got {max_frames}')
        if start < 0:
            raise VideoIOError(f'--start must be >= 0, got {start}')
        self.path = path
        self.max_frames = max_frames
        self.start = start
        self.fps: float | None = None
        self._files: list[str] | None = None
        if os.path.isdir(path):
            self.kind = 'folder'
            self._files = sorted((os.path.join(path, f) for f in os.listdir(path)
                                  if f.lower().endswith(IMAGE_EXTS)), key=natural_key)
            if not self._files:
                raise VideoIOError(f'{path}: folder holds no frames ({"/".join(IMAGE_EXTS)})')
        elif any(ch in path for ch in '*?[') or path.lower().endswith(IMAGE_EXTS):
            self.kind = 'glob'
            self._files = sorted(glob.glob(path), key=natural_key)
            if not self._files:
                raise VideoIOError(f'{path}: no frames match this pattern')
        elif os.path.isfile(path):
            self.kind = 'video'
            cap = cv2.VideoCapture(path)
            try:
                if not cap.isOpened():
                    raise VideoIOError(f'{path}: cannot open as a video (unknown format or corrupt)')
                self.fps = cap.get(cv2.CAP_PROP_FPS) or None
                count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
            finally:
                cap.release()
        else:
            raise VideoIOError(f'{path}: no such file, folder or glob pattern')
        total = max((len(self._files) if self._files is not None else count) - start, 0)
        self.num_frames = total if max_frames is None else min(total, max_frames)
        first = next(iter(self), None)
        if first is None:
            raise VideoIOError(f'{path}: zero frames could be decoded'
                               + (f' from frame {start} on' if start else ''))
        self.height, self.width = first.shape[:2]

    def __len__(self) -> int:
        return self.num_frames

    def __iter__(self) -> Iterator[np.ndarray]:
        limit = self.max_frames if self.max_frames is not None else float('inf')
        frames = self._iter_video() if self._files is None else self._iter_files()
        for i, frame in enumerate(frames):
            if i >= limit:
                break
            if i and frame.shape[:2] != (self.height, self.width):
                raise VideoIOError(f'{self.path}: frame {i} is {frame.shape[1]}x{frame.shape[0]}, '
                                   f'the first is {self.width}x{self.height}')
            yield frame

    def _iter_files(self) -> Iterator[np.ndarray]:
        for f in self._files[self.start:]:
            img = cv2.imread(f, cv2.IMREAD_COLOR)
            if img is None:
                raise VideoIOError(f'{f}: not a readable image')
            yield cv2.cvtColor(img, cv2.COLOR_BGR2RGB)

    def _iter_video(self) -> Iterator[np.ndarray]:
        cap = cv2.VideoCapture(self.path)
        listed = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        try:
            i = 0
            while i < self.start:  # decode and drop: seeking is not frame-exact
                if not cap.grab():
                    break
                i += 1
            while True:
                ok, img = cap.read()
                if not ok:
                    # A corrupt frame ends OpenCV's decoding early: say so instead of silently
                    # returning a shorter video (1% slack for estimated frame counts).
                    if listed > 0 and i < listed - listed // 100:
                        raise VideoIOError(f'{self.path}: frame {i} cannot be decoded but the video '
                                           f'lists {listed} frames (corrupt video)')
                    return
                i += 1
                yield cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        finally:
            cap.release()


class FrameSink:
    """Context manager writing RGB frames to a video file or a folder of PNGs, atomically.

    ``OUTPUT`` with a video extension (:data:`VIDEO_CODECS`) becomes a video at ``fps``; anything
    else becomes a folder of ``00000000.png, 00000001.png, ...``. Frames go to a temporary name
    beside the target (same extension, so OpenCV picks the same codec) that is renamed onto the
    target on a clean exit and deleted on an exception. An existing non-empty folder is refused
    rather than replaced.

    Frames: (H, W, 3) uint8 RGB, or float in [0, 1] (rounded and clipped here).
    """

    def __init__(self, path: str, fps: float | None = None):
        self.path = os.path.abspath(path)
        self.fps = float(fps or DEFAULT_FPS)
        self.count = 0
        self._writer = None
        parent, name = os.path.split(self.path)
        if not name:
            raise VideoIOError(f'{path}: output needs a file or folder name')
        if not os.path.isdir(parent):
            raise VideoIOError(f'{path}: parent folder {parent} does not exist')
        self.is_video = is_video_path(name)
        stem, ext = os.path.splitext(name)
        if self.is_video:
            if os.path.isdir(self.path):
                raise VideoIOError(f'{path}: is a folder, expected a video file name')
            self.tmp = os.path.join(parent, f'.{stem}.{os.getpid()}.partial{ext}')
        else:
            if os.path.isfile(self.path):
                raise VideoIOError(f'{path}: is a file without a video extension '
                                   f'({", ".join(VIDEO_CODECS)}); give one, or a folder name')
            if os.path.isdir(self.path) and os.listdir(self.path):
                raise VideoIOError(f'{path}: output folder exists and is not empty')
            self.tmp = os.path.join(parent, f'.{name}.{os.getpid()}.partial')

    def __enter__(self) -> 'FrameSink':
        if not self.is_video:
            os.makedirs(self.tmp, exist_ok=True)
        return self

    def write(self, frame: np.ndarray) -> None:
        """Append one (H, W, 3) RGB frame."""
        if frame.dtype != np.uint8:
            frame = np.clip(np.rint(frame * 255.0), 0, 255).astype(np.uint8)
        bgr = cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)
        if not self.is_video:
            target = os.path.join(self.tmp, f'{self.count:08d}.png')
            if not cv2.imwrite(target, bgr):
                raise VideoIOError(f'{target}: could not write frame')
        else:
            if self._writer is None:
                ext = os.path.splitext(self.path)[1].lower()
                fourcc = cv2.VideoWriter_fourcc(*VIDEO_CODECS[ext])
                self._writer = cv2.VideoWriter(self.tmp, fourcc, self.fps,
                                               (frame.shape[1], frame.shape[0]))
                if not self._writer.isOpened():
                    raise VideoIOError(f'{self.path}: OpenCV cannot write {ext} '
                                       f'with codec {VIDEO_CODECS[ext]}')
            self._writer.write(bgr)
        self.count += 1

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._writer is not None:
            self._writer.release()
        if exc_type is not None or self.count == 0:
            if os.path.isdir(self.tmp):
                shutil.rmtree(self.tmp, ignore_errors=True)
            elif os.path.exists(self.tmp):
                os.remove(self.tmp)
            if exc_type is None:
                raise VideoIOError(f'{self.path}: no frames were written, no output made')
            return
        if not self.is_video and os.path.isdir(self.path):
            os.rmdir(self.path)  # empty (checked in __init__); os.replace cannot replace a folder
        os.replace(self.tmp, self.path)
