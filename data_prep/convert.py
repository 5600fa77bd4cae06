"""The conversion: sources -> (GT resize, crop to the scale) -> GT + degraded LR frames ->
PNG/raw records -> one LMDB per output, in parallel worker processes, resumable.

Per frame (in a worker): read/decode, optional GT resize (MATLAB bicubic), crop so H and W
are divisible by every scale, then for each output: GT as is, ``BI`` = bicubic x1/s,
``BD`` = Gaussian blur + every s-th pixel; encode. The main process decodes videos, writes
the LMDBs in frame order and keeps the progress.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import signal
import time
from dataclasses import asdict, dataclass, field
from typing import Iterator, Sequence

import cv2
import numpy as np

from vsrkit.datasets.degradations import DEGRADATIONS, crop_to_multiple, degrade
from vsrkit.datasets.errors import DataError
from vsrkit.datasets.frame_io import encode_frame, frame_key, read_image
from vsrkit.ops.imresize import imresize

from .lmdb_writer import PartialLMDB, final_state
from .parallel import ordered_map
from .sources import Source

FORMAT_VERSION = 1


@dataclass(frozen=True)
class ResizeSpec:
    """GT resize before degradation: ``'480x270'`` (W x H), ``'480'`` (width, height by
    aspect ratio, rounded) or ``'0.375'`` (factor). MATLAB bicubic with antialiasing."""
    width: int | None = None
    height: int | None = None
    factor: float | None = None

    @classmethod
    def parse(cls, text: str) -> 'ResizeSpec':
        t = str(text).strip().lower()
        try:
            if 'x' in t:
                w, h = t.split('x')
                spec = cls(width=int(w), height=int(h))
            elif '.' in t:
                spec = cls(factor=float(t))
            else:
                spec = cls(width=int(t))
        except ValueError:
            raise ValueError(f"--resize-gt: expected WxH (480x270), a width (480) or a factor "
                             f"(0.375), got {text!r}") from None
        if any(v is not None and v <= 0 for v in (spec.width, spec.height, spec.factor)):
            raise ValueError(f'--resize-gt: sizes must be positive, got {text!r}')
        return spec

    def size(self, h: int, w: int) -> tuple[int, int]:
        """Output (H, W) for a (h, w) frame."""
        if self.factor is not None:
            return max(1, round(h * self.factor)), max(1, round(w * self.factor))
        if self.height is not None:
            return self.height, self.width
        return max(1, round(h * self.width / w)), self.width

    def __str__(self) -> str:
        if self.factor is not None:
            return f'x{self.factor}'
        return f'{self.width}x{self.height}' if self.height else f'width {self.width}'


@dataclass(frozen=True)
class Output:
    """One LMDB: ground truth (kind 'GT', scale 1) or LR of a degradation and scale."""
    kind: str
    scale: int = 1

    @property
    def name(self) -> str:
        return 'GT' if self.kind == 'GT' else f'{self.kind}x{self.scale}'


@dataclass(frozen=True)
class PrepSettings:
    """What is written. GT frames are cropped to a multiple of every scale (the lcm), so one
    GT LMDB pairs with each LR LMDB."""
    degradations: tuple[str, ...] = ('BI',)
    scales: tuple[int, ...] = (4,)
    gt: bool = True
    compress_level: int | None = 1      # PNG 0-9, None = raw
    bd_sigma: float = 1.6

    def __post_init__(self):
        bad = [d for d in self.degradations if d not in DEGRADATIONS]
        if bad:
            raise ValueError(f'unknown degradation(s) {bad}; use {DEGRADATIONS}')
        if not self.scales or any(s not in (2, 3, 4) for s in self.scales):
            raise ValueError(f'scales must be among 2, 3, 4, got {list(self.scales)}')
        if self.compress_level is not None and not 0 <= self.compress_level <= 9:
            raise ValueError(f'PNG compression level must be 0-9, got {self.compress_level}')
        if not self.gt and not self.degradations:
            raise ValueError('nothing to write: no GT and no degradation')

    @property
    def crop_multiple(self) -> int:
        return math.lcm(*self.scales)

    @property
    def outputs(self) -> list[Output]:
        outs = [Output('GT')] if self.gt else []
        return outs + [Output(d, s) for d in self.degradations for s in self.scales]


# ----------------------------------------------------------------------------- worker side

def process_frame(payload, resize: ResizeSpec | None, settings: PrepSettings,
                  outputs: Sequence[Output]) -> dict:
    """One source frame -> encoded records of every output (see module docstring)."""
    img = read_image(payload) if isinstance(payload, str) else payload
    src_shape = img.shape
    if resize is not None:
        oh, ow = resize.size(*img.shape[:2])
        if (oh, ow) != img.shape[:2]:
            # float32 is plenty for the GT resize (a preprocessing choice, not the BI standard).
            img = np.clip(np.round(imresize(img.astype(np.float32), output_shape=(oh, ow))), 0, 255)
            img = img.astype(np.uint8)
    resized_shape = img.shape
    img = crop_to_multiple(img, settings.crop_multiple)
    if img.shape[0] == 0 or img.shape[1] == 0:
        raise DataError(f'frame of {resized_shape[1]}x{resized_shape[0]} is smaller than the '
                        f'scale {settings.crop_multiple}')
    records, shapes = {}, {}
    for out in outputs:
        frame = img if out.kind == 'GT' else degrade(img, out.kind, out.scale, settings.bd_sigma)
        records[out.name] = encode_frame(np.ascontiguousarray(frame), settings.compress_level)
        shapes[out.name] = frame.shape
    return dict(src_shape=src_shape, resized_shape=resized_shape, gt_shape=img.shape, shapes=shapes,
                records=records)


_WORKER: dict = {}


def _init_worker(settings: PrepSettings, outputs: list[Output]) -> None:
    # Ctrl-C is the main process's to handle (it stops the workers and keeps the partial
    # LMDBs for a resume); workers ignoring it spares the user a traceback per worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    cv2.setNumThreads(1)  # one frame per process; OpenCV threads would oversubscribe
    _WORKER.update(settings=settings, outputs=outputs)


def _work(event: tuple) -> tuple:
    if event[0] != 'frame':
        return event
    _, clip, j, src_index, payload, resize, label = event
    try:
        res = process_frame(payload, resize, _WORKER['settings'], _WORKER['outputs'])
    except DataError as err:
        msg = str(err)
        raise DataError(msg if label in msg else f'{label}: {msg}') from None
    return 'frame', clip, j, src_index, label, res


# ----------------------------------------------------------------------------- main side

@dataclass
class Summary:
    """What a run did (returned by :func:`build_lmdbs`, printed as the closing line)."""
    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    clips: int = 0
    frames: int = 0
    seconds: float = 0.0
    bytes: int = 0
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        if not self.written:
            return f'nothing to do: {", ".join(self.skipped)} already complete'
        fps = self.frames / self.seconds if self.seconds > 0 else float('inf')
        text = (f'wrote {", ".join(os.path.basename(p) for p in self.written)}: {self.clips} clips, '
                f'{self.frames} frames in {self.seconds:.1f}s ({fps:.1f} frames/s), '
                f'{self.bytes / 2**20:.1f} MiB')
        if self.skipped:
            text += f'; kept complete {", ".join(os.path.basename(p) for p in self.skipped)}'
        return text + ''.join(f'; {n}' for n in self.notes)


def fingerprint(sources: Sequence[Source], settings: PrepSettings, out: Output) -> str:
    """Hash of everything an output's content depends on (for skip / resume decisions)."""
    desc = dict(version=FORMAT_VERSION, crop=settings.crop_multiple,
                compress=settings.compress_level, kind=out.kind, scale=out.scale,
                sigma=settings.bd_sigma if out.kind == 'BD' else None,
                sources=[(s.identity(), asdict(s.selection), s.name, s.clip_length,
                          list(s.split_at), str(s.resize)) for s in sources])
    return hashlib.sha1(json.dumps(desc, sort_keys=True).encode()).hexdigest()


