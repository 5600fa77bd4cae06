"""Pictures of a model and a run: flows, SPMC maps, comparison panel, training curves
(installed as ``vsrkit-visualize``).

    python tools/visualize.py sample CONFIG CKPT INPUT [--frame K] [--region Y,X,H,W]
                                     [--crop Y,X,H,W] [--crop-size N] [--out-dir DIR]
    python tools/visualize.py curves WORK_DIR [-o curves.png]

sample: INPUT (video, frame folder or glob) is taken as high-res ground truth. The window of
frames around K (reflected at the ends) is optionally cut to --region, downscaled by the model's
scale (MATLAB bicubic), and super-resolved. Writes flow.png (colour-wheel flows of the
neighbours to the centre), spmc.png (sparse SPMC map of the previous frame and its splat
weights), panel.png (LR nearest / bicubic / SR / GT crops, PSNR of the whole frame on Y) and
sr.png (the whole SR frame) to --out-dir.

curves: plots the losses (per stage) and validation metrics of the newest run in WORK_DIR.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

from vsrkit.errors import ConfigError

from . import entry_point, load_checked_config


def _box(text: str) -> tuple[int, int, int, int]:
    try:
        y, x, h, w = (int(v) for v in text.split(','))
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected Y,X,H,W (4 integers), got {text!r}') from None
    return y, x, h, w


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog='visualize.py', description=__doc__.split('\n\n')[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split('\n\n', 1)[1])
    sub = p.add_subparsers(dest='command', required=True)
    s = sub.add_parser('sample', help='flow, SPMC maps and comparison panel of one frame')
    s.add_argument('config')
    s.add_argument('checkpoint', help="checkpoint (.pth), or 'none'")
    s.add_argument('input', help='high-res video file, frame folder, or image glob')
    s.add_argument('--frame', type=int, default=0, help='centre frame index (default 0)')
    s.add_argument('--region', type=_box, default=None,
                   help='cut Y,X,H,W of the high-res frames first (keeps CPU runs small)')
    s.add_argument('--crop', type=_box, default=None,
                   help='panel crop Y,X,H,W in high-res pixels (default: most textured)')
    s.add_argument('--crop-size', type=int, default=128, help='panel crop size (default 128)')
    s.add_argument('--max-flow', type=float, default=None,
                   help='flow magnitude drawn fully saturated (default: the largest)')
    s.add_argument('--out-dir', default='.', help='where the PNGs go (default: .)')
    s.add_argument('--prefix', default='', help='file name prefix')
    s.add_argument('--device', default='cpu')
    c = sub.add_parser('curves', help='training curves of a run')
    c.add_argument('work_dir', help='work dir (newest run) or a scalars.json')
    c.add_argument('-o', '--out', default=None, help='PNG (default: WORK_DIR/curves.png)')
    return p.parse_args(argv)


def sample(args) -> None:
    import torch

    from vsrkit.apis import init_model
    from vsrkit.datasets import crop_to_multiple, degrade, window_indices
    from vsrkit.io import FrameSource
    from vsrkit.visualization import render_sample, save_images

    cfg = load_checked_config(args.config, build_model=False)
    ckpt = None if args.checkpoint.lower() == 'none' else args.checkpoint
    model = init_model(cfg, ckpt, device=args.device)
    s, t = int(model.scale), int(model.num_frames)
    source = FrameSource(args.input, max_frames=args.frame + t // 2 + 1)
    frames = list(source)  # only up to frame + r: the window needs no more
    if args.frame >= len(frames):
        raise ConfigError(f'--frame {args.frame}: {args.input} has {len(frames)} frames')
    # frames were read up to frame + r: fewer means the clip ends inside the window (reflect at
    # its real end); otherwise only the start of the window can need reflecting
    n = len(frames) if len(frames) < args.frame + t // 2 + 1 else 10 ** 9
    hr = [frames[j] for j in window_indices(args.frame, n, t)]
    if args.region is not None:
        y, x, h, w = args.region
        hr = [f[y:y + h, x:x + w] for f in hr]
        if hr[0].size == 0:
            raise ConfigError(f'--region {args.region} lies outside the {source.width}x'
                              f'{source.height} frames')
    hr = [crop_to_multiple(f, s) for f in hr]
    h, w = hr[0].shape[:2]
    if h == 0 or w == 0:
        raise ConfigError(f'--region {args.region}: smaller than the scale x{s}')
    lr = [degrade(f, 'BI', s) for f in hr]

    def chw(a):
        return torch.from_numpy(np.ascontiguousarray(a)).permute(2, 0, 1).float() / 255.0

    images = render_sample(model, torch.stack([chw(f) for f in lr]), chw(hr[t // 2]),
                           crop=args.crop, crop_size=args.crop_size, max_flow=args.max_flow,
                           with_sr=True)
    scores = images.pop('scores')
    os.makedirs(args.out_dir, exist_ok=True)
    for path in save_images(images, args.out_dir, args.prefix):
        print(f'wrote {path}')
    print(f"frame {args.frame}: LR {w // s}x{h // s} -> {w}x{h} (x{s}); PSNR (Y, border {s}) "
          f"{type(model).__name__} {scores['psnr_sr']:.2f} dB, bicubic "
          f"{scores['psnr_bicubic']:.2f} dB; panel crop {scores['crop']}")


def curves(args) -> None:
    from vsrkit.visualization import plot_training_curves
    out = args.out or os.path.join(args.work_dir if os.path.isdir(args.work_dir)
                                   else os.path.dirname(args.work_dir), 'curves.png')
    info = plot_training_curves(args.work_dir, out)
    stages = ', '.join(f'{name}@{it}' for it, name in info['stages']) or 'none logged'
    print(f"wrote {out} from {info['scalars']}: losses {info['losses']}, metrics "
          f"{info['metrics']}, stages {stages}")


@entry_point('visualize.py')
def main(argv=None) -> None:
    args = parse_args(argv)
    (sample if args.command == 'sample' else curves)(args)


if __name__ == '__main__':
    sys.exit(main())
