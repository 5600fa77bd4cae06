"""Where frames come from: video files and frame folders in the standard VSR layouts, and how
the selected frames are split into named clips.

A source yields ``(source_index, payload, label)`` for its selected frames: the payload
is a decoded BGR uint8 frame (videos are decoded sequentially in the main process, with
:class:`vsrkit.io.video.VideoReader`) or an image path (read by the worker), the label names
the frame in error messages.
"""
from __future__ import annotations

import bisect
import os
import re
from dataclasses import dataclass, field
from typing import Iterator, Sequence

import numpy as np

from vsrkit.errors import ConfigError, DataError
from vsrkit.io.frames import list_images, natural_key, read_image
from vsrkit.io.video import VIDEO_EXTENSIONS, CorruptFrameError, VideoReader


@dataclass
class FrameSelection:
    """Frames ``start:end:step`` of a source (source frame indices, end exclusive)."""
    start: int = 0
    end: int | None = None
    step: int = 1

    def __post_init__(self):
        if self.start < 0 or self.step < 1 or (self.end is not None and self.end <= self.start):
            raise ConfigError(f'bad frame range start={self.start} end={self.end} step={self.step}')

    def contains(self, i: int) -> bool:
        return i >= self.start and (self.end is None or i < self.end) and (i - self.start) % self.step == 0

    def count(self, total: int) -> int:
        end = total if self.end is None else min(total, self.end)
        return max(0, -(-(end - self.start) // self.step))


@dataclass
class Source:
    """One video file or one folder of frames, with its frame selection and clip naming.

    Args:
        name: clip name (or prefix, when the frames are split into several clips).
        clip_length: split the selected frames into clips of this many frames, named
            ``<name>_000``, ``<name>_001``, ...
        split_at: alternatively, source frame indices that start a new clip (scene cuts).
        resize: GT size for this source (see ``ResizeSpec``) or None.
    """
    name: str
    path: str
    selection: FrameSelection = field(default_factory=FrameSelection)
    clip_length: int | None = None
    split_at: Sequence[int] = ()
    resize: 'ResizeSpec | None' = None

    def frames(self) -> Iterator[tuple[int, object, str]]:
        raise NotImplementedError

    def estimate_frames(self) -> int:
        raise NotImplementedError

    def identity(self) -> str:
        """What the output depends on (for the resume/skip fingerprint)."""
        raise NotImplementedError

    def clip_frames(self) -> Iterator[tuple[str, int, int, object, str]]:
        """``(clip, index_in_clip, source_index, payload, label)`` for the selected frames.

        With ``split_at``, part p holds the frames after p split points (``<name>_00p``)."""
        counts: dict[str, int] = {}
        cuts = sorted(self.split_at)
        for k, (i, payload, label) in enumerate(self.frames()):
            if self.clip_length:
                clip = f'{self.name}_{k // self.clip_length:03d}'
            elif cuts:
                clip = f'{self.name}_{bisect.bisect_right(cuts, i):03d}'
            else:
                clip = self.name
            j = counts.get(clip, 0)
            counts[clip] = j + 1
            yield clip, j, i, payload, label
        if not counts:
            raise DataError(f'{self.path}: no frames in the selected range '
                            f'(start={self.selection.start}, end={self.selection.end})')


@dataclass
class VideoSource(Source):
    """A video file (anything FFmpeg decodes, :class:`vsrkit.io.video.VideoReader`): frames
    from ``selection.start`` on (frame-exact), those outside the selection dropped."""

    def estimate_frames(self) -> int:
        return self.selection.count(VideoReader(self.path).frame_count)

    def probe_shape(self) -> tuple[int, int, int]:
        first = next(iter(VideoReader(self.path, max_frames=1)), None)
        if first is None:
            raise DataError(f'{self.path}: no frame could be decoded (corrupt or empty video)')
        return first.shape

    def frames(self) -> Iterator[tuple[int, np.ndarray, str]]:
        sel = self.selection
        # BGR, as frame records store it
        reader = VideoReader(self.path, sel.start, None if sel.end is None else sel.end - sel.start,
                             bgr=True)
        i = sel.start
        try:
            for bgr in reader:
                if sel.contains(i):
                    yield i, bgr, f'{self.path} frame {i}'
                i += 1
        except CorruptFrameError as err:  # the frames before it are still usable
            raise DataError(f'{err}; use the frames before it with --end {err.frame}') from None
        if i == 0:
            raise DataError(f'{self.path}: no frame could be decoded (corrupt or empty video)')

    def identity(self) -> str:
        st = os.stat(self.path)
        return f'video:{os.path.abspath(self.path)}:{st.st_size}:{int(st.st_mtime)}'


@dataclass
class FolderSource(Source):
    """A folder of frame images (natural order of file names)."""
    files: list[str] = field(default_factory=list)

    def __post_init__(self):
        if not self.files:
            if not os.path.isdir(self.path):
                raise DataError(f'{self.path}: no such frame folder')
            self.files = [os.path.join(self.path, n) for n in list_images(self.path)]
        if not self.files:
            raise DataError(f'{self.path}: empty folder (no image frames)')

    def estimate_frames(self) -> int:
        return self.selection.count(len(self.files))

    def probe_shape(self) -> tuple[int, int, int]:
        return read_image(self.files[min(self.selection.start, len(self.files) - 1)]).shape

    def frames(self) -> Iterator[tuple[int, str, str]]:
        for i, path in enumerate(self.files):
            if self.selection.contains(i):
                yield i, path, path

    def identity(self) -> str:
        return f'folder:{os.path.abspath(self.path)}:{len(self.files)}'


# ----------------------------------------------------------------------------- layouts

def video_sources(inputs: Sequence[str], **kw) -> list[VideoSource]:
    """Video files given directly or found (non-recursively) in the given folders."""
    paths = []
    for p in inputs:
        if os.path.isdir(p):
            found = sorted((os.path.join(p, n) for n in os.listdir(p)
                            if n.lower().endswith(VIDEO_EXTENSIONS)), key=natural_key)
            if not found:
                raise DataError(f'{p}: folder holds no video files ({", ".join(VIDEO_EXTENSIONS)})')
            paths += found
        elif os.path.isfile(p):
            paths.append(p)
        else:
            raise DataError(f'{p}: no such video file or folder')
    names = [_safe_name(os.path.splitext(os.path.basename(p))[0]) for p in paths]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise DataError(f'two inputs would make clips of the same name: {sorted(dup)}')
    return [VideoSource(n, p, **kw) for n, p in zip(names, paths)]


def folder_sources(root: str, subdir: str | None = None, clips: Sequence[str] | None = None,
                   **kw) -> list[FolderSource]:
    """REDS (``train_sharp/000/00000000.png``), Vid4 (``<clip>/*.png``) and SPMCS
    (``<clip>/truth/*.png``: pass ``subdir='truth'``) layouts: one clip per sub-folder of
    ``root`` (or ``<sub-folder>/<subdir>``); ``root`` itself if it holds the images."""
    if not os.path.isdir(root):
        raise DataError(f'{root}: no such frame folder')
    if list_images(root) and subdir is None:
        return [FolderSource(_safe_name(os.path.basename(os.path.normpath(root))), root, **kw)]
    names = sorted((n for n in os.listdir(root) if os.path.isdir(os.path.join(root, n))), key=natural_key)
    if clips is not None:
        missing = sorted(set(clips) - set(names))
        if missing:
            raise DataError(f'{root}: no clip folder(s) {missing}')
        names = [n for n in names if n in set(clips)]
    sources = []
    for n in names:
        folder = os.path.join(root, n, subdir) if subdir else os.path.join(root, n)
        if subdir and not os.path.isdir(folder):
            raise DataError(f'{folder}: missing (expected <clip>/{subdir}/ frames)')
        sources.append(FolderSource(n, folder, **kw))
    if not sources:
        raise DataError(f'{root}: empty folder (no clip sub-folders or image frames)')
    return sources


def vimeo90k_sources(root: str, split: str = 'train', **kw) -> list[FolderSource]:
    """Vimeo-90K septuplets: ``<root>/sequences/00001/0001/im1..im7.png`` listed in
    ``<root>/sep_trainlist.txt`` / ``sep_testlist.txt`` (``split`` 'train', 'test' or the
    path of a list file). Clips are named ``00001/0001`` as in the lists."""
    list_file = split if os.path.isfile(split) else os.path.join(root, f'sep_{split}list.txt')
    if not os.path.isfile(list_file):
        raise DataError(f'{list_file}: Vimeo-90K list file not found')
    seq_root = os.path.join(root, 'sequences')
    if not os.path.isdir(seq_root):
        raise DataError(f'{seq_root}: missing (expected the Vimeo-90K sequences/ folder)')
    with open(list_file, encoding='utf-8') as f:
        entries = [line.strip() for line in f if line.strip()]
    if not entries:
        raise DataError(f'{list_file}: lists no sequences')
    sources = []
    for e in entries:
        if not re.fullmatch(r'\d+/\d+', e):
            raise DataError(f'{list_file}: bad entry {e!r}, expected like 00001/0001')
        folder = os.path.join(seq_root, *e.split('/'))
        files = [os.path.join(folder, f'im{i}.png') for i in range(1, 8)]
        if not os.path.isdir(folder):
            raise DataError(f'{folder}: sequence listed in {list_file} is missing')
        sources.append(FolderSource(e, folder, files=files, **kw))
    return sources


def _safe_name(name: str) -> str:
    # Clip names go into keys ('clip/00000000') and meta_info (space separated).
    safe = re.sub(r'[^A-Za-z0-9._-]+', '_', name).strip('_')
    if not safe:
        raise DataError(f'cannot make a clip name from {name!r}')
    return safe
