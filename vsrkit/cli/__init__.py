"""The command-line tools. ``tools/*.py`` and ``data_prep/*.py`` are three-line scripts over
these modules, which ``setup.py`` also installs as console commands (``vsrkit-train``, ...).

Every tool answers bad input the same way, through :func:`entry_point`: one line
``<prog>: error: <message>`` on stderr naming the file, key or option at fault and exit code
2 (1 for a training stopped by persistent non-finite losses), never a traceback; Ctrl-C exits
130. Every tool that takes a config checks it before anything runs
(:func:`load_checked_config`).

This package imports only the standard library and :mod:`vsrkit.errors`, so a tool can set
process-wide settings (:func:`one_blas_thread_per_process`) before numpy is loaded; every tool
keeps freed memory for reuse (:func:`keep_freed_memory`).
"""
from __future__ import annotations

import ctypes
import functools
import os
import sys
from typing import Callable, Optional

from vsrkit.errors import VSRKitError


def last_line(err: BaseException) -> str:
    """The one-line message of ``err``. An error raised in a DataLoader worker comes back with
    the worker's traceback in its message; its last line is the original message."""
    lines = [ln for ln in str(err).splitlines() if ln.strip()]
    if len(lines) <= 1:
        return str(err)
    head, sep, rest = lines[-1].partition(': ')  # 'vsrkit.errors.DataError: <message>'
    return rest if sep and head.endswith(type(err).__name__) else lines[-1]


def entry_point(prog: str, interrupted: str = 'interrupted') -> Callable:
    """Decorator turning ``run(argv) -> int | None`` into a tool's ``main(argv=None) -> int``.

    ``main`` keeps freed memory for reuse (:func:`keep_freed_memory`), applies vsrkit's mmengine
    patches (:func:`vsrkit.utils.checkpoint.patch_mmengine`:
    weights-only checkpoint loading, atomic saves), runs the tool, and reports a
    :class:`vsrkit.errors.VSRKitError` or an ``OSError`` (the message names the file) as
    ``<prog>: error: <one line>`` with the error's exit code, Ctrl-C as ``<prog>: <interrupted>``
    with 130. Any other exception is a bug and keeps its traceback.
    """
    def wrap(run: Callable[[Optional[list]], Optional[int]]) -> Callable[..., int]:
        @functools.wraps(run)
        def main(argv: Optional[list] = None) -> int:
            try:
                keep_freed_memory()
                from vsrkit.utils.checkpoint import patch_mmengine
                patch_mmengine()
                return run(argv) or 0
            except (VSRKitError, OSError) as err:
                print(f'{prog}: error: {last_line(err)}', file=sys.stderr)
                return getattr(err, 'exit_code', 2)
            except KeyboardInterrupt:
                print(f'{prog}: {interrupted}', file=sys.stderr)
                return 130
            finally:
                close_process_group()
        return main
    return wrap


def close_process_group() -> None:
    """Destroy the distributed process group, if one was made: a gloo group left to the
    interpreter's exit can abort the process ('terminate called without an active exception')
    after a successful run."""
    dist = sys.modules.get('torch.distributed')
    if dist is not None and dist.is_available() and dist.is_initialized():
        try:
            dist.destroy_process_group()
        except Exception:  # a group whose peers are gone: the run's own error is what matters
            pass


def load_checked_config(path: str, cfg_options: Optional[dict] = None, build_model: bool = True):
    """The config at ``path`` with ``--cfg-options`` merged, after the pre-flight check
    (:func:`vsrkit.engine.config.check_config`; ``build_model`` also checks the StageHook
    stages against the built model). Its errors name the file and the key."""
    from vsrkit.engine.config import check_config, load_config
    from vsrkit.errors import ConfigError
    cfg = load_config(path, cfg_options)
    try:
        check_config(cfg, build_model=build_model)
    except ConfigError as err:
        raise ConfigError(f'{path}: {err}') from None
    return cfg


def one_blas_thread_per_process() -> None:
    """One BLAS thread per process, for tools whose parallelism is ``--workers`` processes:
    multi-threaded BLAS in each of them only oversubscribes the cores (measured 2x slower).
    BLAS reads the setting when numpy loads, so this acts only if numpy is not loaded yet (a
    tool calls it before its heavy imports; a process that already has numpy keeps its
    settings)."""
    if 'numpy' not in sys.modules:
        for var in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
            os.environ.setdefault(var, '1')


def keep_freed_memory() -> None:
    """Let glibc's malloc keep freed blocks (up to 32 MB each) for reuse instead of handing
    them back to the OS.

    By default it returns large freed blocks (``munmap``, heap trimming) and the next
    allocation maps fresh zeroed pages: a demo training iteration page-faulted ~13,000 times
    (17% of its CPU time), a demo inference frame ~13,000 times (8%); with this, nearly never
    (docs/BENCHMARKS.md). The cost: a process keeps its peak heap. No-op without glibc."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's <malloc.h>
    mallopt(m_mmap_threshold, 32 << 20)  # the largest value glibc accepts
    mallopt(m_trim_threshold, (1 << 31) - 1)
