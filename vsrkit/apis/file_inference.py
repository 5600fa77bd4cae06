"""File-to-file inference: read frames, super-resolve them as a stream, write them atomically."""
from __future__ import annotations

import os
import time
from collections import deque
from contextlib import ExitStack
from typing import Iterator

import numpy as np
import torch
from torch import nn

from vsrkit.datasets.degradations import crop_to_multiple, degrade
from vsrkit.datasets import sliding_windows
from vsrkit.errors import ConfigError, DataError
from vsrkit.evaluation.functional import psnr
from vsrkit.io.frames import write_image
from vsrkit.io.streams import FrameSink, FrameSource
from vsrkit.io.video import is_video_path, to_uint8
from vsrkit.ops.upsample import bicubic_upsample

from .inference import WindowSR
from .progress import Progress


def _chw(frame: np.ndarray) -> torch.Tensor:
    f = torch.from_numpy(np.ascontiguousarray(frame)).permute(2, 0, 1)
    return f.float() / 255.0 if f.dtype == torch.uint8 else f.float()


COMPARE_MODES = ('split', 'wipe')
WIPE_SECONDS = 4  # one back-and-forth sweep of the --compare wipe


def infer_video(model: nn.Module, input: str, output: str, *, tile: int | None = None,
                tile_overlap: int | None = None, fps: float | None = None,
                max_frames: int | None = None, start: int = 0, scale_check: bool = False,
                panel: str | None = None, panel_frame: int | None = None,
                panel_crop: int = 128, progress: bool = True, codec: str | None = None,
                crf: float | None = None, preset: str | None = None, audio: bool = True,
                compare: str | None = None, compare_mode: str = 'split') -> dict:
    """Super-resolve ``input`` (video file, frame folder or glob) into ``output`` (video or folder).

    ``start`` skips the first frames (frame-exact), ``max_frames`` limits how many are processed.
    Streaming: frames are decoded, windowed, super-resolved and written one at a time, so memory
    is bounded by the window (``model.num_frames`` LR frames) and one output frame.

    A video output keeps the input video's timestamps frame by frame (``fps``: the rate of
    frame-folder / glob input only) and, with ``audio``, its audio and subtitle streams, copied
    unchanged over the processed span. ``codec``, ``crf``, ``preset`` choose the encoder
    (default by extension: :data:`vsrkit.io.video.VIDEO_CODECS`).

    ``compare``: also write a comparison video (or PNG folder) of bicubic against SR, split
    screen (``compare_mode='split'``: bicubic on the left half) or a divider sweeping across
    the frame (``'wipe'``, once every :data:`WIPE_SECONDS`); same size, timing and audio.

    ``scale_check``: treat the input as high-res ground truth; each frame is cropped to a multiple
    of the scale, downscaled with MATLAB bicubic, super-resolved, and compared with the original
    (PSNR on Y, border ``scale``), next to the bicubic upscale as a baseline. The output then has
    the (cropped) input's size. ``panel`` (needs ``scale_check``): also save the comparison panel
    (LR / bicubic / SR / GT crops with PSNR, :func:`vsrkit.visualization.comparison_panel`) of
    frame ``panel_frame`` (default: the middle one) as this PNG, written once the run succeeded.

    Returns:
        dict(frames, seconds, fps (frames/s), lr_size (h, w), sr_size (H, W), output, tile,
        tile_overlap (None untiled)) and, with
        ``scale_check``, psnr / psnr_bicubic (means over frames, dB); ``notes``: what the
        video writers adapted or skipped, ``copied``: the streams copied from the input.
    """
    if panel is not None and not scale_check:
        raise ConfigError('--panel needs --scale-check (the panel compares with the input as GT)')
    if compare_mode not in COMPARE_MODES:
        raise ConfigError(f'--compare-mode {compare_mode}: use one of {", ".join(COMPARE_MODES)}')
    if compare is not None and os.path.abspath(compare) == os.path.abspath(output):
        raise ConfigError(f'--compare {compare}: the same path as the output')
    given = [name for name, v in (('--codec', codec), ('--crf', crf), ('--preset', preset))
             if v is not None]
    if given and not any(is_video_path(p) for p in (output, compare) if p is not None):
        raise ConfigError(f'{output}: {", ".join(given)} apply to video outputs; a folder gets '
                          'PNG frames')
    source = FrameSource(input, max_frames=max_frames, start=start, fps=fps)
    if panel is not None:
        panel_frame = len(source) // 2 if panel_frame is None else panel_frame
        if not 0 <= panel_frame < len(source):
            raise ConfigError(f'--panel-frame {panel_frame}: {input} has {len(source)} frames')
        if not os.path.isdir(os.path.dirname(os.path.abspath(panel))):
            raise DataError(f'{panel}: its folder does not exist')
    run = WindowSR(model, tile, tile_overlap)
    s = run.scale
    lr_h, lr_w = (source.height // s, source.width // s) if scale_check else (source.height,
                                                                               source.width)
    tiled = tile is not None and max(lr_h, lr_w) > tile
    if tiled:
        _ = run.tile_overlap  # measure now, so the progress rate covers SR only
    # timestamps, HR and LR frames waiting for their SR output (at most r + 1 of each)
    pts_queue: deque[int] = deque()
    gt_queue: deque[np.ndarray] = deque()
    lr_queue: deque[np.ndarray] = deque()
    keep_lr = scale_check or compare is not None
    label = type(model).__name__.replace('VSR', '') or 'SR'

    def lr_frames() -> Iterator[np.ndarray]:
        for pts, frame in source.timed():
            pts_queue.append(pts)
            if scale_check:
                gt = crop_to_multiple(frame, s)
                if gt.size == 0:
                    raise DataError(f'{input}: frames of {frame.shape[1]}x{frame.shape[0]} are '
                                    f'smaller than the scale x{s}')
                gt_queue.append(gt)
                frame = degrade(gt, 'BI', s)
            if keep_lr:
                lr_queue.append(frame)
            yield frame

    def open_sink(path: str) -> FrameSink:
        if not is_video_path(path):
            return FrameSink(path)
        return FrameSink(path, timing=source.timing, codec=codec, crf=crf, preset=preset,
                         copy_from=input if audio and source.kind == 'video' else None)

    bar = Progress(len(source)) if progress else None
    scores, scores_bic = [], []
    panel_img = None
    if compare is not None:
        from vsrkit.visualization.images import split_frame, wipe_position
        wipe_period = max(2, round(WIPE_SECONDS * source.fps))
    start = time.perf_counter()
    with ExitStack() as outputs:
        sink = outputs.enter_context(open_sink(output))
        comparison = outputs.enter_context(open_sink(compare)) if compare is not None else None
        for i, window in sliding_windows((run.prepare(f) for f in lr_frames()),
                                         int(model.num_frames)):
            sr = run(window)
            pts = pts_queue.popleft()
            # Rounded once: the output and the comparison's SR side are the same pixels.
            sr8 = to_uint8(sr)
            sink.write(sr8, pts)
            if keep_lr:
                lr = _chw(lr_queue.popleft())
                bic = bicubic_upsample(lr[None], s)[0].clamp(0, 1)
            if comparison is not None:
                where = 0.5 if compare_mode == 'split' else wipe_position(i, wipe_period)
                comparison.write(split_frame(bic, sr8, where, ('bicubic', label)), pts)
            if scale_check:
                gt = _chw(gt_queue.popleft())
                sr_t = torch.from_numpy(sr).permute(2, 0, 1)
                scores.append(psnr(sr_t, gt, crop_border=s))
                scores_bic.append(psnr(bic, gt, crop_border=s))
                if panel is not None and i == panel_frame:
                    from vsrkit.visualization.images import comparison_panel
                    panel_img, _ = comparison_panel(lr, sr_t, gt, s, bicubic=bic,
                                                    crop_size=panel_crop, sr_label=label)
            if bar:
                bar.update()
    seconds = time.perf_counter() - start
    if bar:
        bar.close()
    stats = dict(frames=sink.count, seconds=seconds, fps=sink.count / seconds,
                 lr_size=(lr_h, lr_w), sr_size=(lr_h * s, lr_w * s), output=sink.path,
                 tile=tile if tiled else None, tile_overlap=run.tile_overlap if tiled else None,
                 notes=sink.notes + (comparison.notes if comparison is not None else []),
                 copied=sink.copied, compare=comparison.path if comparison is not None else None)
    if scale_check:
        stats['psnr'] = float(np.mean(scores))
        stats['psnr_bicubic'] = float(np.mean(scores_bic))
    if panel is not None:
        if panel_img is None:
            raise ConfigError(f'--panel-frame {panel_frame}: the input has {sink.count} frames')
        write_image(panel, panel_img, rgb=True)
        stats['panel'] = panel
    return stats