def _frame_budget(sources: Sequence[Source]) -> tuple[int, int]:
    """(estimated frame count, largest GT frame in bytes among the first sources)."""
    frames = sum(s.estimate_frames() for s in sources)
    largest = 0
    for s in sources[:8]:
        h, w, c = s.probe_shape()
        if s.resize is not None:
            h, w = s.resize.size(h, w)
        largest = max(largest, h * w * c)
    return frames, largest


def _map_size(frames: int, gt_bytes: int, scale: int) -> int:
    # Upper bound from raw bytes (PNG is smaller) with a margin for a frame count that
    # the container got wrong; the writer doubles the map if it fills up anyway.
    return int((frames * 1.2 + 16) * (gt_bytes // (scale * scale) + 4096)) + (64 << 20)


def build_lmdbs(sources: Sequence[Source], out_dir: str, prefix: str, settings: PrepSettings,
                workers: int = 1, restart: bool = False, overwrite: bool = False,
                progress: bool = True, commit_every: int = 32) -> Summary:
    """Write ``<out_dir>/<prefix>_<output>.lmdb`` for every output of ``settings``.

    An output that already exists with the same settings is skipped; one with other
    settings raises a DataError unless ``overwrite``. Interrupted runs resume from their
    ``.partial`` folders (``restart`` discards them). Returns a :class:`Summary`.
    """
    if workers < 1:
        raise ValueError(f'workers must be >= 1, got {workers}')
    if not sources:
        raise DataError('no input sources')
    os.makedirs(out_dir, exist_ok=True)
    summary = Summary()
    todo: list[tuple[Output, str, str]] = []
    for out in settings.outputs:
        path = os.path.join(out_dir, f'{prefix}_{out.name}.lmdb')
        fp = fingerprint(sources, settings, out)
        state = final_state(path, fp)
        if state == 'complete' and not overwrite:
            summary.skipped.append(path)
        elif state == 'different' and not overwrite:
            raise DataError(f'{path}: exists with other settings (or not made by data_prep); '
                            'pass --overwrite to replace it (it is kept until the new one is complete)')
        else:
            todo.append((out, path, fp))
    if not todo:
        return summary
    outputs = [o for o, _, _ in todo]

    t0 = time.time()
    _WORKER.update(settings=settings, outputs=outputs)  # for workers == 1 (in-process)
    est_frames, gt_bytes = _frame_budget(sources)
    jobs = {o.name: PartialLMDB(p, fp, _map_size(est_frames, gt_bytes, o.scale), restart)
            for o, p, fp in todo}
    if any(j.resumed for j in jobs.values()):
        summary.notes.append('resumed an interrupted run')

    def done(clip: str) -> int:
        return min(j.done_frames(clip) for j in jobs.values())

    clip_meta: dict[str, dict] = {}

    def events() -> Iterator[tuple]:
        for src in sources:
            current = None
            for clip, j, i, payload, label in src.clip_frames():
                if clip != current:
                    if current is not None:
                        yield 'end', current
                    if clip in clip_meta:
                        raise DataError(f'two sources make clip {clip!r} ({clip_meta[clip]["source"]}, {src.path})')
                    clip_meta[clip] = dict(source=src.path, first=i, last=i, step=src.selection.step,
                                           resize=str(src.resize) if src.resize else None, frames=0)
                    current = clip
                clip_meta[clip].update(last=i, frames=j + 1)
                if j < done(clip):
                    continue
                yield 'frame', clip, j, i, payload, src.resize, label
            if current is not None:
                yield 'end', current

    bar = _Progress(progress, est_frames)
    state: dict[str, dict] = {}  # per clip: shapes seen
    crops: set[tuple] = set()  # (resized (H, W), cropped (H, W)) seen
    pending_clips: set[str] = set()
    # Workers start once the LMDBs are open, but never touch them (a forked child may not
    # use its parent's LMDB handles; it has no reason to).
    results = ordered_map(_work, events(), workers, _init_worker, (settings, outputs))
    try:
        n_pending = 0
        for ev in results:
            if ev[0] == 'end':
                clip = ev[1]
                rec = _clip_record(clip, clip_meta[clip]['frames'], jobs, state, complete=True)
                for name, job in jobs.items():
                    job.commit([rec[name]])
                pending_clips.discard(clip)
                n_pending = 0
                summary.clips += 1
                continue
            _, clip, j, src_index, label, res = ev
            st = state.setdefault(clip, _resumed_state(clip, jobs))
            if st.get('src_shape') is None:
                st.update(src_shape=tuple(res['src_shape']), shapes=res['shapes'])
            elif tuple(res['src_shape']) != st['src_shape']:
                raise DataError(f'clip {clip!r}: {label} is {res["src_shape"][1]}x{res["src_shape"][0]} '
                                f'but earlier frames are {st["src_shape"][1]}x{st["src_shape"][0]} '
                                '(mixed frame sizes in one clip)')
            if res['gt_shape'] != res['resized_shape']:
                crops.add((res['resized_shape'][:2], res['gt_shape'][:2]))
            for name, job in jobs.items():
                job.put(frame_key(clip, j), res['records'][name])
            st['done'] = j + 1
            pending_clips.add(clip)
            n_pending += 1
            summary.frames += 1
            bar.advance()
            if n_pending >= commit_every:
                recs = [_clip_record(c, state[c]['done'], jobs, state, complete=False) for c in pending_clips]
                for name, job in jobs.items():
                    job.commit([r[name] for r in recs])
                n_pending = 0
        for (out, path, _), job in zip(todo, jobs.values()):
            job.finish(dict(format_version=FORMAT_VERSION, kind=out.kind, scale=out.scale,
                            degradation=None if out.kind == 'GT' else out.kind,
                            bd_sigma=settings.bd_sigma if out.kind == 'BD' else None,
                            crop_multiple=settings.crop_multiple,
                            encoding='raw' if settings.compress_level is None else
                            f'png (level {settings.compress_level})',
                            clips=clip_meta, created=time.strftime('%Y-%m-%d %H:%M:%S')),
                       overwrite=overwrite)
            summary.written.append(path)
    except BaseException:
        for job in jobs.values():
            job.abort()
        raise
    finally:
        results.close()  # stops the workers if we leave early
        bar.close()
    summary.seconds = time.time() - t0
    summary.bytes = sum(os.path.getsize(os.path.join(p, 'data.mdb')) for p in summary.written)
    for (before, after) in crops:
        summary.notes.append(f'cropped GT {before[1]}x{before[0]} -> {after[1]}x{after[0]} '
                             f'(divisible by {settings.crop_multiple})')
    return summary


def _resumed_state(clip: str, jobs: dict[str, PartialLMDB]) -> dict:
    recs = [j.progress.get(clip) for j in jobs.values()]
    if all(recs):
        return dict(src_shape=tuple(recs[0]['src_shape']),
                    shapes={n: tuple(j.progress[clip]['shape']) for n, j in jobs.items()})
    return dict(src_shape=None)


def _clip_record(clip: str, n: int, jobs: dict[str, PartialLMDB], state: dict, complete: bool) -> dict:
    st = state.get(clip) or _resumed_state(clip, jobs)
    state[clip] = st
    if st.get('src_shape') is None:
        raise DataError(f'clip {clip!r}: no frames were written')
    return {name: dict(clip=clip, done=n, shape=list(st['shapes'][name]),
                       src_shape=list(st['src_shape']), complete=complete) for name in jobs}


class _Progress:
    """A rich progress bar on stderr (or nothing)."""

    def __init__(self, enabled: bool, total: int):
        self._p = None
        if enabled:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeRemainingColumn)
            self._p = Progress(TextColumn('frames'), BarColumn(), MofNCompleteColumn(),
                               TimeRemainingColumn(), console=Console(stderr=True))
            self._task = self._p.add_task('frames', total=total or None)
            self._p.start()

    def advance(self) -> None:
        if self._p is not None:
            self._p.advance(self._task)

    def close(self) -> None:
        if self._p is not None:
            self._p.stop()
            self._p = None
