"""tools/infer.py end to end: video/folder in and out, scale check, errors leave no output,
peak memory that does not grow with the clip length; video output keeps the input's timing and
audio, encoder options, comparison videos."""
import os
import re
import subprocess
import sys
from fractions import Fraction

import av
import cv2
import numpy as np
import pytest
import torch

from video_clips import decode_audio, encode_clip, frame_times

from vsrkit.apis import WindowSR, init_model, super_resolve
from vsrkit.cli import infer
from vsrkit.io import FrameSink, FrameSource
from vsrkit.io.video import VideoReader
from vsrkit.ops.imresize import imresize
from vsrkit.ops.upsample import bicubic_upsample

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

torch.set_num_threads(2)

SPMC_RGB = ("model = dict(type='SPMCVSR', scale=2, num_frames=3, in_channels=3,\n"
            "    motion=dict(type='VESPCNMotion', coarse_channels=(4, 4, 4, 4), "
            "fine_channels=(4, 4, 4, 4)),\n"
            "    compensation=dict(type='SPMC'),\n"
            "    fusion=dict(type='DetailFusionNet', enc_channels=(4, 8, 8, 8), "
            "lstm_channels=8, dec_channels=(8, 8, 8, 4, 4)))\n")


@pytest.fixture(scope='module')
def clip(tmp_path_factory, carphone_path):
    """6 real frames (32 x 40 crop of the bundled carphone clip) as a lossless .mkv."""
    src = carphone_path
    root = tmp_path_factory.mktemp('clip')
    frames = [f[48:80, 64:104].copy() for f in FrameSource(src, max_frames=6)]
    path = str(root / 'clip.mkv')
    with FrameSink(path, fps=15, codec='ffv1') as sink:
        for f in frames:
            sink.write(f)
    return path, frames


@pytest.fixture(scope='module')
def spmc(tmp_path_factory):
    """Config + checkpoint of a tiny random RGB SPMCVSR x2 (output conv randomised)."""
    root = tmp_path_factory.mktemp('model')
    cfg = root / 'tiny_spmc.py'
    cfg.write_text(SPMC_RGB)
    torch.manual_seed(0)
    model = init_model(str(cfg))
    with torch.no_grad():
        model.fusion.out.weight.normal_(0, 0.1)
    ckpt = root / 'tiny.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)
    return str(cfg), str(ckpt)


def _run(capsys, *argv):
    code = infer.main([str(a) for a in argv] + ['--no-progress'])
    out, err = capsys.readouterr()
    return code, out, err


def test_video_in_folder_and_video_out_match_the_api(clip, spmc, tmp_path, capsys):
    path, frames = clip
    cfg, ckpt = spmc
    model = init_model(cfg, ckpt)
    expected8 = np.clip(np.rint(super_resolve(model, frames) * 255), 0, 255).astype(np.uint8)
    code, out, err = _run(capsys, cfg, ckpt, path, tmp_path / 'frames')
    assert code == 0, err
    assert 'frames 40x32 -> 80x64 (x2)' in out
    names = sorted(os.listdir(tmp_path / 'frames'))
    assert names == [f'{i:08d}.png' for i in range(6)]
    for name, ref in zip(names, expected8):
        img = cv2.cvtColor(cv2.imread(str(tmp_path / 'frames' / name)), cv2.COLOR_BGR2RGB)
        np.testing.assert_array_equal(img, ref)
    code, out, err = _run(capsys, cfg, ckpt, path, tmp_path / 'sr.mkv', '--max-frames', 4,
                          '--codec', 'ffv1')
    assert code == 0, err
    src = FrameSource(str(tmp_path / 'sr.mkv'))
    got = list(src)
    assert src.fps == 15 and len(got) == 4
    # a 4-frame clip: the last window reflects at frame 3 ([2, 3, 2]), unlike the 6-frame run
    np.testing.assert_array_equal(np.stack(got[:3]), expected8[:3])
    run = WindowSR(model)
    last = run([run.prepare(frames[j]) for j in (2, 3, 2)])
    np.testing.assert_array_equal(got[3], np.clip(np.rint(last * 255), 0, 255).astype(np.uint8))
    assert np.abs(got[3].astype(int) - expected8[3]).max() > 0
    assert sorted(os.listdir(tmp_path)) == ['frames', 'sr.mkv']  # no temp files left
    # --tile reaches the model: 16-px cores (the frames are 40 x 32 LR), same pixels
    code, out, err = _run(capsys, cfg, ckpt, path, tmp_path / 'tiled', '--max-frames', 2,
                          '--tile', 16, '--tile-overlap', 8)
    assert code == 0 and 'tiles of 16 LR px with 8 px overlap' in out
    tiled = cv2.imread(str(tmp_path / 'tiled' / '00000000.png')).astype(int)
    untiled = cv2.imread(str(tmp_path / 'frames' / '00000000.png')).astype(int)
    assert np.abs(tiled - untiled).max() > 0  # 8 px is less than the receptive field: seams


