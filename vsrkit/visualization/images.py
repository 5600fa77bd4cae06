"""Pictures of SR results: captions, the sparse SPMC map and its weights, comparison panels,
split-screen frames for comparison videos.

All functions take images as (C, H, W) tensors/arrays or (H, W, C) / (H, W) arrays with values
in [0, 1] (C = 1 or 3) and return (H, W, 3) uint8 RGB arrays, ready for ``cv2.imwrite`` (after
RGB -> BGR) or mmengine's ``Visualizer.add_image``.
"""
from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np
import torch

from vsrkit.evaluation.functional import psnr
from vsrkit.ops.upsample import bicubic_upsample

CAPTION_BG = (32, 32, 32)
CAPTION_FG = (255, 255, 255)


def to_hwc(img) -> np.ndarray:
    """(C, H, W) tensor/array or (H, W[, C]) array -> (H, W, 3) float64; grey is replicated."""
    if isinstance(img, torch.Tensor):
        img = img.detach().cpu().numpy()
    img = np.asarray(img, dtype=np.float64)
    if img.ndim == 3 and img.shape[0] in (1, 3) and img.shape[-1] not in (1, 3):
        img = img.transpose(1, 2, 0)
    if img.ndim == 2:
        img = img[..., None]
    if img.ndim != 3 or img.shape[-1] not in (1, 3):
        raise ValueError(f'expected an image (C, H, W) or (H, W, C) with C in (1, 3), got {img.shape}')
    return np.repeat(img, 3, axis=-1) if img.shape[-1] == 1 else img


def to_uint8(img) -> np.ndarray:
    """Image in [0, 1] -> (H, W, 3) uint8 RGB (clipped, rounded)."""
    return np.ascontiguousarray(np.clip(np.rint(to_hwc(img) * 255.0), 0, 255).astype(np.uint8))


def _chw(img) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(to_hwc(img).transpose(2, 0, 1)))


