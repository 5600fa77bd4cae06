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
from vsrkit.errors import ConfigError, DataError
from vsrkit.io.frames import encode_frame, frame_key, read_image
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
            raise ConfigError(f"--resize-gt: expected WxH (480x270), a width (480) or a factor "
                             f"(0.375), got {text!r}") from None
        if any(v is not None and v <= 0 for v in (spec.width, spec.height, spec.factor)):
            raise ConfigError(f'--resize-gt: sizes must be positive, got {text!r}')
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
            raise ConfigError(f'unknown degradation(s) {bad}; use {DEGRADATIONS}')
        if not self.scales or any(s not in (2, 3, 4) for s in self.scales):
            raise ConfigError(f'scales must be among 2, 3, 4, got {list(self.scales)}')
        if self.compress_level is not None and not 0 <= self.compress_level <= 9:
            raise ConfigError(f'PNG compression level must be 0-9, got {self.compress_level}')
        if not self.gt and not self.degradations:
            raise ConfigError('nothing to write: no GT and no degradation')

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

    def add(self, other: 'Summary') -> None:
        """Add another run's figures to this one (several builds, one closing line)."""
        self.written += other.written
        self.skipped += other.skipped
        self.notes += other.notes
        self.clips += other.clips
        self.frames += other.frames
        self.seconds += other.seconds
        self.bytes += other.bytes


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
        raise ConfigError(f'workers must be >= 1, got {workers}')
    if not sources:
        raise DataError('no input sources')
    os.makedirs(out_dir, exist_ok=True)
    summary = Summary()
    todo: list[tuple[Output, str, str]] = []  # (output, final path, fingerprint)
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
    if todo:
        t0 = time.time()
        _Conversion(sources, settings, todo, restart, summary).run(workers, progress, overwrite,
                                                                   commit_every)
        summary.seconds = time.time() - t0
        summary.bytes = sum(os.path.getsize(os.path.join(p, 'data.mdb')) for p in summary.written)
    return summary


