"""Frame windows: the ``num_frames`` frames around a centre frame, reflected at the clip ends.

One definition for training, evaluation and inference: the datasets take each item's window
from :func:`window_indices`, streaming inference slides :func:`sliding_windows` over frames it
reads one at a time. The centre frame is entry ``num_frames // 2`` of a window.
"""
from __future__ import annotations

from collections import deque
from typing import Iterable, Iterator, TypeVar

T = TypeVar('T')


def reflect_index(i: int, n: int) -> int:
    """Mirror an out-of-range frame index into [0, n) without repeating the edge frame.

    ``-1 -> 1``, ``-2 -> 2``, ``n -> n - 2`` (numpy's 'reflect' mode, mmagic's 'reflection'
    padding), applied repeatedly when the window is longer than the clip (period
    ``2 (n - 1)``); a 1-frame clip maps everything to 0.
    """
    if n <= 0:
        raise ValueError(f'reflect_index: clip length must be positive, got {n}')
    if n == 1:
        return 0
    period = 2 * (n - 1)
    i %= period
    return i if i < n else period - i


def window_indices(centre: int, n: int, num_frames: int, interval: int = 1) -> list[int]:
    """Indices of the ``num_frames`` frames ``centre + k * interval`` (k = -T//2 .. ) of an
    n-frame clip, reflected at its ends."""
    half = num_frames // 2
    return [reflect_index(centre + (k - half) * interval, n) for k in range(num_frames)]


def sliding_windows(frames: Iterable[T], num_frames: int) -> Iterator[tuple[int, list[T]]]:
    """Yield ``(i, window)`` for every frame i of a stream, window = :func:`window_indices`.

    Only the frames ``i - r .. i + r`` (r = num_frames // 2) are held at any time, so memory
    does not depend on the stream length. The clip length is learnt when the stream ends;
    reflected indices then always fall inside the held range (a window longer than the clip
    already holds the whole clip).
    """
    if num_frames < 1:
        raise ValueError(f'sliding_windows: num_frames must be >= 1, got {num_frames}')
    r = num_frames // 2
    it = iter(frames)
    held: deque[tuple[int, T]] = deque()  # (index, frame), consecutive indices
    n = None  # clip length, known once the stream is exhausted
    next_read = 0
    i = 0
    while n is None or i < n:
        # Read ahead until frame i + r is held or the stream ends.
        while n is None and next_read <= i + r:
            try:
                held.append((next_read, next(it)))
                next_read += 1
            except StopIteration:
                n = next_read
        if n is not None and i >= n:
            return
        while held and held[0][0] < i - r:
            held.popleft()
        by_index = dict(held)
        if n is None:  # only the start can be out of range yet; |j| <= r < frames read
            idx = [abs(j) for j in range(i - r, i - r + num_frames)]
        else:
            idx = window_indices(i, n, num_frames)
        yield i, [by_index[j] for j in idx]
        i += 1