def add_caption(img: np.ndarray, text: str, height: int | None = None) -> np.ndarray:
    """Append a dark strip with ``text`` below a uint8 RGB image (font scaled to the width)."""
    h, w = img.shape[:2]
    height = height or max(18, min(40, w // 12))
    strip = np.empty((height, w, 3), np.uint8)
    strip[:] = CAPTION_BG
    scale = height / 34.0
    (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    if tw > w - 4:  # shrink long captions to fit
        scale *= (w - 4) / tw
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    org = (max(2, (w - tw) // 2), (height + th) // 2)
    cv2.putText(strip, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, CAPTION_FG, 1, cv2.LINE_AA)
    return np.concatenate((img, strip), axis=0)


def hstack(images: Sequence[np.ndarray], gap: int = 4) -> np.ndarray:
    """Place uint8 images side by side (padded to the tallest) with white gaps."""
    h = max(im.shape[0] for im in images)
    cols = []
    for k, im in enumerate(images):
        if im.shape[0] < h:
            im = np.concatenate((im, np.full((h - im.shape[0],) + im.shape[1:], 255, np.uint8)))
        cols.append(im)
        if k < len(images) - 1:
            cols.append(np.full((h, gap, 3), 255, np.uint8))
    return np.concatenate(cols, axis=1)


def weight_map_image(weights, vmax: float | None = None) -> np.ndarray:
    """SPMC splat weights (1, H, W) -> colour-mapped image; zero weight (a hole) is black.

    ``vmax`` is the weight drawn brightest (None: the map's maximum)."""
    w = to_hwc(weights)[..., 0]
    vmax = float(vmax if vmax is not None else max(w.max(), 1e-12))
    grey = np.clip(np.rint(w / vmax * 255.0), 0, 255).astype(np.uint8)
    img = cv2.cvtColor(cv2.applyColorMap(grey, cv2.COLORMAP_VIRIDIS), cv2.COLOR_BGR2RGB)
    img[w <= 0] = 0
    return img


def spmc_maps_panel(sparse, weights, captions: Sequence[str] = ('SPMC output (sparse)',
                                                                 'splat weights')) -> np.ndarray:
    """The SPMC layer's sparse high-res map beside its weight map, captioned.

    Args:
        sparse: (C, H, W) ``spmc_warp`` of a [0, 1] frame (holes are 0, so black).
        weights: (1, H, W) the accumulated splat weights from ``spmc_warp(return_weights=True)``.
    """
    w = to_hwc(weights)[..., 0]
    hole = 100.0 * float((w <= 0).mean())
    return hstack([add_caption(to_uint8(sparse), captions[0]),
                   add_caption(weight_map_image(weights), f'{captions[1]} ({hole:.0f}% holes)')])


def textured_crop(gt, size: tuple[int, int], align: int = 1) -> tuple[int, int, int, int]:
    """(y, x, h, w) of the ``size`` window of ``gt`` with the most gradient energy.

    A deterministic choice driven by the ground truth alone (not by where a method wins), so
    panels show detail without cherry-picking. ``y`` and ``x`` are multiples of ``align``.
    """
    y_img = to_hwc(gt).mean(axis=-1)
    gy, gx = np.gradient(y_img)
    energy = np.hypot(gx, gy)
    h, w = min(size[0], y_img.shape[0]), min(size[1], y_img.shape[1])
    integral = np.pad(energy, ((1, 0), (1, 0))).cumsum(0).cumsum(1)
    sums = (integral[h:, w:] - integral[:-h, w:] - integral[h:, :-w] + integral[:-h, :-w])
    ys = np.arange(0, sums.shape[0], align)
    xs = np.arange(0, sums.shape[1], align)
    sub = sums[np.ix_(ys, xs)]
    iy, ix = np.unravel_index(int(np.argmax(sub)), sub.shape)
    return int(ys[iy]), int(xs[ix]), h, w


def comparison_panel(lr, sr, gt, scale: int, crop: tuple[int, int, int, int] | None = None,
                     crop_size: int = 96, sr_label: str = 'SPMC', bicubic=None,
                     context: bool = True) -> tuple[np.ndarray, dict]:
    """Side-by-side crops: LR (nearest-upscaled), bicubic, SR, GT, with PSNR in the captions.

    PSNR is measured on the whole frame as the metrics do (Y, BT.601, border = ``scale``, 8-bit).

    Args:
        lr: (C, h, w) low-res input in [0, 1].
        sr: (C, s*h, s*w) model output in [0, 1].
        gt: (C, s*h, s*w) ground truth in [0, 1].
        scale: s.
        crop: (y, x, h, w) in high-res pixels; None picks :func:`textured_crop` of ``crop_size``.
        bicubic: the bicubic upscale if already computed, else MATLAB-compatible bicubic of ``lr``.
        context: prepend the whole GT frame, shrunk to the crop height, with the crop outlined.

    Returns:
        (panel (H, W, 3) uint8 RGB, dict(psnr_bicubic, psnr_sr, crop)).
    """
    lr_t, sr_t, gt_t = _chw(lr), _chw(sr), _chw(gt)
    if sr_t.shape != gt_t.shape or tuple(gt_t.shape[-2:]) != (lr_t.shape[-2] * scale,
                                                            lr_t.shape[-1] * scale):
        raise ValueError(f'comparison_panel: lr {tuple(lr_t.shape)}, sr {tuple(sr_t.shape)}, gt '
                         f'{tuple(gt_t.shape)} do not fit scale x{scale}')
    bic_t = _chw(bicubic) if bicubic is not None else \
        bicubic_upsample(lr_t[None], scale)[0].clamp(0, 1)
    scores = dict(psnr_bicubic=psnr(bic_t, gt_t, crop_border=scale),
                  psnr_sr=psnr(sr_t, gt_t, crop_border=scale))
    if crop is None:
        crop = textured_crop(gt_t, (crop_size, crop_size), align=scale)
    y, x, h, w = crop
    if y % scale or x % scale or h % scale or w % scale:
        raise ValueError(f'comparison_panel: crop {crop} must be multiples of the scale {scale}')
    lr_crop = to_hwc(lr_t)[y // scale:(y + h) // scale, x // scale:(x + w) // scale]
    lr_near = np.repeat(np.repeat(lr_crop, scale, axis=0), scale, axis=1)
    cap = max(18, min(40, w // 12))  # one caption height for every tile
    tiles = [
        add_caption(to_uint8(lr_near), 'LR (nearest)', cap),
        add_caption(to_uint8(to_hwc(bic_t)[y:y + h, x:x + w]),
                    f'Bicubic {scores["psnr_bicubic"]:.2f} dB', cap),
        add_caption(to_uint8(to_hwc(sr_t)[y:y + h, x:x + w]),
                    f'{sr_label} {scores["psnr_sr"]:.2f} dB', cap),
        add_caption(to_uint8(to_hwc(gt_t)[y:y + h, x:x + w]), 'GT', cap),
    ]
    if context:
        full = to_uint8(gt_t)
        cv2.rectangle(full, (x, y), (x + w - 1, y + h - 1), (255, 0, 0), max(1, full.shape[1] // 200))
        tw = max(1, round(full.shape[1] * h / full.shape[0]))
        thumb = cv2.resize(full, (tw, h), interpolation=cv2.INTER_AREA)
        tiles.insert(0, add_caption(thumb, 'frame (crop in red)', cap))
    return hstack(tiles), dict(scores, crop=tuple(int(v) for v in crop))


def split_frame(left, right, position: float = 0.5,
                labels: Sequence[str] = ('bicubic', 'SR')) -> np.ndarray:
    """One frame of a split-screen comparison video.

    Columns before ``position`` (a fraction of the width) come from ``left``, the rest from
    ``right``; a 2-pixel white divider marks the split and each side is labelled in its top
    corner. ``left`` and ``right``: same-size images in [0, 1] or uint8 (H, W, 3); returns
    (H, W, 3) uint8 RGB.
    """
    a = left if isinstance(left, np.ndarray) and left.dtype == np.uint8 else to_uint8(left)
    b = right if isinstance(right, np.ndarray) and right.dtype == np.uint8 else to_uint8(right)
    if a.shape != b.shape:
        raise ValueError(f'split_frame: sizes {a.shape} and {b.shape} differ')
    h, w = a.shape[:2]
    x = min(max(int(round(position * w)), 1), w - 1)
    out = np.concatenate((a[:, :x], b[:, x:]), axis=1)
    out[:, max(x - 1, 0):x + 1] = 255
    scale = max(0.35, h / 600)
    pad = max(2, round(4 * scale))
    for text, at_left in zip(labels, (True, False)):
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        x0 = pad if at_left else w - tw - 3 * pad
        cv2.rectangle(out, (x0, pad), (x0 + tw + 2 * pad, th + base + 3 * pad), CAPTION_BG, -1)
        cv2.putText(out, text, (x0 + pad, th + 2 * pad), cv2.FONT_HERSHEY_SIMPLEX, scale,
                    CAPTION_FG, 1, cv2.LINE_AA)
    return out


def wipe_position(index: int, period: int) -> float:
    """Divider position (fraction of the width) at frame ``index`` of a slider wipe: it eases
    from 10% to 90% of the width and back once every ``period`` frames, starting at 10%."""
    phase = (index % max(period, 1)) / max(period, 1)
    return 0.5 - 0.4 * np.cos(2 * np.pi * phase)
