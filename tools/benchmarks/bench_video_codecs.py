"""File size and fidelity of the video encoders for one SR output, against its lossless frames.

    python tools/benchmarks/bench_video_codecs.py FRAMES [--fps 25] [--out-dir DIR]

FRAMES: the lossless output (a PNG folder, e.g. ``tools/infer.py ... out_folder``). Each encoding
is decoded again with vsrkit.io.video and compared with the PNG frames: PSNR on RGB and on
BT.601 Y (8-bit, as the metrics), mean over frames. ``opencv mp4v`` is what OpenCV's
VideoWriter writes (vsrkit's video output before PyAV); the others go through
vsrkit.io.video.VideoWriter. Prints a markdown table.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import cv2
import numpy as np

from vsrkit.io.streams import FrameSource
from vsrkit.io.video import Timing, VideoReader, VideoWriter

ENCODINGS = [  # (label, file extension, VideoWriter options; None: OpenCV's mp4v)
    ('opencv mp4v (before)', '.mp4', None),
    ('libx264 CRF 18 (default .mp4/.mov/.mkv)', '.mp4', {}),
    ('libx264 CRF 23', '.mp4', dict(crf=23)),
    ('libx265 CRF 22', '.mp4', dict(codec='libx265')),
    ('libvpx-vp9 CRF 31 (default .webm)', '.webm', {}),
    ('libsvtav1 CRF 30', '.mkv', dict(codec='libsvtav1')),
    ('ffv1 (lossless)', '.mkv', dict(codec='ffv1')),
]


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b) ** 2)
    return float('inf') if mse == 0 else 10 * np.log10(255 ** 2 / mse)


def _y(img: np.ndarray) -> np.ndarray:
    return np.rint(16 + img.astype(np.float64) @ np.array([65.481, 128.553, 24.966]) / 255)


def _encode_opencv(path: str, frames: list[np.ndarray], fps: float) -> None:
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), fps, (w, h))
    for f in frames:
        writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    writer.release()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('frames', help='lossless frames (PNG folder or glob)')
    p.add_argument('--fps', type=float, default=25.0)
    p.add_argument('--out-dir', default=None, help='keep the encoded files here')
    args = p.parse_args(argv)
    frames = list(FrameSource(args.frames))
    h, w = frames[0].shape[:2]
    seconds = len(frames) / args.fps
    out_dir = args.out_dir or tempfile.mkdtemp(prefix='vsrkit_codecs_')
    print(f'{len(frames)} frames {w}x{h} at {args.fps:g} frames/s from {args.frames}\n')
    print('| encoding | size (KiB) | kbit/s | PSNR RGB (dB) | PSNR Y (dB) | encode s |')
    print('|---|---|---|---|---|---|')
    for k, (label, ext, options) in enumerate(ENCODINGS):
        path = os.path.join(out_dir, f'{k}_{label.split()[0]}{ext}')
        start = time.perf_counter()
        if options is None:
            _encode_opencv(path, frames, args.fps)
        else:
            with VideoWriter(path, Timing.constant(args.fps), **options) as out:
                for f in frames:
                    out.write(f)
        took = time.perf_counter() - start
        decoded = list(VideoReader(path))
        assert len(decoded) == len(frames), path
        rgb = np.mean([_psnr(d, f) for d, f in zip(decoded, frames)])
        luma = np.mean([_psnr(_y(d), _y(f)) for d, f in zip(decoded, frames)])
        size = os.path.getsize(path)
        print(f'| {label} | {size / 1024:.0f} | {size * 8 / 1000 / seconds:.0f} | {rgb:.2f} | '
              f'{luma:.2f} | {took:.1f} |')
    return 0


if __name__ == '__main__':
    sys.exit(main())
