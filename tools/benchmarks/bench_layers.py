"""Time every convolution of the fusion net in its training shapes: forward, input gradient and
kernel gradient apart, in GFLOP/s, to see which layers run far below the CPU's speed.

    python tools/benchmarks/bench_layers.py [--config configs/spmc/spmc_x4_demo.py] [--threads 1]

The shapes come from one training forward of the config's model (batch and crop of its
training data, every time step decoded), recorded by forward hooks on the fusion net's
``Conv2d`` / ``ConvTranspose2d`` layers; each is then run alone through oneDNN (the layer's own
memory format), minimum of ``--reps``. The ConvLSTM's gate convolution runs by NNPACK in the
model (:mod:`vsrkit.ops.conv`) and the output convolution by its own kernels; both are timed
here as oneDNN would run them, for comparison.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from vsrkit.utils.revision import ROOT

if ROOT not in sys.path:  # run as a script: its sibling tools/benchmarks/bench_model.py
    sys.path.insert(0, ROOT)
from tools.benchmarks.bench_model import training_crop  # noqa: E402


def layer_shapes(config: str) -> list[tuple[str, nn.Module, tuple]]:
    """(name, layer, input shape) of every conv of the fusion net in one training forward."""
    from mmengine.config import Config
    from vsrkit.registry import MODELS
    import vsrkit.models  # noqa: F401  (registers the models)
    cfg = Config.fromfile(config)
    model = MODELS.build(cfg.model)
    crop = training_crop(cfg)
    b, t, c = cfg.train_dataloader.batch_size, model.num_frames, model.in_channels
    seen: list = []
    hooks = [m.register_forward_hook(lambda mod, inp, out, name=name: seen.append((name, mod, tuple(inp[0].shape))))
             for name, m in model.fusion.named_modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    with torch.no_grad():
        model.fusion(torch.rand(b, t, model.fusion.in_channels, crop, crop), torch.rand(b, c, crop, crop))
    for h in hooks:
        h.remove()
    if model.fusion.use_lstm:  # its gate conv is called functionally: add it by hand
        gates = model.fusion.temporal.gates
        seen.append(('temporal.gates (x and h)', gates, (b, gates.in_channels, crop // 4, crop // 4)))
    out = model.fusion.out
    seen.append(('out', out, (b * t, out.in_channels, crop, crop)))
    unique = {}
    for name, mod, shape in seen:
        unique.setdefault(name, (name, mod, shape))
    return list(unique.values())


def time_layer(mod: nn.Module, shape: tuple, reps: int) -> dict:
    """Minimum ms of forward, input gradient and kernel gradient, and the layer's FLOPs."""
    fmt = (torch.channels_last if mod.weight.is_contiguous(memory_format=torch.channels_last)
           and not mod.weight.is_contiguous() else torch.contiguous_format)
    x = torch.randn(shape).contiguous(memory_format=fmt)
    w = mod.weight.detach()
    transposed = isinstance(mod, nn.ConvTranspose2d)
    stride, pad = list(mod.stride), list(mod.padding)
    fwd = (lambda: F.conv_transpose2d(x, w, None, stride, pad)) if transposed else \
        (lambda: F.conv2d(x, w, None, stride, pad))
    y = fwd()
    g = torch.randn_like(y).contiguous(memory_format=fmt)

    def grad(need):
        return torch.ops.aten.convolution_backward(g, x, w, None, stride, pad, [1, 1], transposed,
                                                   [0, 0], 1, need)
    fns = dict(forward=fwd, grad_input=lambda: grad([True, False, False]),
               grad_weight=lambda: grad([False, True, False]))
    best = {k: float('inf') for k in fns}
    for _ in range(reps):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - t0)
    k_h, k_w = w.shape[-2:]
    cin = w.shape[0] if transposed else w.shape[1]
    # every input pixel meets every tap of a transposed conv; every output pixel, of a conv
    pixels = x.shape[0] * x.shape[2] * x.shape[3] if transposed else y.shape[0] * y.shape[2] * y.shape[3]
    cout = w.shape[1] if transposed else w.shape[0]
    flops = 2 * pixels * cin * cout * k_h * k_w
    return dict(flops=flops, **{k: v * 1e3 for k, v in best.items()})


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--config', default=os.path.join(ROOT, 'configs/spmc/spmc_x4_demo.py'))
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--reps', type=int, default=8)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    from vsrkit.cli import keep_freed_memory
    keep_freed_memory()
    print(f'{os.path.basename(args.config)}, {args.threads} thread(s), fp32, minimum of {args.reps}; '
          f'load average {" ".join(f"{v:.2f}" for v in os.getloadavg())}\n')
    print('| layer | input | GFLOP | forward ms (GFLOP/s) | input grad ms (GFLOP/s) | kernel grad ms (GFLOP/s) |')
    print('|---|---|---:|---:|---:|---:|')
    for name, mod, shape in layer_shapes(args.config):
        r = time_layer(mod, shape, args.reps)
        cells = ' | '.join(f"{r[k]:.2f} ({r['flops'] / r[k] / 1e6:.0f})"
                           for k in ('forward', 'grad_input', 'grad_weight'))
        print(f"| {name} | {'x'.join(map(str, shape))} | {r['flops'] / 1e9:.3f} | {cells} |", flush=True)


if __name__ == '__main__':
    main()
