"""``torch.compile`` with a clean fallback to eager execution."""
from __future__ import annotations

import functools
import warnings
from typing import Callable


def compile_with_fallback(fn: Callable, **options) -> Callable:
    """``fn`` under ``torch.compile(fn, **options)``; if compiling (or running the compiled
    code) fails, e.g. no C++ compiler for inductor's CPU backend, a warning says why and ``fn``
    runs eagerly from then on. An error that eager execution raises as well is raised as is.

    Measured on the CPU (docs/BENCHMARKS.md): ~5% on demo inference after a ~1 min compile,
    slower for training; so it is opt-in (``tools/infer.py --compile``).
    """
    import torch
    state = {'fn': torch.compile(fn, **options)}

    @functools.wraps(fn)
    def run(*args, **kwargs):
        if state['fn'] is fn:
            return fn(*args, **kwargs)
        try:
            return state['fn'](*args, **kwargs)
        except Exception as err:  # noqa: BLE001  (compiler failures have many types)
            result = fn(*args, **kwargs)  # a genuine error in fn raises here, unchanged
            warnings.warn(f'torch.compile failed ({type(err).__name__}: '
                          f'{str(err).splitlines()[0] if str(err) else ""}); running eagerly')
            state['fn'] = fn
            return result
    return run