class _Conversion:
    """One run over the outputs still to write: frame events go to the workers, their records
    come back in frame order and go into every output's :class:`PartialLMDB`, with the
    progress of each clip recorded at every commit so that an interrupted run resumes."""

    def __init__(self, sources: Sequence[Source], settings: PrepSettings,
                 todo: list[tuple[Output, str, str]], restart: bool, summary: Summary):
        self.sources, self.settings, self.todo, self.summary = sources, settings, todo, summary
        self.outputs = [o for o, _, _ in todo]
        self.est_frames, gt_bytes = _frame_budget(sources)
        self.jobs = {o.name: PartialLMDB(p, fp, _map_size(self.est_frames, gt_bytes, o.scale), restart)
                     for o, p, fp in todo}
        if any(j.resumed for j in self.jobs.values()):
            summary.notes.append('resumed an interrupted run')
        self.clip_meta: dict[str, dict] = {}  # per clip, for prep_info.json: source frames, resize
        self.clip_state: dict[str, dict] = {}  # per clip: source shape, output shapes, frames done
        self.crops: set[tuple] = set()  # (resized (H, W), cropped (H, W)) seen
        self.uncommitted: set[str] = set()  # clips with frames put since the last commit
        self.n_uncommitted = 0

    def run(self, workers: int, progress: bool, overwrite: bool, commit_every: int) -> None:
        _WORKER.update(settings=self.settings, outputs=self.outputs)  # for workers == 1 (in-process)
        bar = _Progress(progress, self.est_frames)
        # Workers start once the LMDBs are open, but never touch them (a forked child may not
        # use its parent's LMDB handles; it has no reason to).
        results = ordered_map(_work, self._events(), workers, _init_worker,
                              (self.settings, self.outputs))
        try:
            for ev in results:
                if ev[0] == 'end':
                    self._end_clip(ev[1])
                    continue
                self._add_frame(*ev[1:])
                bar.advance()
                if self.n_uncommitted >= commit_every:
                    self._commit(sorted(self.uncommitted), complete=False)
            self._finish(overwrite)
        except BaseException:
            for job in self.jobs.values():
                job.abort()
            raise
        finally:
            results.close()  # stops the workers if we leave early
            bar.close()
        for (before, after) in self.crops:
            self.summary.notes.append(f'cropped GT {before[1]}x{before[0]} -> {after[1]}x{after[0]} '
                                      f'(divisible by {self.settings.crop_multiple})')

    def _done(self, clip: str) -> int:
        """Frames of ``clip`` that every output already holds (from an interrupted run)."""
        return min(j.done_frames(clip) for j in self.jobs.values())

    def _events(self) -> Iterator[tuple]:
        """('frame', clip, j, source index, payload, resize, label) for every frame still to
        write, ('end', clip) after each clip's last frame."""
        for src in self.sources:
            current = None
            for clip, j, i, payload, label in src.clip_frames():
                if clip != current:
                    if current is not None:
                        yield 'end', current
                    if clip in self.clip_meta:
                        raise DataError(f'two sources make clip {clip!r} '
                                        f'({self.clip_meta[clip]["source"]}, {src.path})')
                    self.clip_meta[clip] = dict(source=src.path, first=i, last=i,
                                                step=src.selection.step, frames=0,
                                                resize=str(src.resize) if src.resize else None)
                    current = clip
                self.clip_meta[clip].update(last=i, frames=j + 1)
                if j >= self._done(clip):
                    yield 'frame', clip, j, i, payload, src.resize, label
            if current is not None:
                yield 'end', current

    def _state(self, clip: str) -> dict:
        """Shapes of ``clip`` (source frame, each output) and frames done; from the progress
        of an interrupted run until this run writes its first frame."""
        st = self.clip_state.get(clip)
        if st is None:
            recs = [j.progress.get(clip) for j in self.jobs.values()]
            st = dict(src_shape=None)
            if all(recs):
                st = dict(src_shape=tuple(recs[0]['src_shape']),
                          shapes={n: tuple(j.progress[clip]['shape']) for n, j in self.jobs.items()})
            self.clip_state[clip] = st
        return st

    def _add_frame(self, clip: str, j: int, src_index: int, label: str, res: dict) -> None:
        st = self._state(clip)
        if st.get('src_shape') is None:
            st.update(src_shape=tuple(res['src_shape']), shapes=res['shapes'])
        elif tuple(res['src_shape']) != st['src_shape']:
            raise DataError(f'clip {clip!r}: {label} is {res["src_shape"][1]}x{res["src_shape"][0]} '
                            f'but earlier frames are {st["src_shape"][1]}x{st["src_shape"][0]} '
                            '(mixed frame sizes in one clip)')
        if res['gt_shape'] != res['resized_shape']:
            self.crops.add((res['resized_shape'][:2], res['gt_shape'][:2]))
        for name, job in self.jobs.items():
            job.put(frame_key(clip, j), res['records'][name])
        st['done'] = j + 1
        self.uncommitted.add(clip)
        self.n_uncommitted += 1
        self.summary.frames += 1

    def _end_clip(self, clip: str) -> None:
        self._commit([clip], complete=True, frames=self.clip_meta[clip]['frames'])
        self.summary.clips += 1

    def _commit(self, clips: list[str], complete: bool, frames: int | None = None) -> None:
        """Write the frames put so far, then record the progress of ``clips`` (``frames``
        done, default what this run wrote)."""
        for name, job in self.jobs.items():
            job.commit([self._progress_record(c, name, complete, frames) for c in clips])
        self.uncommitted.difference_update(clips)
        self.n_uncommitted = 0

    def _progress_record(self, clip: str, name: str, complete: bool, frames: int | None) -> dict:
        st = self._state(clip)
        if st.get('src_shape') is None:
            raise DataError(f'clip {clip!r}: no frames were written')
        return dict(clip=clip, done=st['done'] if frames is None else frames,
                    shape=list(st['shapes'][name]), src_shape=list(st['src_shape']),
                    complete=complete)

    def _finish(self, overwrite: bool) -> None:
        settings = self.settings
        for (out, path, _), job in zip(self.todo, self.jobs.values()):
            job.finish(dict(format_version=FORMAT_VERSION, kind=out.kind, scale=out.scale,
                            degradation=None if out.kind == 'GT' else out.kind,
                            bd_sigma=settings.bd_sigma if out.kind == 'BD' else None,
                            crop_multiple=settings.crop_multiple,
                            encoding='raw' if settings.compress_level is None else
                            f'png (level {settings.compress_level})',
                            clips=self.clip_meta, created=time.strftime('%Y-%m-%d %H:%M:%S')),
                       overwrite=overwrite)
            self.summary.written.append(path)


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
