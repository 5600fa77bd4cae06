"""tools/infer.py interrupted by SIGINT, SIGTERM and SIGKILL in the middle of a real clip: never
a partial file under the output's name; the first two remove their temporary, the third leaves
one that the rerun deletes before it writes a complete output."""
import glob
import os
import signal
import subprocess
import sys
import time

import cv2
import numpy as np

from conftest import ROOT, child_env
from video_clips import encode_clip

from vsrkit.cli import infer
from vsrkit.io.video import VideoReader

INFER = [sys.executable, os.path.join(ROOT, 'tools', 'infer.py')]
# slow enough to be caught mid-run: SPMC x4 (random weights) at 352x288 out, one thread
SLOW_MODEL = ("model = dict(type='SPMCVSR', scale=4, num_frames=3, in_channels=1,\n"
              "    motion=dict(type='VESPCNMotion', coarse_channels=(4, 4, 4, 4),"
              " fine_channels=(4, 4, 4, 4)),\n"
              "    compensation=dict(type='SPMC'),\n"
              "    fusion=dict(type='DetailFusionNet', enc_channels=(8, 16, 16, 16),"
              " lstm_channels=16, dec_channels=(16, 16, 16, 8, 8)))\n")


def _default_sigint():
    # A test run started in the background by a non-interactive shell inherits SIGINT ignored,
    # and Python then keeps ignoring it: give the child the interactive default (Ctrl-C).
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _temps(folder, stem='out'):
    return glob.glob(os.path.join(folder, f'.{stem}*.partial*'))


def test_interrupted_inference_leaves_no_output_and_a_rerun_works(tmp_path, carphone_path):
    cap = cv2.VideoCapture(carphone_path)
    frames = [cv2.cvtColor(cap.read()[1], cv2.COLOR_BGR2RGB)[:72, :88] for _ in range(40)]
    frames = frames * 4  # 160 frames: still running well after the signals, however fast the model
    clip = encode_clip(tmp_path / 'clip.mp4', frames, tone=True)
    cfg = tmp_path / 'slow.py'
    cfg.write_text(SLOW_MODEL)
    runs = {}
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        folder = tmp_path / sig.name
        folder.mkdir()
        cmd = [*INFER, str(cfg), 'none', clip, str(folder / 'out.mp4'), '--threads', '1']
        runs[sig] = (folder, subprocess.Popen(cmd, env=child_env(), stdout=subprocess.PIPE,
                                              stderr=subprocess.PIPE, text=True,
                                              preexec_fn=_default_sigint))
    # Signal each run soon after it starts writing frames: its 160 frames take far longer than
    # that, however fast the machine (waiting for all three first let a quick one finish).
    for sig, (folder, proc) in runs.items():
        t0 = time.time()
        while not _temps(folder):
            assert proc.poll() is None, proc.communicate()[1][-2000:]
            assert time.time() - t0 < 120, f'{sig.name}: no output started within 120 s'
            time.sleep(0.05)
        time.sleep(0.5)
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        proc.send_signal(sig)
    # SIGTERM unwinds like Ctrl-C (exit 130, the temporary removed); kill -9 runs nothing
    expected = {signal.SIGINT: 130, signal.SIGTERM: 130, signal.SIGKILL: -9}
    for sig, (folder, proc) in runs.items():
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == expected[sig], err[-2000:]
        assert not (folder / 'out.mp4').exists()
        if sig != signal.SIGKILL:
            assert os.listdir(folder) == [], (sig, os.listdir(folder))
            assert err.strip().splitlines()[-1] == 'infer.py: interrupted', err[-2000:]
    # kill -9 ran no cleanup: its hidden temporary is there, never under the output's name
    killed = runs[signal.SIGKILL][0]
    (stale,) = _temps(killed)
    assert infer.main([str(cfg), 'none', clip, str(killed / 'out.mp4'), '--max-frames', '3',
                       '--no-progress']) == 0
    assert os.listdir(killed) == ['out.mp4'] and not os.path.exists(stale)
    reader = VideoReader(str(killed / 'out.mp4'))
    assert len(reader) == 3 and (reader.width, reader.height) == (352, 288)
    assert np.std(next(iter(reader))) > 10
