"""Video files in and out on PyAV (FFmpeg's libraries): the one place that opens a video.

Frames travel as numpy arrays (H, W, 3) uint8 in RGB order (BGR on request, for OpenCV code).

    for frame in VideoReader('in.mp4', start=10, max_frames=50):     # (H, W, 3) uint8 RGB
        ...
    reader = VideoReader('in.mp4')
    with VideoWriter('out.mp4', reader.timing, copy_from='in.mp4') as out:   # H.264, CRF 18
        for pts, frame in reader.timed():
            out.write(frame, pts)                                     # uint8, or float in [0, 1]

Reading (:class:`VideoReader`):

- the frame count comes from demuxing the video stream (one packet per coded frame), not from
  the container's header, which may be missing or wrong;
- ``start`` is frame-exact: the reader seeks to the key frame before it and decodes on to the
  frame with its timestamp (from the first frame on when the stream's timestamps are missing);
- 8-bit sources go through swscale's default YUV -> RGB path, which is bit-identical to OpenCV's
  decoding (every frame of the bundled demo videos), so data built with OpenCV keeps its pixels;
  sources above 8 bits are rounded to the nearest 8-bit value (``round(v * 255 / (2**b - 1))``,
  as the metrics round): exactly for RGB formats, within 1 for YUV ones (swscale fixed point);
- each frame's timestamp (pts in the stream's time base) is available through
  :meth:`VideoReader.timed`, so variable frame rates survive.

Writing (:class:`VideoWriter`):

- the encoder comes from the extension (:data:`VIDEO_CODECS`: H.264 CRF 18 for .mp4/.mov/.mkv,
  VP9 for .webm), overridable with ``codec``, ``crf`` and ``preset`` (:data:`ENCODERS`);
  options are checked by opening the encoder once up front, so a bad one fails before any work;
- frames are converted to the encoder's pixel format with BT.709 (tagged in the stream); odd
  sizes are padded by one replicated row / column where the format subsamples chroma;
- timestamps are the input's, frame by frame; audio and subtitle streams of ``copy_from`` are
  remuxed unchanged (no re-encoding), cut to the written time span and interleaved as they go;
- the file is written under a hidden temporary name beside the target and renamed only when
  complete; an error or interrupt removes it, and a run killed outright (``kill -9``) leaves
  a temporary that the next run for the same target deletes.
"""
from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Iterator

import av
import numpy as np
from av.video.reformatter import Interpolation

from vsrkit.errors import ConfigError, VideoIOError

# Containers read as video when scanning folders (anything else is tried only when named).
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mkv', '.mov', '.webm', '.m4v', '.mpg', '.mpeg', '.wmv',
                    '.flv', '.y4m', '.ts', '.mts', '.m2ts')
DEFAULT_FPS = 25


class CorruptFrameError(VideoIOError):
    """Frame ``frame`` of a video holding ``total`` frames cannot be decoded."""

    def __init__(self, message: str, frame: int, total: int):
        super().__init__(message)
        self.frame, self.total = frame, total


@dataclass(frozen=True)
class EncoderSpec:
    """How one FFmpeg video encoder is driven.

    Attributes:
        pix_fmt: the pixel format RGB frames are converted to.
        quality: the encoder option that ``crf`` sets ('qscale' for fixed-quantiser encoders).
        default_quality: its value when ``crf`` is not given.
        preset: the encoder option that ``preset`` sets, and ``default_preset`` its default.
        options: fixed encoder options.
        presets: the valid presets, where the encoder would print its own complaint.
        env: environment defaults the encoder library reads (its console logging).
    """
    pix_fmt: str = 'yuv420p'
    quality: str | None = None
    default_quality: int | None = None
    preset: str | None = None
    default_preset: str | None = None
    options: dict = field(default_factory=dict)
    presets: tuple[str, ...] = ()
    env: dict = field(default_factory=dict)


X26X_PRESETS = ('ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow',
                'slower', 'veryslow', 'placebo')
