"""Frame streams for inference: any input (video file, frame folder, glob) as RGB frames, and RGB
frames to any output (video file or PNG folder), atomically.

Frames are (H, W, 3) uint8 RGB numpy arrays, read one at a time (memory does not grow with the
clip length), each with its timestamp (:meth:`FrameSource.timed`), so a video written from a
video keeps the input's timing. Videos go through :mod:`vsrkit.io.video`, image files through
:mod:`vsrkit.io.frames`.
"""
from __future__ import annotations

import glob
import os
from typing import Iterator

import numpy as np

from vsrkit.errors import ConfigError, VideoIOError

from .frames import IMAGE_EXTENSIONS, is_image_path, list_images, natural_key, read_image, \
    swap_rb, write_image
from .video import (VIDEO_CODECS, Timing, VideoReader, VideoWriter, check_target, finish_output,
                    is_video_path, remove_stale_temps, temp_path, to_uint8)


class FrameSource:
    """Iterable over the frames of a video file, a folder of images or a glob pattern.

    Yields (H, W, 3) uint8 RGB arrays, one at a time, from frame ``start`` on and at most
    ``max_frames`` of them; :meth:`timed` yields ``(pts, frame)``. The first frame is decoded
    on construction so an unreadable or empty input fails here, with the path in the message.

    Attributes:
        path: the input as given.
        kind: 'video', 'folder' or 'glob' (a single image file counts as a 1-frame glob).
        fps: frames per second (a video's nominal rate; ``fps`` or 25 for image files).
        timing: :class:`vsrkit.io.video.Timing` of the selected frames (image files: evenly
            spaced at ``fps``).
        num_frames: frames after ``start``, capped by ``max_frames`` (a video's are counted by
            demuxing, not taken from its header).
        height, width: frame size.

    ``fps`` is for image files only: a video keeps its own timestamps.
    """

    def __init__(self, path: str, max_frames: int | None = None, start: int = 0,
                 fps: float | None = None):
        if max_frames is not None and max_frames < 1:
            raise VideoIOError(f'--max-frames must be >= 1, got {max_frames}')
        if start < 0:
            raise VideoIOError(f'--start must be >= 0, got {start}')
        self.path, self.max_frames, self.start = path, max_frames, start
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
            if fps is not None:
                raise ConfigError(f'--fps {fps:g}: only for frame folders and globs; {path} is a '
                                  'video and keeps its own timestamps')
            self.kind = 'video'
            self._video = VideoReader(path, start, max_frames)
        else:
            raise VideoIOError(f'{path}: no such file, folder or glob pattern')
        if self._video is not None:
            self.num_frames, self.timing = len(self._video), self._video.timing
            self.fps = self._video.fps
        else:
            self._files = self._files[start:None if max_frames is None else start + max_frames]
            self.num_frames = len(self._files)
            self.timing = Timing.constant(fps)
            self.fps = float(self.timing.rate)
        first = next(iter(self), None)
        if first is None:
            raise VideoIOError(f'{path}: zero frames could be decoded'
                               + (f' from frame {start} on' if start else ''))
        self.height, self.width = first.shape[:2]

    def __len__(self) -> int:
        return self.num_frames

    def __iter__(self) -> Iterator[np.ndarray]:
        return (frame for _, frame in self.timed())

    def timed(self) -> Iterator[tuple[int, np.ndarray]]:
        """``(pts, frame)`` pairs, pts in ``timing.time_base`` ticks (image files: 0, 1, ...)."""
        if self._video is not None:
            frames = self._video.timed()
        else:
            frames = enumerate(swap_rb(read_image(f)) for f in self._files)
        for i, (pts, frame) in enumerate(frames):
            if i and frame.shape[:2] != (self.height, self.width):
                raise VideoIOError(f'{self.path}: frame {i} is {frame.shape[1]}x{frame.shape[0]}, '
                                   f'the first is {self.width}x{self.height}')
            yield pts, frame


class _PngFolderWriter:
    """Frames as ``00000000.png, 00000001.png, ...`` in a hidden ``.<name>.<pid>.partial``
    folder beside ``path``, renamed onto it on a clean exit and deleted on an exception (the
    next writer of the same folder deletes one left by a killed process)."""

    def __init__(self, path: str):
        self.path = path
        if os.path.isfile(path):
            raise VideoIOError(f'{path}: is a file without a video extension '
                               f'({", ".join(VIDEO_CODECS)}); give one, or a folder name')
        if os.path.isdir(path) and os.listdir(path):
            raise VideoIOError(f'{path}: output folder exists and is not empty')
        remove_stale_temps(path)
        self.tmp = temp_path(path, os.getpid())
        self.count = 0
        self.notes: list[str] = []
        self.copied: list[str] = []

    def __enter__(self) -> '_PngFolderWriter':
        os.makedirs(self.tmp, exist_ok=True)
        return self

    def write(self, frame: np.ndarray, pts: int | None = None) -> None:
        write_image(os.path.join(self.tmp, f'{self.count:08d}.png'), to_uint8(frame), rgb=True)
        self.count += 1

    def __exit__(self, exc_type, exc, tb) -> None:
        finish_output(self.tmp, self.path, ok=exc_type is None and self.count > 0)
        if exc_type is None and self.count == 0:
            raise VideoIOError(f'{self.path}: no frames were written, no output made')


class FrameSink:
    """Context manager writing RGB frames to a video file or a folder of PNGs, atomically.

    ``path`` with a video extension (:data:`vsrkit.io.video.VIDEO_CODECS`) becomes a video
    (:class:`vsrkit.io.video.VideoWriter`: ``timing``, else evenly spaced at ``fps``, and the
    ``codec``, ``crf``, ``preset``, ``copy_from`` options); anything else a folder of
    ``00000000.png, 00000001.png, ...``. The output appears under its name only when complete;
    an existing non-empty folder is refused rather than replaced.

    Frames: (H, W, 3) uint8 RGB, or float in [0, 1] (rounded and clipped here), each with
    the pts of its input frame (:meth:`FrameSource.timed`) or None (evenly spaced).

    Attributes:
        path: the absolute output path; is_video; count: frames written; notes: what the
        video writer adapted or skipped (one phrase each); copied: the streams it copied.
    """

    def __init__(self, path: str, fps: float | None = None, *, timing: Timing | None = None,
                 **video_options):
        self.path = os.path.abspath(path)
        check_target(self.path, path)
        self.is_video = is_video_path(path)
        if self.is_video:
            self._out = VideoWriter(self.path, timing or Timing.constant(fps), **video_options)
        else:
            given = sorted(k for k, v in video_options.items() if v is not None)
            if given:
                raise ConfigError(f'{path}: {", ".join("--" + k.replace("_", "-") for k in given)}'
                                  ' apply to video outputs; a folder gets PNG frames')
            self._out = _PngFolderWriter(self.path)

    @property
    def count(self) -> int:
        return self._out.count

    @property
    def notes(self) -> list[str]:
        return self._out.notes

    @property
    def copied(self) -> list[str]:
        return self._out.copied

    def __enter__(self) -> 'FrameSink':
        self._out.__enter__()
        return self

    def write(self, frame: np.ndarray, pts: int | None = None) -> None:
        """Append one (H, W, 3) RGB frame at ``pts``."""
        self._out.write(frame, pts)

    def __exit__(self, exc_type, exc, tb) -> None:
        self._out.__exit__(exc_type, exc, tb)
