"""A one-line progress report on stderr: done/total, frames/s and ETA."""
from __future__ import annotations

import sys
import time
from typing import TextIO


def _hms(seconds: float) -> str:
    s = int(round(seconds))
    return f'{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}'


class Progress:
    """Redraws ``  37/250 frames  4.2 frames/s  ETA 0:00:51`` in place on a terminal.

    On a non-terminal stream (a log file, a CI capture) it prints a plain line every
    ``log_every`` seconds instead of carriage returns. ``total`` may be None (unknown length).
    """

    def __init__(self, total: int | None, label: str = 'frames', stream: TextIO | None = None,
                 log_every: float = 10.0):
        self.total = total
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, 'isatty', lambda: False)())
        self.interval = 0.2 if self.tty else log_every
        self.done = 0
        self.start = time.perf_counter()
        self._last = -float('inf')

    @property
    def rate(self) -> float:
        """Frames per second so far."""
        elapsed = time.perf_counter() - self.start
        return self.done / elapsed if elapsed > 0 else 0.0

    def line(self) -> str:
        rate = self.rate
        if self.total:
            eta = _hms((self.total - self.done) / rate) if rate > 0 else '?'
            return (f'{self.done:>{len(str(self.total))}}/{self.total} {self.label}  '
                    f'{rate:.2f} {self.label}/s  ETA {eta}')
        return f'{self.done} {self.label}  {rate:.2f} {self.label}/s'

    def update(self, n: int = 1) -> None:
        self.done += n
        now = time.perf_counter()
        if now - self._last >= self.interval:
            self._last = now
            self.stream.write(('\r' + self.line() + '\x1b[K') if self.tty else self.line() + '\n')
            self.stream.flush()

    def close(self) -> None:
        elapsed = time.perf_counter() - self.start
        end = f'{self.done} {self.label} in {_hms(elapsed)}  ({self.rate:.2f} {self.label}/s)'
        self.stream.write(('\r' + end + '\x1b[K\n') if self.tty else end + '\n')
        self.stream.flush()