ENCODERS = {
    'libx264': EncoderSpec('yuv420p', 'crf', 18, 'preset', 'medium', presets=X26X_PRESETS),
    'libx265': EncoderSpec('yuv420p', 'crf', 22, 'preset', 'medium',
                           {'x265-params': 'log-level=error'}, X26X_PRESETS),
    'libsvtav1': EncoderSpec('yuv420p', 'crf', 30, 'preset', '8', env={'SVT_LOG': '1'}),
    # libvpx is in constant-quality mode only with a zero bitrate target
    'libvpx-vp9': EncoderSpec('yuv420p', 'crf', 31, 'cpu-used', '4', {'b': '0', 'row-mt': '1'}),
    'h264_nvenc': EncoderSpec('yuv420p', 'cq', 19, 'preset', 'p5'),
    'hevc_nvenc': EncoderSpec('yuv420p', 'cq', 21, 'preset', 'p5'),
    'ffv1': EncoderSpec('bgr0'),  # lossless RGB (FFV1 has no 8-bit planar RGB)
    'mpeg4': EncoderSpec('yuv420p', 'qscale', 2),
}
# The encoder per container we write (the extension picks the muxer).
VIDEO_CODECS = {'.mp4': 'libx264', '.m4v': 'libx264', '.mov': 'libx264', '.mkv': 'libx264',
                '.webm': 'libvpx-vp9'}
# >8-bit YUV -> 8-bit RGB: nearest chroma as the 8-bit path, with swscale's accurate rounding
HIGH_DEPTH_YUV = Interpolation.POINT | Interpolation.ACCURATE_RND | Interpolation.FULL_CHR_H_INT
FFMPEG_QP2LAMBDA = 118  # fixed-quantiser encoders take quality as lambda


def is_video_path(path: str) -> bool:
    """True when ``path`` names a video container we write (by extension)."""
    return os.path.splitext(path)[1].lower() in VIDEO_CODECS


def to_uint8(frame: np.ndarray) -> np.ndarray:
    """uint8 frames as they are; float frames in [0, 1] rounded (as the metrics) and clipped."""
    if frame.dtype == np.uint8:
        return frame
    return np.clip(np.rint(frame * 255.0), 0, 255).astype(np.uint8)


def _reason(err: Exception) -> str:
    """An FFmpeg error's message without the path PyAV appends (we name the path ourselves)."""
    text = getattr(err, 'strerror', None) or str(err)
    return str(text).splitlines()[0] if str(text).strip() else type(err).__name__


@dataclass(frozen=True)
class Timing:
    """The time axis of a frame sequence, in seconds = pts * ``time_base``.

    Attributes:
        time_base: seconds per pts tick (Fraction).
        rate: nominal frame rate (frames/s): the encoder's hint, and the spacing of frames
            written without a pts.
        begin: input time that becomes 0 in the output (a run that skips the first frames);
            None keeps the input's timestamps.
        end: input time where the written span ends (exclusive); None: the end of the input.
            Streams copied from the input are cut to [begin, end).
    """
    time_base: Fraction
    rate: Fraction
    begin: Fraction | None = None
    end: Fraction | None = None

    @classmethod
    def constant(cls, fps: float | Fraction | None = None) -> 'Timing':
        """Evenly spaced frames at ``fps`` (default 25), pts = frame index."""
        rate = Fraction(fps or DEFAULT_FPS).limit_denominator(1_000_000)
        if rate <= 0:
            raise ConfigError(f'--fps must be > 0, got {fps}')
        return cls(time_base=1 / rate, rate=rate)


# ----------------------------------------------------------------------------- reading

def _open_input(path: str) -> av.container.InputContainer:
    if not os.path.isfile(path):
        raise VideoIOError(f'{path}: no such file')
    try:
        container = av.open(path, 'r')
    except (av.error.FFmpegError, UnicodeDecodeError) as err:
        raise VideoIOError(f'{path}: cannot open as a video ({_reason(err)})') from None
    if not container.streams.video:
        container.close()
        raise VideoIOError(f'{path}: has no video stream')
    return container


