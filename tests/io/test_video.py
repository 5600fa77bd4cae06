"""vsrkit.io.video on real clips: decoding as OpenCV does, exact frame counts and starts,
timestamps (variable frame rate included), audio and subtitle stream copy, encoders and their
options, odd sizes, 10/12-bit input, atomic output and one-line errors."""
import os
import struct
from fractions import Fraction

import av
import cv2
import numpy as np
import pytest
from video_clips import NTSC, decode_audio, encode_clip, frame_times

from vsrkit.errors import ConfigError, VideoIOError
from vsrkit.io.streams import FrameSink, FrameSource
from vsrkit.io.video import CorruptFrameError, Timing, VideoReader, VideoWriter, temp_path


def psnr(a, b):
    return 10 * np.log10(255 ** 2 / np.mean((a.astype(np.float64) - b) ** 2))


def y_psnr(a, b):
    """PSNR on BT.601 Y (as vsrkit's metrics): 16 + (65.481 R + 128.553 G + 24.966 B) / 255."""
    y = lambda im: im.astype(np.float64) @ np.array([65.481, 128.553, 24.966]) / 255  # noqa: E731
    return psnr(y(a), y(b))


def _write(path, frames, timing=None, pts=None, **kw):
    with VideoWriter(str(path), timing, **kw) as w:
        for i, f in enumerate(frames):
            w.write(f, None if pts is None else pts[i])
    return w


# ----------------------------------------------------------------------------- reading

def test_decodes_the_bundled_video_bit_identically_to_opencv(carphone_path):
    """The demo LMDBs were built from OpenCV's decoding: PyAV must give the same pixels."""
    cap = cv2.VideoCapture(carphone_path)
    reader = VideoReader(carphone_path, bgr=True)
    assert reader.frame_count == len(reader) == 120 and (reader.width, reader.height) == (176, 144)
    for i, frame in enumerate(reader):
        ok, ref = cap.read()
        assert ok and np.array_equal(frame, ref), f'frame {i} differs from OpenCV'
    assert not cap.read()[0]  # neither has frames left
    assert i == 119


def test_frame_count_comes_from_the_stream_not_the_header(tmp_path):
    """An AVI whose headers claim 500 frames (OpenCV believes them) holds 12."""
    frames = [np.full((16, 16, 3), 10 * i, np.uint8) for i in range(12)]
    path = encode_clip(tmp_path / 'a.avi', frames, codec='ffv1', pix_fmt='bgr0', rate=10)
    data = bytearray(open(path, 'rb').read())
    for tag, offset in ((b'avih', 24), (b'strh', 40)):  # dwTotalFrames, dwLength
        at = data.find(tag)
        assert struct.unpack_from('<I', data, at + offset) == (12,)
        struct.pack_into('<I', data, at + offset, 500)
    open(path, 'wb').write(data)
    assert cv2.VideoCapture(path).get(cv2.CAP_PROP_FRAME_COUNT) == 500
    reader = VideoReader(path)
    assert reader.frame_count == 12 and len(list(reader)) == 12
    assert [f[0, 0, 0] for f in VideoReader(path, start=9)] == [90, 100, 110]


@pytest.mark.parametrize('gop', ['closed', 'open'])
def test_start_and_max_frames_are_frame_exact(tmp_path, carphone_frames, gop):
    """Frames k.. of B-frame H.264 with key frames every 8 (open GOPs: B-frames before a key
    frame refer to the GOP before), against the full decode; a start seeks to the key frame
    before it and finds the frame by its timestamp."""
    params = {'crf': '20', 'g': '8', 'bf': '3'}
    if gop == 'open':
        params['x264-params'] = 'open-gop=1'
    clip = encode_clip(tmp_path / 'gop.mp4', carphone_frames, options=params)
    everything = list(VideoReader(clip))
    times = frame_times(clip)
    assert len(everything) == 30
    for start, count in ((0, 3), (5, 4), (7, 2), (8, 1), (11, 13), (16, 3), (29, 5)):
        reader = VideoReader(clip, start=start, max_frames=count)
        got = list(reader.timed())
        assert len(reader) == len(got) == min(count, 30 - start)
        for k, (pts, frame) in enumerate(got):
            assert np.array_equal(frame, everything[start + k]), (start, k)
            assert pts * reader.timing.time_base == times[start + k]
        assert reader.timing.begin == (times[start] if start else None)
        assert reader.timing.end == (times[start + count] if start + count < 30 else None)
    assert list(VideoReader(clip, start=30)) == []


