"""Frame windows (datasets and streaming inference): reflection at the ends and bounded
look-ahead / memory."""
import weakref

import pytest

from vsrkit.datasets import reflect_index, sliding_windows, window_indices


@pytest.mark.parametrize('i,n,expected', [
    (-1, 5, 1), (-2, 5, 2), (0, 5, 0), (4, 5, 4), (5, 5, 3), (6, 5, 2),
    (-1, 2, 1), (-2, 2, 0), (2, 2, 0), (3, 2, 1), (-3, 1, 0), (7, 1, 0)])
def test_reflect_index_hand_values(i, n, expected):
    assert reflect_index(i, n) == expected


def test_window_indices_centre_is_frame():
    assert window_indices(0, 10, 5) == [2, 1, 0, 1, 2]
    assert window_indices(9, 10, 5) == [7, 8, 9, 8, 7]
    assert window_indices(4, 10, 3) == [3, 4, 5]
    assert window_indices(0, 1, 7) == [0] * 7


@pytest.mark.parametrize('n', [1, 2, 3, 4, 7, 12])
@pytest.mark.parametrize('t', [1, 3, 4, 5, 7])
def test_stream_matches_whole_sequence(n, t):
    frames = [f'f{k}' for k in range(n)]
    got = list(sliding_windows(iter(frames), t))
    assert [i for i, _ in got] == list(range(n))
    for i, window in got:
        assert window == [frames[j] for j in window_indices(i, n, t)]


class Frame:

    def __init__(self, k):
        self.k = k


def test_bounded_lookahead_and_memory():
    t, n = 5, 40
    read = []
    refs = []

    def source():
        for k in range(n):
            f = Frame(k)
            refs.append(weakref.ref(f))
            read.append(k)
            yield f

    for i, window in sliding_windows(source(), t):
        assert [f.k for f in window] == window_indices(i, n, t)
        assert len(read) <= i + t // 2 + 1  # never reads more than r frames ahead
        del window  # no reference cycles: frames die by refcount as soon as they are dropped
        alive = sum(r() is not None for r in refs)
        assert alive <= t + 1, f'{alive} frames alive at step {i}'


def test_empty_stream_and_bad_length():
    assert list(sliding_windows(iter([]), 3)) == []
    with pytest.raises(ValueError, match='num_frames'):
        list(sliding_windows(iter([1]), 0))


def test_reflection_at_clip_ends():
    assert window_indices(0, 5, 7) == [3, 2, 1, 0, 1, 2, 3]
    assert window_indices(4, 5, 5, interval=2) == [0, 2, 4, 2, 0]
    assert window_indices(0, 1, 3) == [0, 0, 0]
    # against reflecting step by step
    for n in (2, 3, 6):
        for i in range(-15, 20):
            j = i
            while not 0 <= j < n:
                j = -j if j < 0 else 2 * (n - 1) - j
            assert reflect_index(i, n) == j
