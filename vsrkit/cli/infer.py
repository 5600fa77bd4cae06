"""Super-resolve a video, a folder of frames or a glob of images with a trained vsrkit model
(installed as ``vsrkit-infer``).

    python tools/infer.py NAME INPUT OUTPUT [options]          # a ready-to-use model
    python tools/infer.py CONFIG CKPT INPUT OUTPUT [--codec C] [--crf Q] [--preset P]
                          [--no-audio] [--compare VIDEO [--compare-mode split|wipe]]
                          [--start N] [--max-frames N] [--fps F] [--tile N] [--tile-overlap N]
                          [--scale-check [--panel PNG]] [--scale S] [--device D] [--threads N] [--compile]
    python tools/infer.py --list-models

NAME: a model shipped with vsrkit (or exported with tools/export_model.py), with its own
weights; --list-models shows them with their scale, frames, channels and measured figures.

INPUT: a video file (anything FFmpeg decodes), a folder of images, or a quoted glob
('frames/*.png'). OUTPUT: a video file, or a folder that receives 00000000.png, ...
A video output is H.264 (libx264, CRF 18, yuv420p) for .mp4/.m4v/.mov/.mkv and VP9 for .webm
(--codec, --crf, --preset override: e.g. --codec libx265, --codec ffv1 for lossless .mkv);
it keeps the input video's timestamps frame by frame and its audio and subtitle streams,
copied unchanged (--no-audio drops them). Frames stream through (bounded memory); the output
appears under its final name only when complete, also when the run is interrupted.
CKPT may be 'none' for parameter-free models (BicubicVSR) or speed tests.

--scale-check treats INPUT as high-res ground truth: frames are downscaled by the model's scale
(MATLAB bicubic), super-resolved, and PSNR (Y, border = scale) is reported against the input,
next to plain bicubic.
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading

from vsrkit.errors import ConfigError

from . import entry_point, load_checked_config


USAGE = ('infer.py [options] NAME INPUT OUTPUT\n'
         '       infer.py [options] CONFIG CKPT INPUT OUTPUT\n'
         '       infer.py --list-models')


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog='infer.py', description=__doc__.split('\n\n')[0],
                                usage=USAGE, formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split('\n\n', 1)[1])
    p.add_argument('positionals', nargs='*', metavar='ARGS',
                   help="NAME INPUT OUTPUT (NAME: a ready-to-use model, see --list-models) or "
                        "CONFIG CKPT INPUT OUTPUT (a model config .py and its checkpoint .pth, "
                        "or 'none'); INPUT: video file, frame folder, or image glob; OUTPUT: "
                        'video file (.mp4 .mov .mkv .webm ...) or folder for PNG frames')
    p.add_argument('--list-models', action='store_true',
                   help='list the ready-to-use models and exit')
    p.add_argument('--tile', type=int, default=None,
                   help='process frames in tiles of N x N LR pixels (plus overlap); for frames '
                        'too large for memory. The result equals the untiled one.')
    p.add_argument('--tile-overlap', type=int, default=None,
                   help='LR pixels of context around each tile (default: measured receptive '
                        'field of the model + a motion allowance)')
    p.add_argument('--scale-check', action='store_true',
                   help='downscale the input by the model scale first and report PSNR against it')
    p.add_argument('--panel', default=None, metavar='PNG',
                   help='with --scale-check: save a comparison panel (LR, bicubic, SR, GT crops '
                        'with PSNR) of one frame')
    p.add_argument('--panel-frame', type=int, default=None,
                   help='frame index for --panel (default: the middle frame)')
    p.add_argument('--panel-crop', type=int, default=128,
                   help='crop size of --panel in output pixels (the most textured region)')
    p.add_argument('--scale', type=int, default=None,
                   help='expected upscaling factor; refused if the model does not do it')
    p.add_argument('--codec', default=None,
                   help='video encoder (default by extension: libx264 for .mp4/.mov/.mkv, '
                        'libvpx-vp9 for .webm; also libx265, libsvtav1, ffv1, h264_nvenc, ...)')
    p.add_argument('--crf', type=float, default=None,
                   help='quality: the encoder\'s CRF (lower is better and larger; default 18 '
                        'for libx264, 22 libx265, 31 VP9, 30 SVT-AV1)')
    p.add_argument('--preset', default=None,
                   help='encoder speed preset (libx264/libx265: ultrafast .. veryslow, default '
                        'medium; SVT-AV1 0-13; VP9 cpu-used 0-8)')
    p.add_argument('--no-audio', action='store_true',
                   help='do not copy the input\'s audio and subtitle streams')
    p.add_argument('--compare', default=None, metavar='VIDEO',
                   help='also write a comparison video: bicubic | SR, same timing and audio')
    p.add_argument('--compare-mode', default='split', choices=['split', 'wipe'],
                   help='split: bicubic on the left half, SR on the right; wipe: the divider '
                        'sweeps across the frame and back every 4 s')
    p.add_argument('--fps', type=float, default=None,
                   help='frame rate of frame-folder / glob input (default 25); a video input '
                        'keeps its own timestamps')
    p.add_argument('--start', type=int, default=0, help='skip the first N frames (frame-exact)')
    p.add_argument('--max-frames', type=int, default=None, help='process at most N frames')
    p.add_argument('--device', default='cpu', help='torch device (cpu, cuda, cuda:1, ...)')
    p.add_argument('--threads', type=int, default=None, help='torch CPU threads')
    p.add_argument('--compile', action='store_true',
                   help='torch.compile the model (eager if compiling fails; ~5%% faster on the '
                        'CPU after a ~1 min compile, see docs/BENCHMARKS.md)')
    p.add_argument('--no-progress', action='store_true', help='no progress line on stderr')
    return p.parse_intermixed_args(argv)  # options may come between the positionals


def check_device(device: str) -> None:
    """Refuse a torch device string that is malformed or not available here."""
    import torch
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise ConfigError(f"--device {device}: not a torch device (cpu, cuda, cuda:1, ...)") from None
    if dev.type == 'cuda' and (dev.index or 0) >= torch.cuda.device_count():
        raise ConfigError(f'--device {device}: this machine has {torch.cuda.device_count()} CUDA '
                          'device(s)')


def _interrupt(signum, frame):
    raise KeyboardInterrupt  # unwinds like Ctrl-C: the temporary outputs are removed


@entry_point('infer.py')
def main(argv=None) -> None:
    args = parse_args(argv)
    if threading.current_thread() is not threading.main_thread():  # signals go to the main one
        return _run(args)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        _run(args)
    finally:
        signal.signal(signal.SIGTERM, previous)


def split_positionals(positionals: list[str]) -> tuple[str, str | None, str, str]:
    """(config or model name, checkpoint or None, input, output) from ``NAME INPUT OUTPUT``
    or ``CONFIG CKPT INPUT OUTPUT``; a one-line error for any other form."""
    from vsrkit import model_zoo
    if len(positionals) == 4:
        config, ckpt, source, target = positionals
        return config, None if ckpt.lower() == 'none' else ckpt, source, target
    known = ', '.join(model_zoo.list_models()) or 'none'
    if len(positionals) == 3:
        name, source, target = positionals
        if not model_zoo.looks_like_name(name):
            raise ConfigError(f'{name}: a config needs its checkpoint: CONFIG CKPT INPUT OUTPUT '
                              f"(CKPT may be 'none'), or NAME INPUT OUTPUT with a model name "
                              f'({known})')
        return name, None, source, target
    raise ConfigError(f'expected NAME INPUT OUTPUT or CONFIG CKPT INPUT OUTPUT, got '
                      f'{len(positionals)} argument(s) {positionals} (models: {known}; '
                      'see --list-models)')


def list_models() -> list[str]:
    """One line per ready-to-use model: name, scale, frames, channels, iterations, figures."""
    from vsrkit import model_zoo
    lines = []
    for name in model_zoo.list_models():
        info = model_zoo.get_model_info(name)
        model = info.get('model', {})
        channels = {1: 'Y', 3: 'RGB'}.get(model.get('in_channels'), model.get('in_channels'))
        figures = ' '.join(f'{k}={v:.4g}' if isinstance(v, float) else f'{k}={v}'
                           for k, v in model_zoo.flat_figures(info.get('figures')).items())
        lines.append(f"{name}  {model.get('type')} x{model.get('scale')}, "
                     f"{model.get('num_frames')} frames, {channels}, "
                     f"{info.get('iterations')} iterations  {figures}".rstrip())
    return lines or ['no ready-to-use models found']


def _run(args: argparse.Namespace) -> None:
    import torch

    from vsrkit import model_zoo
    from vsrkit.apis import check_scale, infer_video, init_model
    from vsrkit.io.video import is_video_path
    if args.list_models:
        print('\n'.join(list_models()))
        return
    config, ckpt, source, target = split_positionals(args.positionals)
    if args.threads:
        torch.set_num_threads(args.threads)
    check_device(args.device)
    named = model_zoo.looks_like_name(config)  # a model's config was checked when exported
    cfg = config if named else load_checked_config(config, build_model=False)
    model = init_model(cfg, ckpt, device=args.device, compile=args.compile)
    if ckpt is None and not named and any(True for _ in model.parameters()):
        print(f'infer.py: warning: no checkpoint, {type(model).__name__} runs with its '
              'initial (untrained) weights', file=sys.stderr)
    check_scale(model, args.scale)
    stats = infer_video(model, source, target, tile=args.tile,
                        tile_overlap=args.tile_overlap, fps=args.fps,
                        max_frames=args.max_frames, start=args.start,
                        scale_check=args.scale_check,
                        panel=args.panel, panel_frame=args.panel_frame,
                        panel_crop=args.panel_crop, progress=not args.no_progress,
                        codec=args.codec, crf=args.crf, preset=args.preset,
                        audio=not args.no_audio, compare=args.compare,
                        compare_mode=args.compare_mode)
    (h, w), (sh, sw) = stats['lr_size'], stats['sr_size']
    kind = 'video' if is_video_path(stats['output']) else 'PNG folder'
    print(f"wrote {stats['output']} ({kind}): {stats['frames']} frames {w}x{h} -> {sw}x{sh} "
          f"(x{model.scale}) in {stats['seconds']:.1f} s, {stats['fps']:.2f} frames/s")
    if stats['copied']:
        print(f"copied from the input: {', '.join(stats['copied'])}")
    for note in stats['notes']:
        print(f'note: {note}')
    if stats['compare']:
        print(f"comparison ({args.compare_mode}, bicubic | {type(model).__name__}): "
              f"{stats['compare']}")
    if stats['tile']:
        print(f"tiles of {stats['tile']} LR px with {stats['tile_overlap']} px overlap")
    if args.scale_check:
        print(f"scale check: PSNR (Y, border {model.scale}) {type(model).__name__} "
              f"{stats['psnr']:.2f} dB, bicubic {stats['psnr_bicubic']:.2f} dB")
    if args.panel:
        print(f"panel: {stats['panel']}")


if __name__ == '__main__':
    sys.exit(main())
