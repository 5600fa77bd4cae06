"""An ordered, bounded, interruptible process map.

``multiprocessing.Pool`` does not fit: its feeder thread pulls items as fast as it can
(a whole decoded video in memory), and ``terminate()`` can hang for good when that
thread is blocked writing a large frame into the pipe of a worker that was just killed
(seen on Ctrl-C). Here the main process feeds at most ``window`` items, and stopping
kills the workers without waiting for anything queued.
"""
from __future__ import annotations

import multiprocessing as mp
import pickle
import queue
from typing import Callable, Iterable, Iterator

import cv2


def _worker(fn: Callable, tasks, results, init: Callable | None, initargs: tuple) -> None:
    if init is not None:
        init(*initargs)
    while True:
        job = tasks.get()
        if job is None:
            return
        seq, item = job
        try:
            results.put((seq, True, fn(item)))
        except Exception as err:  # noqa: BLE001 - handed to the main process as is
            try:
                pickle.dumps(err)
            except Exception:  # noqa: BLE001
                err = RuntimeError(f'{type(err).__name__}: {err}')
            results.put((seq, False, err))


def ordered_map(fn: Callable, items: Iterable, workers: int, init: Callable | None = None,
                initargs: tuple = (), window: int | None = None) -> Iterator:
    """``fn(item)`` for each item in ``workers`` processes, yielded in input order.

    At most ``window`` items (default ``4 * workers``) are in flight. An exception raised
    by ``fn`` is re-raised here for its item. Closing the generator (or any error) kills
    the workers at once. ``workers <= 1`` runs in this process (``init`` not called).
    """
    if workers <= 1:
        yield from map(fn, items)
        return
    window = window or 4 * workers
    ctx = mp.get_context('fork' if 'fork' in mp.get_all_start_methods() else 'spawn')
    tasks, results = ctx.Queue(), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(fn, tasks, results, init, initargs), daemon=True)
             for _ in range(workers)]
    # A forked child inherits OpenCV's thread-pool state but not its threads: an OpenCV call
    # there that touches the pool (cv2.setNumThreads, a parallel resize) can wait forever on
    # them. Fork while OpenCV runs single-threaded here, then restore it.
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        for p in procs:
            p.start()
    finally:
        cv2.setNumThreads(threads)
    done: dict[int, tuple[bool, object]] = {}
    it = iter(items)
    sent = received = 0
    exhausted = finished = False
    try:
        while True:
            while not exhausted and sent - received < window:
                try:
                    item = next(it)
                except StopIteration:
                    exhausted = True
                    break
                tasks.put((sent, item))
                sent += 1
            if received == sent:
                break
            while received not in done:
                try:
                    seq, ok, value = results.get(timeout=1.0)
                except queue.Empty:
                    dead = [p.exitcode for p in procs if not p.is_alive()]
                    if dead:
                        raise RuntimeError(f'a worker process died (exit code {dead[0]})') from None
                    continue
                done[seq] = (ok, value)
            ok, value = done.pop(received)
            received += 1
            if not ok:
                raise value
            yield value
        for _ in procs:
            tasks.put(None)
        for p in procs:
            p.join()
        finished = True
    finally:
        if not finished:
            for p in procs:
                if p.is_alive():
                    p.kill()
            tasks.cancel_join_thread()  # do not wait to flush items no one will read
        tasks.close()
        results.close()