def test_scale_check_reports_psnr(clip, tmp_path, capsys):
    path, frames = clip
    cfg = tmp_path / 'bic.py'
    cfg.write_text("model = dict(type='BicubicVSR', scale=2, in_channels=1)\n")
    code, out, err = _run(capsys, cfg, 'none', path, tmp_path / 'out', '--scale-check')
    assert code == 0, err
    assert 'frames 20x16 -> 40x32 (x2)' in out
    sr_db, bic_db = map(float, re.search(r'BicubicVSR ([\d.]+) dB, bicubic ([\d.]+) dB', out).groups())
    assert sr_db == pytest.approx(bic_db, abs=0.01)  # BicubicVSR is the bicubic baseline
    # independent recomputation: MATLAB-bicubic down and up, PSNR on 8-bit Y, border 2
    scores = []
    for hr in frames:
        lr = imresize(hr, output_shape=(16, 20))
        up = bicubic_upsample(torch.from_numpy(lr).permute(2, 0, 1)[None].double() / 255, 2)[0]
        up8 = np.rint(up.clamp(0, 1).permute(1, 2, 0).numpy() * 255)
        y = lambda im: 16 + im @ np.array([65.481, 128.553, 24.966]) / 255  # noqa: E731
        err = (y(up8) - y(hr.astype(np.float64)))[2:-2, 2:-2]
        scores.append(10 * np.log10(255 ** 2 / np.mean(err ** 2)))
    assert bic_db == pytest.approx(np.mean(scores), abs=0.005)


def test_errors_are_one_line_and_leave_no_output(clip, spmc, tmp_path, capsys):
    path, _ = clip
    cfg, ckpt = spmc
    out_video = tmp_path / 'out.mp4'

    bad_video = tmp_path / 'bad.mp4'
    bad_video.write_bytes(os.urandom(2000))
    code, _, err = _run(capsys, cfg, ckpt, bad_video, out_video)
    assert code == 2 and 'bad.mp4' in err and len(err.strip().splitlines()) == 1

    (tmp_path / 'empty').mkdir()
    code, _, err = _run(capsys, cfg, ckpt, tmp_path / 'empty', out_video)
    assert code == 2 and 'empty: folder holds no frames' in err
    writer = cv2.VideoWriter(str(tmp_path / 'zero.avi'), cv2.VideoWriter_fourcc(*'MJPG'), 25, (32, 32))
    writer.release()  # a valid container with no frames
    code, _, err = _run(capsys, cfg, ckpt, tmp_path / 'zero.avi', out_video)
    assert code == 2 and 'zero.avi: zero frames could be decoded' in err

    wrong = tmp_path / 'wrong.pth'
    state = torch.load(ckpt, weights_only=True)['state_dict']
    state['motion.extra'] = state.pop('motion.fine.8.bias')
    torch.save({'state_dict': state}, wrong)
    code, _, err = _run(capsys, cfg, wrong, path, out_video)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "missing keys [motion.fine.8.bias]; unexpected keys [motion.extra]" in err

    code, _, err = _run(capsys, cfg, ckpt, path, out_video, '--scale', 4)
    assert code == 2 and 'upscales x2 only' in err

    # a failure in the middle of the stream (frame 3 has another size) removes the partial file
    folder = tmp_path / 'mixed'
    folder.mkdir()
    for i in range(5):
        size = (16, 20) if i != 3 else (16, 24)
        cv2.imwrite(str(folder / f'{i}.png'), np.full(size + (3,), 100, np.uint8))
    code, _, err = _run(capsys, cfg, ckpt, folder, out_video)
    assert code == 2 and 'frame 3 is 24x16' in err
    assert sorted(os.listdir(tmp_path)) == ['bad.mp4', 'empty', 'mixed', 'wrong.pth', 'zero.avi']


