"""Ops that must run in float32 even under mixed precision (``torch.autocast``).

Warps and the SPMC splat compute sampling positions of up to thousands of pixels, which
bfloat16 (8 significant bits) rounds to whole pixels or worse, and the splat sums many
contributions per output pixel; MATLAB bicubic is the residual base of every SR output.
"""
from __future__ import annotations

import functools

import torch


def to_float32(x):
    """A half-precision (float16 / bfloat16) tensor as float32; anything else unchanged."""
    if torch.is_tensor(x) and x.dtype in (torch.float16, torch.bfloat16):
        return x.float()
    return x


def float32_op(fn):
    """Decorator: run ``fn`` outside autocast, half-precision tensor arguments cast to float32
    (float32 and float64 ones, and the output dtype when nothing is half, are left alone)."""
    @functools.wraps(fn)
    def run(*args, **kwargs):
        tensors = [a for a in (*args, *kwargs.values()) if torch.is_tensor(a)]
        device = tensors[0].device.type if tensors else 'cpu'
        if not torch.is_autocast_enabled(device) and not any(
                t.dtype in (torch.float16, torch.bfloat16) for t in tensors):
            return fn(*args, **kwargs)
        with torch.autocast(device, enabled=False):
            return fn(*map(to_float32, args), **{k: to_float32(v) for k, v in kwargs.items()})
    return run
