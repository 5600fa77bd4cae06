"""Test helpers for video files: build real clips with PyAV (an AAC tone track, variable frame
rate, subtitles, any codec) and inspect them (decoded audio, frame times). A uniquely named
module at tests/, like frame_helpers.py."""
from fractions import Fraction

import av
import numpy as np

NTSC = Fraction(30000, 1001)


def encode_clip(path, frames, *, codec='libx264', pix_fmt='yuv420p', rate=NTSC, time_base=None,
                pts=None, options=None, tone=False, subtitles=None):
    """Write RGB uint8 ``frames`` (or ready av.VideoFrames) to ``path``.

    ``pts`` (in ``time_base``, default 1/rate) gives variable timing; ``tone`` adds a stereo
    48 kHz AAC track (440 / 660 Hz) as long as the video; ``subtitles`` is an .srt file whose
    stream is muxed in unchanged."""
    time_base = time_base or 1 / Fraction(rate)
    pts = list(range(len(frames))) if pts is None else pts
    out = av.open(str(path), 'w')
    video = out.add_stream(codec, rate=rate, options=options or {})
    first = frames[0]
    video.height, video.width = (first.height, first.width) if isinstance(first, av.VideoFrame) \
        else first.shape[:2]
    video.pix_fmt = pix_fmt
    video.time_base = video.codec_context.time_base = time_base
    # without noise substitution, whose random state would make a decode that starts
    # mid-stream differ (by ~1e-5) from the full decode
    audio = out.add_stream('aac', rate=48000, options={'aac_pns': '0'}) if tone else None
    if audio is not None:
        audio.layout = 'stereo'
    srt = av.open(str(subtitles)) if subtitles else None
    sub = out.add_stream_from_template(srt.streams[0]) if srt else None
    for p, f in zip(pts, frames):
        vf = f if isinstance(f, av.VideoFrame) else av.VideoFrame.from_ndarray(f, format='rgb24')
        vf.pts, vf.time_base = p, time_base
        out.mux(video.encode(vf))
    out.mux(video.encode())
    if audio is not None:
        n = int((pts[-1] + (pts[-1] - pts[-2])) * time_base * 48000)
        t = np.arange(n) / 48000
        samples = np.stack([0.3 * np.sin(2 * np.pi * 440 * t), 0.2 * np.sin(2 * np.pi * 660 * t)])
        for k in range(0, n, 1024):
            af = av.AudioFrame.from_ndarray(samples[:, k:k + 1024].astype(np.float32).copy(),
                                            format='fltp', layout='stereo')
            af.sample_rate, af.pts = 48000, k
            out.mux(audio.encode(af))
        out.mux(audio.encode())
    if srt is not None:
        for packet in srt.demux(srt.streams[0]):
            if packet.size:
                packet.stream = sub
                out.mux(packet)
        srt.close()
    out.close()
    return str(path)


def decode_audio(path):
    """(all decoded samples (channels, n) of the first audio stream, its stream, frame pts)."""
    with av.open(str(path)) as c:
        stream = c.streams.audio[0]
        frames = list(c.decode(stream))
        info = dict(codec=stream.codec_context.name, rate=stream.codec_context.sample_rate,
                    channels=stream.codec_context.channels, time_base=stream.time_base,
                    duration=stream.duration * stream.time_base if stream.duration
                    else Fraction(c.duration, 1_000_000))
        return np.concatenate([f.to_ndarray() for f in frames], 1), info, \
            [(f.pts * f.time_base, f.to_ndarray()) for f in frames]


def frame_times(path):
    """Presentation times (s, Fractions) of the decoded video frames."""
    with av.open(str(path)) as c:
        return [f.pts * f.time_base for f in c.decode(c.streams.video[0])]
