"""All pictures of one sample: estimated flows, SPMC sparse/weight maps, comparison panel.

Used by :class:`vsrkit.engine.hooks.visualization_hook.VSRVisualizationHook` at validation time
and by ``tools/visualize.py sample``.
"""
from __future__ import annotations

import os

import numpy as np
import torch
from torch import nn

from vsrkit.io.frames import write_image
from vsrkit.ops import spmc_warp

from .flow import flow_image
from .images import (add_caption, comparison_panel, hstack, spmc_maps_panel, textured_crop,
                     to_uint8)

MIN_FLOW_SCALE = 0.5  # LR pixels: flows smaller than this are drawn pale, not saturated


def nearest_zoom(img: torch.Tensor, zoom: int) -> torch.Tensor:
    """(C, H, W) -> (C, zoom*H, zoom*W) by pixel repetition."""
    return img.repeat_interleave(zoom, -2).repeat_interleave(zoom, -1)


@torch.no_grad()
def render_sample(model: nn.Module, inputs: torch.Tensor, gt: torch.Tensor | None = None,
                  crop: tuple[int, int, int, int] | None = None, crop_size: int = 96,
                  max_flow: float | None = None, sr_label: str | None = None,
                  with_sr: bool = False) -> dict:
    """Run ``model`` on one window and draw what it did.

    The SR frame comes from :class:`vsrkit.apis.WindowSR`, exactly as ``tools/infer.py``
    computes it: RGB windows fed to a Y model get their Cb/Cr upsampled bicubically and
    recombined, so the pictures are in colour.

    Args:
        model: a vsrkit restorer (``scale``, ``num_frames``, ``pixel_shift``; ``forward_flows``
            if it estimates motion).
        inputs: (T, C, h, w) LR window in [0, 1] (a dataset item's ``inputs``), C = 3 (RGB) or
            the model's ``in_channels``.
        gt: (C, s*h, s*w) ground truth in [0, 1] with the same C, or None.
        crop, crop_size: panel crop (see :func:`comparison_panel`).
        max_flow: flow magnitude drawn saturated (None: the largest in the window, at least
            :data:`MIN_FLOW_SCALE`).
        sr_label: caption of the model's output (default: the model class without 'VSR').
        with_sr: also return the whole SR frame as ``sr`` when ``gt`` is given.

    Returns:
        dict of (H, W, 3) uint8 RGB images: ``flow`` (each neighbour's flow to the centre,
        colour-wheel coded) and ``spmc`` (sparse map + splat weights of the frame before the
        centre, on the panel's crop, zoomed) when the model estimates flow; ``panel`` (LR / bicubic / SR / GT crops with
        PSNR) when ``gt`` is given; ``sr`` (the whole SR frame) without gt or with ``with_sr``;
        plus ``scores`` (dict of PSNRs, if gt).
    """
    from vsrkit.apis.inference import WindowSR  # apis imports this package's siblings only
    s, t = int(model.scale), inputs.shape[0]
    k = t // 2
    run = WindowSR(model)
    lr = inputs.detach().to(run.device, torch.float32)
    window = [run.prepare(frame) for frame in lr]
    sr = torch.from_numpy(run(window)).permute(2, 0, 1)  # (C, s*h, s*w) in [0, 1]
    out: dict = {}
    if gt is not None:
        label = sr_label or type(model).__name__.replace('VSR', '') or 'SR'
        out['panel'], out['scores'] = comparison_panel(lr[k].cpu(), sr, gt.detach().cpu().float(),
                                                       s, crop=crop, crop_size=crop_size,
                                                       sr_label=label)
        crop = out['scores']['crop']
    elif crop is None:
        crop = textured_crop(sr, (crop_size, crop_size), align=s)
    if hasattr(model, 'forward_flows') and t > 1:
        x = torch.stack([w[0] for w in window])[None]
        flows = model.forward_flows(x)[0].float()  # (T, 2, h, w), zero at the centre
        others = [i for i in range(t) if i != k]
        mag = flows[others].norm(dim=1).max().item()
        # a floor keeps sub-pixel noise of a near-static scene from filling the wheel's colours
        vmax = max_flow if max_flow is not None else max(mag, MIN_FLOW_SCALE)
        zoom = max(1, 320 // flows.shape[-1])  # small LR frames: nearest-zoom for legibility
        scale_note = '' if vmax == mag else f' (scale {vmax:.2f})'
        out['flow'] = hstack([add_caption(flow_image(nearest_zoom(flows[i], zoom), max_flow=vmax),
                                          f'flow {i - k:+d} -> 0, max {mag:.2f} px{scale_note}')
                              for i in others])
        i = k - 1
        sparse, weights = spmc_warp(lr[i:i + 1], flows[i:i + 1], s, return_weights=True)
        # the centre of the panel's crop, nearest-zoomed: single splatted pixels stay visible
        y0, x0, h, w = crop
        size = min(h, w, 80)
        y0, x0 = y0 + (h - size) // 2, x0 + (w - size) // 2
        zoom = max(1, 320 // size)
        sparse, weights = (nearest_zoom(a[0, :, y0:y0 + size, x0:x0 + size].cpu(), zoom)
                           for a in (sparse, weights))
        out['spmc'] = spmc_maps_panel(sparse, weights,
                                      (f'SPMC of frame {i - k:+d} (crop, x{zoom} zoom)',
                                       'splat weights'))
    if gt is None or with_sr:
        out['sr'] = to_uint8(sr)
    return out


def save_images(images: dict, out_dir: str, prefix: str = '') -> list[str]:
    """Write the uint8 RGB images of :func:`render_sample` as PNGs; returns the paths."""
    paths = []
    for name, img in images.items():
        if isinstance(img, np.ndarray):
            path = os.path.join(out_dir, f'{prefix}{name}.png')
            write_image(path, img, rgb=True)
            paths.append(path)
    return paths
