"""Frame streams for inference: any input (video file, frame folder, glob) as RGB frames, and RGB
frames to any output (video file or PNG folder), atomically.

Frames are (H, W, 3) uint8 RGB numpy arrays, read one at a time (memory does not grow with the
clip length). Videos go through :mod:`vsrkit.io.video`, image files through
:mod:`vsrkit.io.frames`.
"""
from __future__ import annotations

import glob
import os
import shutil
from typing import Iterator

import numpy as np

from vsrkit.errors import VideoIOError

from .frames import IMAGE_EXTENSIONS, is_image_path, list_images, natural_key, read_image, \
    swap_rb, write_image
from .video import VIDEO_CODECS, VideoReader, VideoWriter, is_video_path, to_uint8


class FrameSource:
    """Iterable over the frames of a video file, a folder of images or a glob pattern.

    Yields (H, W, 3) uint8 RGB arrays, one at a time, from frame ``start`` on and at most
    ``max_frames`` of them. The first frame is decoded on construction so an unreadable or
    empty input fails here, with the path in the message.

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
        self.path, self.max_frames, self.start = path, max_frames, start
        self.fps: float | None = None
        self._files: list[str] | None = None
        self._video: VideoReader | None = None
        if os.path.isdir(path):
            self.kind = 'folder'
            self._files = [os.path.join(path, f) for f in list_images(path)]
            if not self._files:
                raise VideoIOError(f'{path}: folder holds no frames ({"/".join(IMAGE_EXTENSIONS)})')
        elif any(ch in path for ch in '*?[') or is_image_path(path):
            self.kind = 'glob'
            self._files = sorted(glob.glob(path), key=natural_key)
            if not self._files:
                raise VideoIOError(f'{path}: no frames match this pattern')
        elif os.path.isfile(path):
            self.kind = 'video'
            self._video = VideoReader(path, start, max_frames)
            self.fps = self._video.fps
        else:
            raise VideoIOError(f'{path}: no such file, folder or glob pattern')
        if self._video is not None:
            self.num_frames = len(self._video)
        else:
            total = max(len(self._files) - start, 0)
            self.num_frames = total if max_frames is None else min(total, max_frames)
        first = next(iter(self), None)
        if first is None:
            raise VideoIOError(f'{path}: zero frames could be decoded'
                               + (f' from frame {start} on' if start else ''))
        self.height, self.width = first.shape[:2]

    def __len__(self) -> int:
        return self.num_frames

    def __iter__(self) -> Iterator[np.ndarray]:
        if self._video is not None:
            frames = iter(self._video)
        else:
            files = self._files[self.start:self.start + self.num_frames]
            frames = (swap_rb(read_image(f)) for f in files)
        for i, frame in enumerate(frames):
            if i and frame.shape[:2] != (self.height, self.width):
                raise VideoIOError(f'{self.path}: frame {i} is {frame.shape[1]}x{frame.shape[0]}, '
                                   f'the first is {self.width}x{self.height}')
            yield frame


class _PngFolderWriter:
    """Frames as ``00000000.png, 00000001.png, ...`` in a hidden ``.<name>.<pid>.partial``
    folder beside ``path``, renamed onto it on a clean exit and deleted on an exception."""

    def __init__(self, path: str):
        self.path = path
        if os.path.isfile(path):
            raise VideoIOError(f'{path}: is a file without a video extension '
                               f'({", ".join(VIDEO_CODECS)}); give one, or a folder name')
        if os.path.isdir(path) and os.listdir(path):
            raise VideoIOError(f'{path}: output folder exists and is not empty')
        parent, name = os.path.split(path)
        self.tmp = os.path.join(parent, f'.{name}.{os.getpid()}.partial')
        self.count = 0

    def __enter__(self) -> '_PngFolderWriter':
        os.makedirs(self.tmp, exist_ok=True)
        return self

    def write(self, frame: np.ndarray) -> None:
        write_image(os.path.join(self.tmp, f'{self.count:08d}.png'), to_uint8(frame), rgb=True)
        self.count += 1

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None or self.count == 0:
            shutil.rmtree(self.tmp, ignore_errors=True)
            if exc_type is None:
                raise VideoIOError(f'{self.path}: no frames were written, no output made')
            return
        if os.path.isdir(self.path):
            os.rmdir(self.path)  # empty (checked in __init__); os.replace cannot replace a folder
        os.replace(self.tmp, self.path)


class FrameSink:
    """Context manager writing RGB frames to a video file or a folder of PNGs, atomically.

    ``path`` with a video extension (:data:`vsrkit.io.video.VIDEO_CODECS`) becomes a video at
    ``fps`` (:class:`vsrkit.io.video.VideoWriter`); anything else a folder of ``00000000.png,
    00000001.png, ...``. The output appears under its name only when complete; an existing
    non-empty folder is refused rather than replaced.

    Frames: (H, W, 3) uint8 RGB, or float in [0, 1] (rounded and clipped here).

    Attributes:
        path: the absolute output path; is_video; count: frames written.
    """

    def __init__(self, path: str, fps: float | None = None):
        self.path = os.path.abspath(path)
        parent, name = os.path.split(self.path)
        if not name:
            raise VideoIOError(f'{path}: output needs a file or folder name')
        if not os.path.isdir(parent):
            raise VideoIOError(f'{path}: parent folder {parent} does not exist')
        self.is_video = is_video_path(name)
        self._out = VideoWriter(self.path, fps) if self.is_video else _PngFolderWriter(self.path)

    @property
    def count(self) -> int:
        return self._out.count

    def __enter__(self) -> 'FrameSink':
        self._out.__enter__()
        return self

    def write(self, frame: np.ndarray) -> None:
        """Append one (H, W, 3) RGB frame."""
        self._out.write(frame)

    def __exit__(self, exc_type, exc, tb) -> None:
        self._out.__exit__(exc_type, exc, tb)