def test_ready_to_use_model_by_name(clip, tmp_path, capsys):
    """NAME INPUT OUTPUT: the shipped spmc_x4_demo (x4, Y model) on 2 real frames, PNG output
    equal to the API's result with the same weights."""
    path, frames = clip
    code, out, err = _run(capsys, 'spmc_x4_demo', path, '--max-frames', 2, tmp_path / 'frames')
    assert code == 0, err
    assert 'frames 40x32 -> 160x128 (x4)' in out and 'warning' not in err
    expected = np.clip(np.rint(super_resolve(init_model('spmc_x4_demo'), frames[:2]) * 255), 0,
                       255).astype(np.uint8)
    written = [cv2.imread(str(tmp_path / 'frames' / f'{i:08d}.png'))[:, :, ::-1] for i in range(2)]
    assert np.array_equal(np.stack(written), expected)


def test_list_models(capsys):
    code, out, err = _run(capsys, '--list-models')
    assert code == 0, err
    line = next(ln for ln in out.splitlines() if ln.startswith('spmc_x4_demo '))
    # the figures of the entry's metadata, flattened: held_out_bikes_test.PSNR-Y=31.7 ...
    assert 'SPMCVSR x4, 3 frames, Y' in line and re.search(r' held_out_bikes_test\.PSNR-Y=\d\d\.\d+ ', line)


@pytest.mark.parametrize('argv, says', [
    (['spmc_x4_demo'], 'expected NAME INPUT OUTPUT or CONFIG CKPT INPUT OUTPUT, got 1 argument'),
    (['a', 'b', 'c', 'd', 'e'], 'got 5 argument(s)'),
    (['nosuch_model', 'in.mp4', 'out.mp4'],
     'nosuch_model: not a config file nor a known model (known models: '),
    ([f'{ROOT}/configs/spmc/spmc_x4_demo.py', 'in.mp4', 'out.mp4'], 'a config needs its checkpoint'),
])
def test_positional_errors_are_one_line(capsys, argv, says):
    code, _, err = _run(capsys, *argv)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith('infer.py: error: '), err
    assert says in lines[0]
    if 'known' in says or 'argument' in says:
        assert 'spmc_x4_demo' in lines[0]


MEASURE = r"""
import resource, runpy, sys
sys.argv = sys.argv[1:]
try:
    runpy.run_path(sys.argv[0], run_name='__main__')
except SystemExit as done:
    if done.code:
        sys.exit(done.code)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # peak RSS, KiB on Linux
"""


def _synthetic_video(path, n, size=64):
    """A moving colour pattern, ``n`` frames (H.264)."""
    yy, xx = np.mgrid[0:size, 0:size]
    with FrameSink(str(path), fps=25) as sink:
        for t in range(n):
            sink.write(np.stack([(xx * 4 + t) % 256, (yy * 4 + 2 * t) % 256,
                                 (xx + yy + 3 * t) % 256], -1).astype(np.uint8))


def test_peak_memory_does_not_grow_with_length(tmp_path):
    """Peak RSS of tools/infer.py on 50 vs 500 frames (64 x 64, x4, Y model with colour
    recombination): the difference stays below the size of three output frames."""
    cfg = tmp_path / 'bic.py'
    cfg.write_text("model = dict(type='BicubicVSR', scale=4, num_frames=3, in_channels=1)\n")
    procs = {}
    for n in (50, 500):  # both at once: each child reports its own peak
        video = tmp_path / f'in{n}.mkv'
        _synthetic_video(video, n)
        cmd = [sys.executable, '-c', MEASURE, os.path.join(ROOT, 'tools', 'infer.py'), str(cfg),
               'none', str(video), str(tmp_path / f'out{n}.mkv'), '--no-progress', '--threads', '1']
        procs[n] = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peaks = {}
    for n, proc in procs.items():
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        peaks[n] = int(out.strip().splitlines()[-1]) * 1024
        assert len(list(FrameSource(str(tmp_path / f'out{n}.mkv')))) == n
    frame_bytes = 256 * 256 * 3 * 4  # one float32 output frame
    growth = peaks[500] - peaks[50]
    print(f'peak RSS 50 frames {peaks[50] / 2**20:.1f} MiB, 500 frames {peaks[500] / 2**20:.1f} MiB')
    assert growth < 3 * frame_bytes, f'peak RSS grew by {growth / 2**20:.1f} MiB'