def _to_array(frame: av.VideoFrame, bgr: bool) -> np.ndarray:
    """Decoded frame -> (H, W, 3) uint8, rounded to nearest from high bit depths."""
    fmt = frame.format
    if max(c.bits for c in fmt.components) <= 8:
        return frame.to_ndarray(format='bgr24' if bgr else 'rgb24')
    if fmt.is_rgb:  # 16-bit RGB is exact; round(x16 / 257) == round(v * 255 / (2**b - 1))
        x = frame.to_ndarray(format='bgr48le' if bgr else 'rgb48le').astype(np.uint32)
        return ((x + 128) // 257).astype(np.uint8)
    # swscale's 16-bit YUV -> RGB output is biased by -1/3 of an 8-bit step; its accurate-rounding
    # 8-bit path is within 1 of exact rounding (nearest chroma, as the 8-bit path)
    return frame.to_ndarray(format='bgr24' if bgr else 'rgb24', interpolation=HIGH_DEPTH_YUV)


class VideoReader:
    """Lazy, frame-exact reading of the first video stream of a file.

    Iterating yields frames ``start .. start + max_frames - 1`` (presentation order) as
    (H, W, 3) uint8 arrays, RGB (BGR with ``bgr=True``), one decoded frame at a time;
    :meth:`timed` yields ``(pts, frame)``. The file is demuxed once on construction (to count
    the frames) and the first selected frame decoded, so an unreadable input fails here, with
    the path in the message; a selection past the end yields nothing.

    Attributes:
        path, width, height, codec (decoder name), pix_fmt (as stored).
        frame_count: frames in the stream, counted by demuxing.
        num_frames: frames selected (after ``start``, capped by ``max_frames``).
        fps: nominal frame rate (float; the average for variable-rate video), or None.
        timing: :class:`Timing` of the selection (time base, rate, [begin, end) in the input).
    """

    def __init__(self, path: str, start: int = 0, max_frames: int | None = None,
                 bgr: bool = False):
        if start < 0:
            raise VideoIOError(f'--start must be >= 0, got {start}')
        if max_frames is not None and max_frames < 1:
            raise VideoIOError(f'--max-frames must be >= 1, got {max_frames}')
        self.path, self.start, self.bgr = path, start, bgr
        with _open_input(path) as container:
            stream = container.streams.video[0]
            self.codec = stream.codec_context.name
            self.pix_fmt = stream.codec_context.pix_fmt
            height, width = stream.codec_context.height, stream.codec_context.width
            self.time_base = stream.time_base or Fraction(1, DEFAULT_FPS)
            rate = stream.average_rate or stream.guessed_rate or stream.base_rate
            self._pts = self._demux_pts(container, stream)
        self.frame_count = len(self._pts)
        self.fps = float(rate) if rate else None
        self._stop = self.frame_count if max_frames is None else min(self.frame_count,
                                                                      start + max_frames)
        self.num_frames = max(self._stop - start, 0)
        tb, rate = self.time_base, Fraction(rate) if rate else Fraction(DEFAULT_FPS)
        # timestamps to seek by and to cut copied streams at: the packets' in presentation order
        self._exact_pts = None not in self._pts and len(set(self._pts)) == len(self._pts)
        self._pts = sorted(self._pts) if None not in self._pts else [
            round(i / rate / tb) for i in range(self.frame_count)]
        at = lambda i: self._pts[i] * tb  # noqa: E731
        self.timing = Timing(tb, rate, begin=at(start) if 0 < start < self.frame_count else None,
                             end=at(self._stop) if self._stop < self.frame_count else None)
        # the first selected frame (a decoding error shows here); an empty selection (frames
        # past the end) is no error: it yields nothing
        first = next(iter(self), None)
        self.height, self.width = first.shape[:2] if first is not None else (height, width)

    def _demux_pts(self, container, stream) -> list:
        """Presentation timestamps of the stream's packets (None where a packet has none)."""
        pts = []
        try:
            for packet in container.demux(stream):
                # the demuxer ends with an empty flush packet; discarded packets (before an
                # MP4 edit list's start) are decoded but never shown
                if packet.size and not packet.is_discard:
                    pts.append(packet.pts if packet.pts is not None else packet.dts)
        except av.error.FFmpegError as err:
            raise VideoIOError(f'{self.path}: unreadable after video packet {len(pts)} '
                               f'({_reason(err)})') from None
        return pts

    def __len__(self) -> int:
        return self.num_frames

    def __iter__(self) -> Iterator[np.ndarray]:
        return (frame for _, frame in self.timed())

    def timed(self) -> Iterator[tuple[int, np.ndarray]]:
        """``(pts, frame)`` for the selected frames; pts in ``timing.time_base`` ticks."""
        if self.num_frames == 0:
            return
        seek = self.start > 0 and self._exact_pts
        try:
            yield from self._decode(seek)
        except _SeekMissed:  # the decoder's timestamps disagree with the packets'
            yield from self._decode(False)

    def _decode(self, seek: bool) -> Iterator[tuple[int, np.ndarray]]:
        """Decode the selection. With ``seek``, start at the key frame before frame ``start``
        and find ``start`` by its timestamp; without, decode from frame 0 and count."""
        index = 0
        with _open_input(self.path) as container:
            stream = container.streams.video[0]
            stream.thread_type = 'AUTO'
            if seek:
                target = self._pts[self.start]
                container.seek(target, stream=stream, backward=True)
                index = None  # known once the target frame comes out
            frames = container.decode(stream)
            while index is None or index < self._stop:
                try:
                    frame = next(frames, None)
                except av.error.FFmpegError as err:
                    raise CorruptFrameError(f'{self.path}: frame {index or self.start} of '
                                            f'{self.frame_count} cannot be decoded (corrupt '
                                            f'video: {_reason(err)})', index or self.start,
                                            self.frame_count) from None
                if index is None:
                    if frame is None or frame.pts is None or frame.pts > target:
                        raise _SeekMissed
                    if frame.pts < target:
                        continue
                    index = self.start
                if frame is None:
                    break
                if index >= self.start:
                    array = _to_array(frame, self.bgr)
                    if index > self.start and array.shape[:2] != (self.height, self.width):
                        raise VideoIOError(f'{self.path}: frame {index} is {array.shape[1]}x'
                                           f'{array.shape[0]}, the first is '
                                           f'{self.width}x{self.height}')
                    yield (frame.pts if frame.pts is not None else self._pts[index]), array
                index += 1
        if index < self._stop:
            raise CorruptFrameError(f'{self.path}: frame {index} of {self.frame_count} cannot '
                                    'be decoded (corrupt video: the decoder gave no more)',
                                    index, self.frame_count)


class _SeekMissed(Exception):
    """After a seek, the decoded timestamps did not lead to the wanted frame."""


# ----------------------------------------------------------------------------- writing

def temp_path(path: str, pid: int | str) -> str:
    """Hidden name beside ``path``, same extension (it picks the muxer); never a valid output."""
    parent, name = os.path.split(path)
    stem, ext = os.path.splitext(name)
    return os.path.join(parent, f'.{stem}.{pid}.partial{ext}')


def remove_stale_temps(path: str) -> None:
    """Delete temporaries of ``path`` left by processes that no longer run (``kill -9``)."""
    pattern = re.escape(os.path.basename(temp_path(path, 'PID'))).replace('PID', r'(\d+)')
    parent = os.path.dirname(path)
    for name in os.listdir(parent):
        match = re.fullmatch(pattern, name)
        if match and not _pid_alive(int(match.group(1))):
            stale = os.path.join(parent, name)
            shutil.rmtree(stale) if os.path.isdir(stale) else os.remove(stale)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


def check_target(path: str, shown: str) -> None:
    parent, name = os.path.split(path)
    if not name:
        raise VideoIOError(f'{shown}: output needs a file or folder name')
    if not os.path.isdir(parent):
        raise VideoIOError(f'{shown}: parent folder {parent} does not exist')
    if not os.access(parent, os.W_OK):
        raise VideoIOError(f'{shown}: cannot write in {parent} (permission denied)')


def finish_output(tmp: str, path: str, ok: bool) -> None:
    """Rename the complete temporary onto ``path``, or delete it."""
    if not ok:
        if os.path.isdir(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
        elif os.path.exists(tmp):
            os.remove(tmp)
        return
    if os.path.isdir(tmp) and os.path.isdir(path):
        os.rmdir(path)  # empty (checked before); os.replace cannot replace a folder
    os.replace(tmp, path)


class VideoWriter:
    """Encodes RGB frames into a video file; a context manager, atomic.

    Args:
        path: output file; its extension picks the container and the default encoder.
        timing: the input's time axis (:class:`Timing`; :meth:`VideoReader.timing` for a video,
            ``Timing.constant(fps)`` for frames); default 25 frames/s.
        codec: FFmpeg encoder name (``libx264``, ``libx265``, ``libsvtav1``, ``libvpx-vp9``,
            ``ffv1``, ``h264_nvenc``, ...), default by extension.
        crf: quality (the encoder's CRF / CQ / qscale, see :data:`ENCODERS`).
        preset: the encoder's speed preset (x264/x265 names, SVT-AV1 and VP9 numbers).
        copy_from: a video file whose audio and subtitle streams are copied unchanged (cut to
            ``timing``'s [begin, end)). Audio the container cannot hold is an error (before
            any frame is written); subtitles it cannot hold are skipped with a note.

    ``write(frame, pts)``: frame (H, W, 3) uint8 RGB or float in [0, 1] (rounded); pts in
    ``timing.time_base`` ticks (the input frame's), or None for evenly spaced frames.
    Attributes after writing: ``count``, ``size`` (W, H as encoded), ``notes`` (what was
    adapted or skipped, one phrase each), ``copied`` (the streams copied, e.g. 'audio #1 (aac)').
    """

    def __init__(self, path: str, timing: Timing | None = None, *, codec: str | None = None,
                 crf: float | None = None, preset: str | None = None,
                 copy_from: str | None = None):
        self.path = os.path.abspath(path)
        self.shown = path
        self.timing = timing or Timing.constant()
        self.notes: list[str] = []
        self.copied: list[str] = []
        self.count = 0
        self.size: tuple[int, int] | None = None
        check_target(self.path, path)
        ext = os.path.splitext(self.path)[1].lower()
        if ext not in VIDEO_CODECS:
            raise VideoIOError(f'{path}: unknown video extension; use one of '
                               f'{" ".join(VIDEO_CODECS)}')
        if os.path.isdir(self.path):
            raise VideoIOError(f'{path}: is a folder, expected a video file name')
        self.codec = codec or VIDEO_CODECS[ext]
        self.spec = ENCODERS.get(self.codec) or self._generic_spec()
        self.options = self._encoder_options(crf, preset)
        remove_stale_temps(self.path)
        self.tmp = temp_path(self.path, os.getpid())
        self._out = self._input = self._stream = None
        self._copies: dict[int, av.stream.Stream] = {}
        self._pending = None
        try:
            # exists from now on: an unwritable output fails before the work, not after it
            open(self.tmp, 'wb').close()
            self._out = av.open(self.tmp, 'w', options=self._muxer_options(ext))
            self._check_encoder()
            if copy_from is not None:
                self._plan_copies(copy_from)
        except OSError as err:
            self._abort()
            raise VideoIOError(f'{path}: cannot write ({err.strerror or err})') from None
        except BaseException:
            self._abort()
            raise

    # -- set-up -----------------------------------------------------------------------------

    def _muxer_options(self, ext: str) -> dict[str, str]:
        # Matroska would otherwise shift every stream so that audio starting before 0 (an AAC
        # encoder delay, or a cut inside an audio frame) does not: the video would move too
        options = {'avoid_negative_ts': 'disabled'}
        if ext in ('.mp4', '.m4v', '.mov'):
            # the edit list that places a stream starting after 0 counts in this unit (1 ms
            # by default, which would move every frame of a TS input by up to 1 ms)
            tb = self.timing.time_base
            options['movie_timescale'] = str(tb.denominator if tb.numerator == 1 else 90000)
        return options

    def _generic_spec(self) -> EncoderSpec:
        try:
            codec = av.Codec(self.codec, 'w')
        except (av.codec.codec.UnknownCodecError, ValueError):
            raise ConfigError(f'{self.shown}: unknown video codec {self.codec!r} (not an FFmpeg '
                              f'encoder here; e.g. {", ".join(ENCODERS)})') from None
        if codec.type != 'video':
            raise ConfigError(f'{self.shown}: {self.codec!r} is an {codec.type} codec, '
                              'not a video one')
        formats = [f.name for f in codec.video_formats or ()]
        return EncoderSpec('yuv420p' if 'yuv420p' in formats or not formats else formats[0],
                           'crf', None)

    def _encoder_options(self, crf, preset) -> dict[str, str]:
        spec = self.spec
        opts = dict(spec.options)
        quality = crf if crf is not None else spec.default_quality
        if quality is not None:
            if spec.quality == 'qscale':
                opts.update(flags='+qscale', global_quality=str(round(quality * FFMPEG_QP2LAMBDA)))
            else:
                opts[spec.quality or 'crf'] = f'{quality:g}'
        chosen = preset if preset is not None else spec.default_preset
        if chosen is not None:
            if spec.preset is None:
                raise ConfigError(f'--preset: {self.codec} has no speed preset')
            if spec.presets and str(chosen) not in spec.presets:
                raise ConfigError(f'--preset {chosen}: {self.codec} knows '
                                  f'{", ".join(spec.presets)}')
            opts[spec.preset] = str(chosen)
        self._cli_names = {spec.quality or 'crf': '--crf', 'global_quality': '--crf',
                           spec.preset: '--preset'}
        return opts

    def _check_encoder(self) -> None:
        """Open the encoder once on a small frame: bad options fail before any work is done."""
        if self.codec not in self._out.supported_codecs:
            raise ConfigError(f'{self.shown}: a {os.path.splitext(self.path)[1]} file cannot '
                              f'hold {self.codec} video')
        for name, value in self.spec.env.items():
            os.environ.setdefault(name, value)
        ctx = av.CodecContext.create(self.codec, 'w')
        ctx.width, ctx.height, ctx.pix_fmt = 64, 64, self.spec.pix_fmt
        ctx.time_base, ctx.framerate = Fraction(1, 25), Fraction(25)
        ctx.options = dict(self.options)
        try:
            ctx.open()
        except av.error.FFmpegError as err:
            given = ', '.join(f'{k}={v}' for k, v in self.options.items())
            raise ConfigError(f'{self.shown}: encoder {self.codec} cannot open with '
                              f'{given or "its defaults"} ({_reason(err)})') from None
        unused = [self._cli_names.get(k, k) for k in ctx.options]
        if unused:
            raise ConfigError(f'{self.shown}: encoder {self.codec} has no option for '
                              f'{", ".join(unused)}')

    def _plan_copies(self, source: str) -> None:
        self._input = _open_input(source)
        supported = self._out.supported_codecs
        self._copy_plan = []
        for stream in self._input.streams:
            if stream.type not in ('audio', 'subtitle'):
                continue
            name = stream.codec_context.name if stream.codec_context else '?'
            if name in supported:
                self._copy_plan.append(stream)
                self.copied.append(f'{stream.type} #{stream.index} ({name})')
            elif stream.type == 'audio':
                raise VideoIOError(f'{self.shown}: a {os.path.splitext(self.path)[1]} file cannot '
                                   f'hold audio stream #{stream.index} ({name}) of {source}; '
                                   'choose another container (.mkv holds most) or drop the audio '
                                   '(--no-audio)')
            else:
                self.notes.append(f'subtitle stream #{stream.index} ({name}) skipped: '
                                  f'{os.path.splitext(self.path)[1]} cannot hold it')

    def _start(self, height: int, width: int) -> None:
        """Create the output streams (video first) once the frame size is known."""
        fmt = av.VideoFormat(self.spec.pix_fmt, 2, 2)
        self._pad = ((height % 2) if fmt.chroma_height(2) < 2 else 0,
                     (width % 2) if fmt.chroma_width(2) < 2 else 0)
        if any(self._pad):
            self.notes.append(f'padded {width}x{height} to {width + self._pad[1]}x'
                              f'{height + self._pad[0]} ({self.spec.pix_fmt} needs even sizes)')
        self.size = (width + self._pad[1], height + self._pad[0])
        stream = self._out.add_stream(self.codec, rate=self.timing.rate, options=self.options)
        stream.width, stream.height = self.size
        stream.pix_fmt = self.spec.pix_fmt
        stream.time_base = self.timing.time_base
        ctx = stream.codec_context
        ctx.time_base = self.timing.time_base
        if not av.VideoFormat(self.spec.pix_fmt).is_rgb:
            ctx.colorspace = ctx.color_primaries = ctx.color_trc = 1  # BT.709
            ctx.color_range = 1  # limited ("tv")
        self._stream = stream
        if self._input is not None:
            self._out.metadata.update(self._input.metadata)
            stream.metadata.update({k: v for k, v in self._input.streams.video[0].metadata.items()
                                    if k in ('language', 'title')})
            for src in self._copy_plan:
                self._copies[src.index] = self._out.add_stream_from_template(src)
                self._copies[src.index].metadata.update(src.metadata)
            if self._copy_plan:
                self._pending = self._copy_packets()
                self._next_copy = next(self._pending, None)

    # -- copied streams ---------------------------------------------------------------------

    def _copy_packets(self) -> Iterator[tuple[Fraction, av.Packet]]:
        """Copied packets within [begin, end), shifted by begin, with their time in seconds."""
        begin, end = self.timing.begin, self.timing.end
        for packet in self._input.demux(*self._copy_plan):
            ticks = packet.pts if packet.pts is not None else packet.dts
            if ticks is None or not packet.size:
                continue
            tb = packet.time_base
            start = ticks * tb
            if end is not None and start >= end:
                if start > end + 30:  # muxers interleave within seconds: nothing later belongs
                    return
                continue
            if begin is not None:
                if start + (packet.duration or 0) * tb <= begin:
                    continue
                shift = round(begin / tb)
                packet.pts = None if packet.pts is None else packet.pts - shift
                packet.dts = None if packet.dts is None else packet.dts - shift
            packet.stream = self._copies[packet.stream_index]
            dts = packet.dts if packet.dts is not None else packet.pts
            yield dts * tb, packet

    def _copy_until(self, t: Fraction | None) -> None:
        """Mux copied packets due before output time ``t`` (all of them for None)."""
        while self._next_copy is not None and (t is None or self._next_copy[0] <= t):
            self._out.mux(self._next_copy[1])
            self._next_copy = next(self._pending, None)

    def _mux(self, packets) -> None:
        for packet in packets:
            if self._pending is not None and packet.dts is not None:
                self._copy_until(packet.dts * packet.time_base)
            self._out.mux(packet)

    # -- frames -----------------------------------------------------------------------------

    def __enter__(self) -> 'VideoWriter':
        return self

    def write(self, frame: np.ndarray, pts: int | None = None) -> None:
        """Append one (H, W, 3) RGB frame (uint8, or float in [0, 1]) at ``pts``."""
        frame = to_uint8(frame)
        if self._stream is None:
            self._start(*frame.shape[:2])
        elif frame.shape[:2] != (self.size[1] - self._pad[0], self.size[0] - self._pad[1]):
            raise VideoIOError(f'{self.shown}: frame {self.count} is {frame.shape[1]}x'
                               f'{frame.shape[0]}, the first was {self.size[0] - self._pad[1]}x'
                               f'{self.size[1] - self._pad[0]}')
        if any(self._pad):
            frame = np.pad(frame, ((0, self._pad[0]), (0, self._pad[1]), (0, 0)), mode='edge')
        tb = self.timing.time_base
        if pts is None:
            pts = round(self.count / self.timing.rate / tb)
        if self.timing.begin is not None:
            pts -= round(self.timing.begin / tb)
        video = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format='rgb24')
        video = video.reformat(format=self.spec.pix_fmt, dst_colorspace='ITU709',
                               dst_color_range='MPEG')
        video.pts, video.time_base = pts, tb
        try:
            self._mux(self._stream.encode(video))
        except av.error.FFmpegError as err:
            raise VideoIOError(f'{self.shown}: frame {self.count} cannot be encoded or written '
                               f'({_reason(err)})') from None
        self.count += 1

    def close(self) -> None:
        """Flush the encoder, copy the rest of the copied streams, rename onto the target."""
        if self.count == 0:
            self._abort()
            raise VideoIOError(f'{self.shown}: no frames were written, no output made')
        try:
            self._mux(self._stream.encode(None))
            if self._pending is not None:
                self._copy_until(None)
            self._out.close()
        except av.error.FFmpegError as err:
            self._abort()
            raise VideoIOError(f'{self.shown}: cannot finish writing ({_reason(err)})') from None
        self._out = None
        if self._input is not None:
            self._input.close()
        finish_output(self.tmp, self.path, ok=True)

    def _abort(self) -> None:
        for container in (self._out, self._input):
            if container is not None:
                try:
                    container.close()
                except Exception:  # noqa: BLE001 - the temporary goes anyway
                    pass
        self._out = self._input = None
        finish_output(self.tmp, self.path, ok=False)

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self._abort()
        else:
            self.close()
