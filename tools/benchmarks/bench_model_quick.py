"""Quick model figures: parameter counts and CPU forward time of the default SPMC model.

Usage: python tools/benchmarks/bench_model_quick.py [--h 120 --w 180 --scale 4 --frames 3
       --channels 1 --threads 2 --reps 5]

Prints the parameters of VESPCNMotion, DetailFusionNet and the full SPMCVSR (paper widths),
then the multiply-accumulates of one forward and the median wall time of one ``mode='predict'`` call (one SR output frame from a window
of ``frames`` LR frames) under ``torch.no_grad``, with a per-part breakdown.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from vsrkit.ops import bicubic_upsample
from vsrkit.registry import MODELS


def count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def median_time(fn, reps: int) -> float:
    fn()  # warm-up: first calls pay for allocation and kernel selection
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--h', type=int, default=120)
    ap.add_argument('--w', type=int, default=180)
    ap.add_argument('--scale', type=int, default=4)
    ap.add_argument('--frames', type=int, default=3)
    ap.add_argument('--channels', type=int, default=1)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--reps', type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    c, s, t = args.channels, args.scale, args.frames
    model = MODELS.build(dict(type='SPMCVSR', motion=dict(type='VESPCNMotion'),
                              compensation=dict(type='SPMC'), fusion=dict(type='DetailFusionNet'),
                              scale=s, num_frames=t, in_channels=c)).eval()
    print(f'parameters (C={c}, x{s}): VESPCNMotion {count(model.motion):,}  '
          f'DetailFusionNet {count(model.fusion):,}  SPMCVSR total {count(model):,}')

    x = torch.rand(1, t, c, args.h, args.w) - 0.5
    with torch.no_grad():
        with FlopCounterMode(display=False) as counter:  # machine-independent cost
            model(x, mode='predict')
        print(f'compute per output frame: {counter.get_total_flops() / 2e9:.1f} GMAC '
              '(convolutions and matmuls)')
        total = median_time(lambda: model(x, mode='predict'), args.reps)
        flows = model.forward_flows(x)
        t_motion = median_time(lambda: model.forward_flows(x), args.reps)
        t_comp = median_time(lambda: model.compensation(x.flatten(0, 1), flows.flatten(0, 1)),
                             args.reps)
        hr = model.compensation(x.flatten(0, 1), flows.flatten(0, 1))
        hr = hr.view(1, t, c, args.h * s, args.w * s)
        ref_up = bicubic_upsample(x[:, t // 2], s)
        t_bicubic = median_time(lambda: bicubic_upsample(x[:, t // 2], s), args.reps)
        t_fusion = median_time(lambda: model.fusion(hr, ref_up), args.reps)
    print(f'predict, {t}-frame window, LR {args.h}x{args.w} -> {args.h * s}x{args.w * s}, '
          f'{args.threads} threads, median of {args.reps}: {total * 1000:.0f} ms per output frame')
    print(f'  motion ({t - 1} flows) {t_motion * 1000:.0f} ms | SPMC ({t} frames) '
          f'{t_comp * 1000:.0f} ms | bicubic {t_bicubic * 1000:.0f} ms | '
          f'fusion ({t} steps) {t_fusion * 1000:.0f} ms')


if __name__ == '__main__':
    main()