def test_panel_from_the_scale_check(clip, spmc, tmp_path, capsys):
    path, frames = clip
    cfg, ckpt = spmc
    png = tmp_path / 'panel.png'
    code, out, err = _run(capsys, cfg, ckpt, path, tmp_path / 'o', '--scale-check', '--panel', png,
                          '--panel-frame', 2, '--panel-crop', 16)
    assert code == 0, err
    img = cv2.imread(str(png))
    # frame thumbnail (20 px), LR, bicubic, SR, GT (16 px each), 4-px gaps; captions below
    assert img.shape[1] == 20 + 4 * 16 + 4 * 4 and img.shape[0] > 16
    sr2 = cv2.imread(str(tmp_path / 'o' / '00000002.png'))
    gt2 = cv2.cvtColor(frames[2], cv2.COLOR_RGB2BGR)
    # the SR and GT tiles are crops of the written frame 2 and of input frame 2
    sr_x = 20 + 4 + 2 * (16 + 4)
    sr_tile, gt_tile = img[:16, sr_x:sr_x + 16], img[:16, -16:]
    hits = [(yy, xx) for yy in range(0, 17, 2) for xx in range(0, 25, 2)
            if (gt2[yy:yy + 16, xx:xx + 16] == gt_tile).all()]
    assert len(hits) == 1
    yy, xx = hits[0]
    np.testing.assert_array_equal(sr_tile, sr2[yy:yy + 16, xx:xx + 16])
    code, _, err = _run(capsys, cfg, ckpt, path, tmp_path / 'o2', '--panel', png)
    assert code == 2 and '--panel needs --scale-check' in err
    code, _, err = _run(capsys, cfg, ckpt, path, tmp_path / 'o2', '--scale-check', '--panel', png,
                        '--panel-frame', 9)
    assert code == 2 and '--panel-frame 9' in err and not (tmp_path / 'o2').exists()


# ----------------------------------------------------------------------------- video output

@pytest.fixture(scope='module')
def talk(tmp_path_factory, carphone_path):
    """12 carphone frames (48 x 64 crop) at variable frame rate (ms timestamps), H.264 with a
    stereo AAC tone: (path, RGB frames as decoded)."""
    frames = [f[40:88, 56:120].copy() for f in FrameSource(carphone_path, max_frames=12)]
    pts = [0, 33, 67, 140, 150, 200, 233, 300, 310, 400, 433, 467]
    path = encode_clip(tmp_path_factory.mktemp('talk') / 'talk.mp4', frames, pts=pts,
                       time_base=Fraction(1, 1000), tone=True)
    return path, list(VideoReader(path))


def test_video_output_keeps_timestamps_and_audio(talk, spmc, tmp_path, capsys):
    path, frames = talk
    cfg, ckpt = spmc
    code, out, err = _run(capsys, cfg, ckpt, path, tmp_path / 'sr.mp4')
    assert code == 0, err
    assert 'copied from the input: audio #1 (aac)' in out
    assert frame_times(tmp_path / 'sr.mp4') == frame_times(path)  # variable frame rate kept
    samples_in, info_in, _ = decode_audio(path)
    samples_out, info_out, _ = decode_audio(tmp_path / 'sr.mp4')
    assert info_out['codec'] == 'aac' and np.array_equal(samples_out, samples_in)
    reader = VideoReader(str(tmp_path / 'sr.mp4'))
    assert (reader.codec, reader.width, reader.height) == ('h264', 128, 96)
    # H.264 at CRF 18 against the lossless PNG output of the same run
    code, _, err = _run(capsys, cfg, ckpt, path, tmp_path / 'png')
    assert code == 0, err
    pngs = list(FrameSource(str(tmp_path / 'png')))
    mse = np.mean([(a.astype(float) - b) ** 2 for a, b in zip(reader, pngs)])
    assert 10 * np.log10(255 ** 2 / mse) > 36  # measured 37.1 dB (RGB) on this clip
    # a cut: frames 3..8 from time 0, the audio of the same span; --no-audio drops it
    code, out, err = _run(capsys, cfg, ckpt, path, tmp_path / 'cut.mkv', '--start', 3,
                          '--max-frames', 6)
    assert code == 0, err
    times = frame_times(path)
    assert frame_times(tmp_path / 'cut.mkv') == [t - times[3] for t in times[3:9]]
    _, info, _ = decode_audio(tmp_path / 'cut.mkv')
    assert abs(info['duration'] - (times[9] - times[3])) < 0.03  # within an AAC frame or so
    code, out, err = _run(capsys, cfg, ckpt, path, tmp_path / 'mute.mp4', '--no-audio',
                          '--codec', 'libx265', '--crf', 28, '--preset', 'ultrafast')
    assert code == 0, err and 'copied from' not in out
    with av.open(str(tmp_path / 'mute.mp4')) as c:
        assert [s.type for s in c.streams] == ['video']
        assert c.streams.video[0].codec_context.name == 'hevc'
    assert not [n for n in os.listdir(tmp_path) if n.startswith('.')]