def test_ten_and_twelve_bit_rgb_round_to_nearest_exactly(tmp_path):
    """Every 10- and 12-bit value v becomes round(v * 255 / (2**b - 1)), as the metrics round
    (truncation would be off by one for about half of them)."""
    for bits in (10, 12):
        top = 2 ** bits - 1
        v = np.arange(top + 1).reshape(-1, 64)
        values = np.stack([v, v[::-1], (v * 7) % (top + 1)], -1).astype(np.uint16)  # R, G, B
        frame = av.VideoFrame(64, v.shape[0], f'gbrp{bits}le')
        for plane, channel in zip(frame.planes, (1, 2, 0)):  # planes are G, B, R
            rows = np.frombuffer(plane, np.uint16).reshape(v.shape[0], plane.line_size // 2)
            rows[:, :64] = values[..., channel]
        path = encode_clip(tmp_path / f'rgb{bits}.mkv', [frame], codec='ffv1',
                           pix_fmt=f'gbrp{bits}le', rate=1)
        expected = np.rint(values * 255.0 / top).astype(np.uint8)
        (got,) = list(VideoReader(path))
        assert np.array_equal(got, expected)
        assert (got != (values.astype(np.int64) * 255 // top)).mean() > 0.4


def test_ten_bit_yuv_rounds_to_nearest_within_one(tmp_path):
    """10-bit 4:2:0 (limited range, BT.601) against the conversion done by hand in float:
    within one 8-bit step, off by one on under 1% of samples, no bias."""
    rng = np.random.default_rng(1)
    h, w = 32, 48
    y = rng.integers(64, 941, (h, w))
    cb, cr = rng.integers(64, 961, (2, h // 2, w // 2))
    frame = av.VideoFrame(w, h, 'yuv420p10le')
    for plane, values in zip(frame.planes, (y, cb, cr)):
        rows = np.frombuffer(plane, np.uint16).reshape(values.shape[0], plane.line_size // 2)
        rows[:, :values.shape[1]] = values
    path = encode_clip(tmp_path / 'yuv10.mkv', [frame], codec='ffv1', pix_fmt='yuv420p10le',
                       rate=1)
    up = lambda c: (np.repeat(np.repeat(c, 2, 0), 2, 1) - 512) / 896  # noqa: E731
    luma = (y - 64) / 876
    red, blue = luma + 1.402 * up(cr), luma + 1.772 * up(cb)
    green = (luma - 0.299 * red - 0.114 * blue) / 0.587
    exact = np.clip(np.stack([red, green, blue], -1), 0, 1) * 255
    reader = VideoReader(path)
    assert reader.pix_fmt == 'yuv420p10le'
    (got,) = list(reader)
    diff = got - np.rint(exact)
    assert np.abs(diff).max() <= 1 and (diff != 0).mean() < 0.01 and abs(diff.mean()) < 0.01
    assert abs((got - exact).mean()) < 0.02  # truncating would be about -0.5


# ----------------------------------------------------------------------------- writing

@pytest.mark.parametrize('container', ['mp4', 'ts'])
def test_audio_is_copied_unchanged_and_timestamps_follow_the_input(av_clip, tmp_path, container,
                                                                   carphone_frames):
    """MP4 in, and MPEG-TS in (ADTS audio, timestamps from 1/15 s on in a 1/90000 time base)."""
    if container == 'ts':
        av_clip = encode_clip(tmp_path / 'talk.ts', carphone_frames[:24], tone=True)
        assert frame_times(av_clip)[0] > 0
    reader = VideoReader(av_clip)
    out = tmp_path / 'sr.mp4'
    timed = list(reader.timed())
    _write(out, [f for _, f in timed], reader.timing, pts=[p for p, _ in timed], copy_from=av_clip)
    samples_in, info_in, _ = decode_audio(av_clip)
    samples_out, info_out, _ = decode_audio(out)
    assert info_out['codec'] == info_in['codec'] == 'aac'
    assert (info_out['rate'], info_out['channels']) == (48000, 2)
    assert abs(info_out['duration'] - info_in['duration']) < 1 / NTSC
    assert samples_out.shape == samples_in.shape and np.array_equal(samples_out, samples_in)
    assert frame_times(out) == frame_times(av_clip)
    with av.open(str(out)) as c:
        assert c.streams.video[0].codec_context.name == 'h264'
        assert [s.type for s in c.streams] == ['video', 'audio']
    assert not [name for name in os.listdir(tmp_path) if name.startswith('.')]  # no temporary


@pytest.mark.parametrize('ext', ['mp4', 'mkv'])
def test_a_cut_keeps_audio_in_sync(av_clip, tmp_path, ext):
    """Frames 5-14: the output starts at 0 with the audio of the same span, sample-aligned
    (Matroska stores milliseconds: times within 1 ms there)."""
    reader = VideoReader(av_clip, start=5, max_frames=10)
    out = tmp_path / f'cut.{ext}'
    timed = list(reader.timed())
    _write(out, [f for _, f in timed], reader.timing, pts=[p for p, _ in timed],
           copy_from=av_clip)
    begin, end = reader.timing.begin, reader.timing.end
    tol = Fraction(1, 1000) if ext == 'mkv' else 0
    expected = [t - begin for t in frame_times(av_clip)[5:15]]
    assert all(abs(a - b) <= tol / 2 for a, b in zip(frame_times(out), expected, strict=True))
    assert frame_times(out)[0] == 0
    _, _, frames_in = decode_audio(av_clip)
    _, _, frames_out = decode_audio(out)
    aac_frame = Fraction(1024, 48000)
    first, last = frames_out[0][0] + begin, frames_out[-1][0] + begin
    assert begin - aac_frame - tol < first <= begin + tol  # the packet that overlaps the cut
    assert end - aac_frame - tol < last < end + tol
    # Sample-exact alignment: after the first AAC frame (decoded without its predecessor's
    # overlap), the output's samples are the input's at output time + begin.
    samples_in = np.concatenate([a for _, a in frames_in], 1)
    samples_out = np.concatenate([a for _, a in frames_out], 1)[:, 1024:-1024]
    at = round((first - frames_in[0][0]) * 48000) + 1024
    slack = 48 if tol else 0  # Matroska rounds the start to a millisecond
    hits = [d for d in range(-slack, slack + 1) if np.array_equal(
        samples_out, samples_in[:, at + d:at + d + samples_out.shape[1]])]
    assert len(hits) == 1 and samples_out.shape[1] > 10 * 1024
    with av.open(av_clip) as a, av.open(str(out)) as b:  # the packets themselves: unchanged
        packets_in = [(p.pts * p.time_base, bytes(p))
                      for p in a.demux(a.streams.audio[0]) if p.size]
        packets_out = [bytes(p) for p in b.demux(b.streams.audio[0]) if p.size]
    kept = [data for t, data in packets_in if t + aac_frame > begin and t < end]
    assert packets_out == kept


def test_variable_frame_rate_survives(tmp_path, carphone_frames):
    pts = [0, 40, 80, 150, 160, 300, 333, 400, 560, 600]  # ms
    src = encode_clip(tmp_path / 'vfr.mp4', carphone_frames[:10], time_base=Fraction(1, 1000),
                      pts=pts)
    reader = VideoReader(src)
    tb = reader.timing.time_base  # the MP4 muxer picked a finer one
    assert [p * tb for p, _ in reader.timed()] == [Fraction(p, 1000) for p in pts]
    for ext in ('mp4', 'mkv', 'webm'):
        timed = list(reader.timed())
        _write(tmp_path / f'out.{ext}', [f for _, f in timed], reader.timing,
               pts=[p for p, _ in timed])
        assert frame_times(tmp_path / f'out.{ext}') == [Fraction(p, 1000) for p in pts], ext


def test_codec_by_extension_and_overrides(tmp_path, carphone_frames):
    frames = carphone_frames[:4]
    cases = {'a.mp4': ({}, 'h264', 'yuv420p'), 'a.mov': ({}, 'h264', 'yuv420p'),
             'a.mkv': ({}, 'h264', 'yuv420p'), 'a.webm': ({}, 'vp9', 'yuv420p'),
             'b.mkv': ({'codec': 'ffv1'}, 'ffv1', 'bgr0'),
             'b.mp4': ({'codec': 'libx265', 'crf': 30, 'preset': 'ultrafast'}, 'hevc', 'yuv420p')}
    for name, (kw, decoder, pix_fmt) in cases.items():
        _write(tmp_path / name, frames, Timing.constant(10), **kw)
        reader = VideoReader(str(tmp_path / name))
        assert (reader.codec, reader.pix_fmt, len(reader)) == (decoder, pix_fmt, 4), name
    lossless = list(VideoReader(str(tmp_path / 'b.mkv')))
    assert all(np.array_equal(a, b) for a, b in zip(lossless, frames))
    with av.open(str(tmp_path / 'a.mp4')) as c:  # the conversion's matrix is declared
        ctx = c.streams.video[0].codec_context
        assert (ctx.colorspace, ctx.color_range) == (1, 1)  # BT.709, limited range
    sizes = {}
    for crf in (18, 30):
        _write(tmp_path / f'crf{crf}.mp4', frames, Timing.constant(10), crf=crf)
        sizes[crf] = os.path.getsize(tmp_path / f'crf{crf}.mp4')
    assert sizes[30] < sizes[18] / 2


def test_h264_crf18_is_close_to_the_png_frames(tmp_path, carphone_frames):
    """What a user sees: the x2 bicubic-upscaled clip as PNG frames vs H.264 at CRF 18."""
    frames = [cv2.resize(f, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
              for f in carphone_frames[:12]]
    with FrameSink(str(tmp_path / 'png')) as sink:
        for f in frames:
            sink.write(f)
    _write(tmp_path / 'sr.mp4', frames, Timing.constant(NTSC))
    pngs = list(FrameSource(str(tmp_path / 'png')))
    decoded = list(VideoReader(str(tmp_path / 'sr.mp4')))
    assert all(np.array_equal(a, b) for a, b in zip(pngs, frames))  # PNG is lossless
    rgb = np.mean([psnr(a, b) for a, b in zip(decoded, pngs)])
    luma = np.mean([y_psnr(a, b) for a, b in zip(decoded, pngs)])
    assert rgb > 36 and luma > 40, (rgb, luma)  # measured 37.6 / 41.5 dB


def test_colours_survive_the_yuv_round_trip(tmp_path):
    """Saturated colours through BT.709 H.264 and back: a matrix mismatch between writing and
    reading would shift them by tens of levels."""
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (40, 90, 200), (128, 128, 128)]
    frames = [np.full((64, 64, 3), c, np.uint8) for c in colours]
    _write(tmp_path / 'c.mp4', frames, Timing.constant(5), crf=0)
    for got, c in zip(VideoReader(str(tmp_path / 'c.mp4')), colours):
        assert np.abs(got[32, 32].astype(int) - c).max() <= 3, (got[32, 32], c)


def test_odd_sizes_are_padded_for_subsampled_chroma(tmp_path, carphone_frames):
    frames = [f[:143, :175] for f in carphone_frames[:3]]
    w = _write(tmp_path / 'odd.mp4', frames, Timing.constant(10))
    assert w.size == (176, 144)
    assert w.notes == ['padded 175x143 to 176x144 (yuv420p needs even sizes)']
    decoded = list(VideoReader(str(tmp_path / 'odd.mp4')))
    assert decoded[0].shape == (144, 176, 3)
    assert all(psnr(d[:143, :175], f) > 35 for d, f in zip(decoded, frames))
    assert np.abs(decoded[0][143].astype(int) - decoded[0][142]).mean() < 3  # replicated row
    w = _write(tmp_path / 'odd.mkv', frames, Timing.constant(10), codec='ffv1')
    assert w.size == (175, 143) and not w.notes  # RGB: no chroma subsampling, nothing to pad
    assert np.array_equal(next(iter(VideoReader(str(tmp_path / 'odd.mkv')))), frames[0])


def test_subtitles_copied_where_the_container_holds_them(tmp_path, carphone_frames):
    srt = tmp_path / 's.srt'
    srt.write_text('1\n00:00:00,100 --> 00:00:00,400\nhello\n\n2\n00:00:00,500 --> 00:00:00,900\n'
                   'world\n')
    src = encode_clip(tmp_path / 'in.mkv', carphone_frames[:10], codec='ffv1', pix_fmt='bgr0',
                      rate=10, subtitles=srt)
    reader = VideoReader(src)
    w = _write(tmp_path / 'out.mkv', list(reader), reader.timing, copy_from=src)
    assert not w.notes
    with av.open(str(tmp_path / 'out.mkv')) as c:
        cues = [(p.pts * p.time_base, p.duration * p.time_base, bytes(p))
                for p in c.demux(c.streams.subtitles[0]) if p.size]
    assert cues == [(Fraction(1, 10), Fraction(3, 10), b'hello'),
                    (Fraction(1, 2), Fraction(2, 5), b'world')]
    w = _write(tmp_path / 'out.mp4', list(reader), reader.timing, copy_from=src)
    assert w.notes == ['subtitle stream #1 (srt) skipped: .mp4 cannot hold it']
    with av.open(str(tmp_path / 'out.mp4')) as c:
        assert [s.type for s in c.streams] == ['video']


# ----------------------------------------------------------------------------- failures

def test_errors_are_one_line_and_name_the_culprit(tmp_path, av_clip, carphone_frames):
    out = str(tmp_path / 'o.mp4')
    cases = [
        (dict(codec='nope'), r"o\.mp4: unknown video codec 'nope'"),
        (dict(codec='aac'), r"o\.mp4: 'aac' is an audio codec"),
        (dict(codec='mpeg4', preset='fast'), r'--preset: mpeg4 has no speed preset'),
        (dict(preset='quick'), r'--preset quick: libx264 knows ultrafast, '),
        (dict(codec='libx265', crf=-5), r'o\.mp4: encoder libx265 cannot open with'),
    ]
    for kw, message in cases:
        with pytest.raises(ConfigError, match=message) as err:
            VideoWriter(out, **kw)
        assert '\n' not in str(err.value)
    with pytest.raises(ConfigError, match=r'o\.mkv: encoder ffv1 has no option for --crf'):
        VideoWriter(str(tmp_path / 'o.mkv'), codec='ffv1', crf=10)
    with pytest.raises(ConfigError, match=r'o\.webm: a \.webm file cannot hold ffv1 video'):
        VideoWriter(str(tmp_path / 'o.webm'), codec='ffv1')
    with pytest.raises(VideoIOError, match=r'o\.webm: a \.webm file cannot hold audio stream #1 '
                                           r'\(aac\) of .*talk\.mp4; choose another container'):
        VideoWriter(str(tmp_path / 'o.webm'), copy_from=av_clip)
    with pytest.raises(VideoIOError, match=r'o\.avi: unknown video extension'):
        VideoWriter(str(tmp_path / 'o.avi'))
    with pytest.raises(VideoIOError, match=r'parent folder .*nope does not exist'):
        VideoWriter(str(tmp_path / 'nope' / 'o.mp4'))
    if os.path.isdir('/sys'):  # sysfs takes no new files, not even from root
        with pytest.raises(VideoIOError, match=r'^/sys/o\.mp4: cannot write \(Permission denied\)$'):
            VideoWriter('/sys/o.mp4')
    (tmp_path / 'dir.mp4').mkdir()
    with pytest.raises(VideoIOError, match=r'dir\.mp4: is a folder'):
        VideoWriter(str(tmp_path / 'dir.mp4'))
    assert sorted(os.listdir(tmp_path)) == ['dir.mp4']  # nothing left by the failed writers

    audio_only = tmp_path / 'tone.m4a'
    with av.open(str(audio_only), 'w') as c:
        s = c.add_stream('aac', rate=48000)
        frame = av.AudioFrame.from_ndarray(np.zeros((2, 1024), np.float32), format='fltp',
                                           layout='stereo')
        frame.sample_rate, frame.pts = 48000, 0
        c.mux(s.encode(frame))
        c.mux(s.encode())
    with pytest.raises(VideoIOError, match=r'tone\.m4a: has no video stream'):
        VideoReader(str(audio_only))
    garbage = tmp_path / 'junk.mp4'
    garbage.write_bytes(os.urandom(3000))
    with pytest.raises(VideoIOError, match=r'junk\.mp4: cannot open as a video \('):
        VideoReader(str(garbage))
    with pytest.raises(VideoIOError, match=r'missing\.mp4: no such file'):
        VideoReader(str(tmp_path / 'missing.mp4'))
    with pytest.raises(ConfigError, match=r'--fps 30: only for frame folders and globs; .*talk'):
        FrameSource(av_clip, fps=30)


def test_corrupt_frame_is_named(tmp_path, carphone_path):
    data = bytearray(open(carphone_path, 'rb').read())
    at = int(len(data) * 0.3)
    data[at:at + 2000] = np.random.default_rng(0).integers(0, 256, 2000, dtype=np.uint8).tobytes()
    bad = tmp_path / 'bad.mp4'
    bad.write_bytes(bytes(data))
    reader = VideoReader(str(bad))
    assert reader.frame_count == 120
    with pytest.raises(CorruptFrameError, match=r'bad\.mp4: frame 31 of 120 cannot be decoded '
                                                r'\(corrupt video: ') as err:
        list(reader)
    assert (err.value.frame, err.value.total) == (31, 120)
    assert len(list(VideoReader(str(bad), max_frames=31))) == 31  # the frames before it are fine


def test_output_is_atomic(tmp_path, av_clip, carphone_frames):
    target = tmp_path / 'out.mp4'
    target.write_bytes(b'old')
    with pytest.raises(RuntimeError, match='boom'):
        with VideoWriter(str(target), copy_from=av_clip) as w:
            for f in carphone_frames[:3]:
                w.write(f)
            assert os.path.basename(w.tmp) == f'.out.{os.getpid()}.partial.mp4'
            assert os.path.isfile(w.tmp)
            raise RuntimeError('boom')
    assert sorted(os.listdir(tmp_path)) == ['out.mp4'] and target.read_bytes() == b'old'
    with pytest.raises(VideoIOError, match='no frames were written'):
        with VideoWriter(str(target)):
            pass
    assert target.read_bytes() == b'old'
    # a temporary of a killed process is removed by the next writer of the same target; one
    # of a live process (another run writing the same name) is left alone
    dead = temp_path(str(target), 2 ** 22 + 12345)  # above Linux's default pid_max
    live = temp_path(str(target), os.getppid())
    other = temp_path(str(tmp_path / 'other.mp4'), 2 ** 22 + 12345)
    for name in (dead, live, other):
        open(name, 'wb').write(b'partial')
    _write(target, carphone_frames[:2], Timing.constant(10))
    assert sorted(os.listdir(tmp_path)) == sorted(['out.mp4', os.path.basename(live),
                                                   os.path.basename(other)])
    assert len(list(VideoReader(str(target)))) == 2
    folder = tmp_path / 'frames'
    stale = temp_path(str(folder), 2 ** 22 + 12345)
    os.makedirs(os.path.join(stale, 'x'))
    with FrameSink(str(folder)) as sink:
        sink.write(carphone_frames[0])
    assert not os.path.exists(stale) and os.listdir(folder) == ['00000000.png']
