"""SPMC splat versus grid_sample: throughput of the warp ops at equal output size.

    python tools/benchmarks/bench_ops.py [--scales 2 3 4] [--sizes 256x256 480x640 720x1280]
        [--batch 4] [--channels 1] [--threads 2] [--reps 7] [--flow 2.0] [--device cuda]

For every scale s and high-res output size H x W (the LR input is H/s x W/s):
  - ``spmc_warp`` (vsrkit.ops): forward, and forward + backward (gradients for image and flow);
  - a straightforward reference SPMC: four bilinear taps, four ``index_add_`` into the flat
    output, autograd through all of it (what one writes first);
  - ``backward_warp`` (F.grid_sample, bilinear) of an H x W image by an H x W flow: the gather
    that produces the same number of output pixels.
The ops are timed round-robin (one run of each in turn, ``--reps`` rounds after a warm-up round)
so that all of them see the same background load, and the minimum over the rounds is reported:
on a shared machine the least-disturbed run is the best estimate of an op's own cost. Prints
that time, the throughput in output megapixels per second (batch * H * W / time) and the ratio
time(op) / time(grid_sample); the goal is ratio <= 1 for SPMC forward + backward. On CUDA
(``--device cuda``) every timed call ends with ``torch.cuda.synchronize``.
"""
from __future__ import annotations

import argparse
import functools
import time

import torch

from vsrkit.ops import backward_warp, spmc_warp
from vsrkit.ops.warp import pixel_grid, spmc_output_size


def reference_spmc(img: torch.Tensor, flow: torch.Tensor, scale: float) -> torch.Tensor:
    """Plain SPMC splat: four taps, four ``index_add_``, autograd does the backward.

    img (N, C, h, w), flow (N, 2, h, w) -> (N, C, round(s*h), round(s*w)).
    """
    n, c, h, w = img.shape
    oh, ow = spmc_output_size(h, w, scale)
    xs, ys = pixel_grid(h, w, img.device, img.dtype)
    tx = ((xs + flow[:, 0]) * scale).reshape(n, h * w)
    ty = ((ys + flow[:, 1]) * scale).reshape(n, h * w)
    x0, y0 = tx.floor(), ty.floor()
    batch = (torch.arange(n, device=img.device) * (oh * ow)).view(n, 1)
    out = img.new_zeros(c, n * oh * ow)
    src = img.permute(1, 0, 2, 3).reshape(c, n * h * w)
    for dx in (0, 1):
        for dy in (0, 1):
            px, py = x0 + dx, y0 + dy
            wgt = (1 - (tx - px).abs()) * (1 - (ty - py).abs())
            valid = (px >= 0) & (px < ow) & (py >= 0) & (py < oh)
            idx = torch.where(valid, batch + py.long() * ow + px.long(), torch.zeros_like(batch))
            out = out.index_add(1, idx.reshape(-1), src * (wgt * valid).reshape(1, -1))
    return out.view(c, n, oh, ow).permute(1, 0, 2, 3)


def min_times(fns: dict, reps: int, device: str = 'cpu') -> dict:
    """Minimum wall time of each callable over ``reps`` round-robin rounds (after a warm-up)."""
    sync = torch.cuda.synchronize if device.startswith('cuda') else (lambda: None)
    best = {}
    for r in range(reps + 1):
        for name, fn in fns.items():
            sync()
            t0 = time.perf_counter()
            fn()
            sync()
            dt = time.perf_counter() - t0
            if r > 0:  # round 0 is the warm-up
                best[name] = min(best.get(name, float('inf')), dt)
    return best


def _no_grad(fn, img, flow):
    with torch.no_grad():
        return fn(img, flow)


def make_case(n: int, c: int, h: int, w: int, max_flow: float, seed: int = 0, device='cpu'):
    g = torch.Generator().manual_seed(seed)
    img = torch.rand(n, c, h, w, generator=g)
    flow = (torch.rand(n, 2, h, w, generator=g) * 2 - 1) * max_flow
    return img.to(device), flow.to(device)


def timings(scale: int, out_h: int, out_w: int, n: int, c: int, reps: int, max_flow: float,
            device: str = 'cpu') -> dict:
    """Minimum seconds of each op at one configuration (keys: '<op> fwd' / '<op> fwd+bwd')."""
    h, w = out_h // scale, out_w // scale
    lr, lr_flow = make_case(n, c, h, w, max_flow, device=device)
    hr, hr_flow = make_case(n, c, h * scale, w * scale, max_flow * scale, seed=1, device=device)
    grad_hr = torch.rand(n, c, h * scale, w * scale, device=device)

    def fwd_bwd(fn, img, flow):
        img = img.clone().requires_grad_(True)
        flow = flow.clone().requires_grad_(True)
        def run():
            img.grad = flow.grad = None
            fn(img, flow).backward(grad_hr)
        return run

    ops = {'spmc': lambda i, f: spmc_warp(i, f, scale),
           'reference': lambda i, f: reference_spmc(i, f, scale),
           'grid_sample': None}
    fns = {}
    for name, fn in ops.items():
        img, flow = (hr, hr_flow) if fn is None else (lr, lr_flow)
        fn = backward_warp if fn is None else fn
        fns[f'{name} fwd'] = functools.partial(_no_grad, fn, img, flow)
        fns[f'{name} fwd+bwd'] = fwd_bwd(fn, img, flow)
    return min_times(fns, reps, device)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--scales', type=int, nargs='+', default=[2, 3, 4])
    ap.add_argument('--sizes', nargs='+', default=['240x240', '480x640', '720x1260'],
                    help='HR output sizes HxW (rounded down to a multiple of the scale)')
    ap.add_argument('--batch', type=int, default=4)
    ap.add_argument('--channels', type=int, default=1)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--reps', type=int, default=7)
    ap.add_argument('--flow', type=float, default=2.0, help='max |flow| in LR pixels')
    ap.add_argument('--device', default='cpu', help='cpu or cuda[:N]')
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.device.startswith('cuda') and not torch.cuda.is_available():
        raise SystemExit('bench_ops.py: error: --device cuda: no CUDA device here')
    print(f'torch {torch.__version__}, {args.device}, {torch.get_num_threads()} threads, batch '
          f'{args.batch}, C={args.channels}, float32; times are the minimum of {args.reps} '
          'round-robin runs')
    print('| scale | HR out | op | fwd ms | fwd Mpx/s | fwd ratio | fwd+bwd ms | fwd+bwd Mpx/s | fwd+bwd ratio |')
    print('|---|---|---|---|---|---|---|---|---|')
    for size in args.sizes:
        H, W = (int(v) for v in size.lower().split('x'))
        for s in args.scales:
            oh, ow = H - H % s, W - W % s
            t = timings(s, oh, ow, args.batch, args.channels, args.reps, args.flow, args.device)
            mpx = args.batch * oh * ow / 1e6
            for op in ('spmc', 'reference', 'grid_sample'):
                f, fb = t[f'{op} fwd'], t[f'{op} fwd+bwd']
                print(f'| x{s} | {oh}x{ow} | {op} | {f * 1e3:.2f} | {mpx / f:.0f} '
                      f"| {f / t['grid_sample fwd']:.2f} | {fb * 1e3:.2f} | {mpx / fb:.0f} "
                      f"| {fb / t['grid_sample fwd+bwd']:.2f} |", flush=True)


if __name__ == '__main__':
    main()
