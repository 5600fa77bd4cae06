"""ordered_map, data preparation's process map: results in input order, errors re-raised for
their item, and workers that survive a parent that already used OpenCV's thread pool."""
import signal

import cv2
import numpy as np
import pytest

from vsrkit.data_prep.parallel import ordered_map


def _half_size_sum(img):
    return int(cv2.resize(img, (img.shape[1] // 2, img.shape[0] // 2)).sum())


def _fail_on_three(x):
    if x == 3:
        raise ValueError('item 3')
    return x * x


def test_results_in_order_and_errors_for_their_item():
    assert list(ordered_map(_fail_on_three, [0, 1, 2], workers=2)) == [0, 1, 4]
    with pytest.raises(ValueError, match='item 3'):
        list(ordered_map(_fail_on_three, range(6), workers=2))


def test_workers_fork_safely_after_opencv_used_its_thread_pool():
    # A parallel OpenCV call here starts its thread pool; a forked child inherits the pool's
    # state but not its threads, and used to wait forever in cv2.setNumThreads (the workers'
    # init) or a parallel resize (about 3 children in 10).
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (720, 1280, 3), dtype=np.uint8) for _ in range(4)]
    want = [_half_size_sum(f) for f in frames]

    def hung(signum, frame):
        raise TimeoutError('a worker hangs')

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(60)
    try:
        for _ in range(3):  # 6 forks: without the guard, one of them all but surely hangs
            assert list(ordered_map(_half_size_sum, frames, workers=2, init=cv2.setNumThreads,
                                    initargs=(1,))) == want
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