@pytest.mark.parametrize('mode', ['split', 'wipe'])
def test_comparison_video(talk, spmc, tmp_path, capsys, mode):
    """Lossless outputs: each comparison frame is bicubic (of the input frame) left of the
    divider and the SR frame right of it."""
    path, frames = talk
    cfg, ckpt = spmc
    code, out, err = _run(capsys, cfg, ckpt, path, tmp_path / 'sr', '--compare',
                          tmp_path / 'cmp.mkv', '--compare-mode', mode, '--codec', 'ffv1',
                          '--max-frames', 8)
    assert code == 0, err
    assert f'comparison ({mode}, bicubic | SPMCVSR): {tmp_path / "cmp.mkv"}' in out
    compared = list(VideoReader(str(tmp_path / 'cmp.mkv')))
    srs = list(FrameSource(str(tmp_path / 'sr')))
    assert len(compared) == 8 and compared[0].shape == srs[0].shape == (96, 128, 3)
    splits = []
    for frame, sr, lr in zip(compared, srs, frames):
        bic = bicubic_upsample(torch.from_numpy(lr).permute(2, 0, 1)[None].float() / 255, 2)[0]
        bic8 = np.rint(bic.clamp(0, 1).permute(1, 2, 0).double().numpy() * 255).astype(np.uint8)
        body = frame[40:]  # below the labels
        left = np.all(body == bic8[40:], axis=(0, 2))
        right = np.all(body == sr[40:], axis=(0, 2))
        d = int(np.argmin(left))  # the first column that is not bicubic: a 2-px white divider
        assert left[:d].all() and (body[:, d:d + 2] == 255).all() and right[d + 2:].all()
        splits.append(d + 1)
    if mode == 'split':
        assert splits == [64] * 8
    else:
        assert splits[0] == round(0.1 * 128) and splits == sorted(splits)  # sweeping right


def test_video_option_errors(talk, spmc, tmp_path, capsys):
    path, _ = talk
    cfg, ckpt = spmc
    cases = [(['--fps', 30], r'--fps 30: only for frame folders and globs; .*talk\.mp4 is a video'),
             (['--codec', 'nope'], r"out\.mp4: unknown video codec 'nope'"),
             (['--crf', 18, '--codec', 'ffv1'], r'out\.mp4: encoder ffv1 has no option for --crf'),
             (['--preset', 'quick'], r'--preset quick: libx264 knows ultrafast'),
             (['--compare', tmp_path / 'out.mp4'], r'--compare .*out\.mp4: the same path as'),
             (['--compare', tmp_path / 'c.webm'], r'c\.webm: a \.webm file cannot hold audio')]
    for extra, message in cases:
        code, _, err = _run(capsys, cfg, ckpt, path, tmp_path / 'out.mp4', *extra)
        assert code == 2 and len(err.strip().splitlines()) == 1, err
        assert re.search(message, err), err
    code, _, err = _run(capsys, cfg, ckpt, path, tmp_path / 'folder', '--crf', 20)
    assert code == 2 and 'folder: --crf apply to video outputs' in err
    assert os.listdir(tmp_path) == []
