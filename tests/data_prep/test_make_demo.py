"""data_prep/make_demo.py on a reduced setting (--max-frames): the frame assignment, exact
test frames, idempotence; the full plan (clip lengths) is checked without writing."""
import json
import os

import cv2
import numpy as np
import pytest

from frame_helpers import frames_of, meta
from vsrkit.cli import make_demo
from vsrkit.data_prep.demo import demo_sources
from vsrkit.datasets import VideoTestDataset
from vsrkit.datasets.degradations import degrade


@pytest.fixture(scope='module')
def demo_videos():
    from vsrkit.data_prep.demo import demo_video_path
    from vsrkit.errors import DataError
    try:
        return demo_video_path('bigbuckbunny.mp4'), demo_video_path('bikes.mp4')
    except DataError as err:
        pytest.skip(str(err))


def test_help_documents_the_frame_assignment(capsys):
    with pytest.raises(SystemExit):
        make_demo.main(['--help'])
    text = capsys.readouterr().out
    for part in ('bigbuckbunny.mp4 frames 0-131', 'bikes.mp4 frames 0-199', 'frames 200-225',
                 'frames 226-249 (24 frames) at native 640x272', '--max-frames', 'train_BIx<s>.lmdb'):
        assert part in text


def test_full_plan_frame_counts_and_clip_split(demo_videos):
    train, test = demo_sources()
    bbb, bikes = train
    assert (bbb.estimate_frames(), bikes.estimate_frames(), test[0].estimate_frames()) == (132, 200, 24)
    assert bikes.selection.end <= 200 < 226 == test[0].selection.start   # a gap, no overlap
    clips = {}
    for clip, j, i, _, _ in bikes.clip_frames():
        clips.setdefault(clip, []).append(i)
    assert {c: (v[0], v[-1]) for c, v in clips.items()} == {
        'bikes_000': (0, 29), 'bikes_001': (30, 75), 'bikes_002': (76, 136), 'bikes_003': (137, 186),
        'bikes_004': (187, 199)}


def test_reduced_demo_build_is_exact_and_idempotent(tmp_path, demo_videos, capsys, bgr_frames):
    out = tmp_path / 'demo'
    args = ['--out', str(out), '--max-frames', '4', '--workers', '1', '--no-progress']
    assert make_demo.main(args) == 0
    line = capsys.readouterr().out
    assert 'cropped GT 480x270 -> 480x268 (divisible by 4)' in line and 'test_GT/' in line
    assert sorted(os.listdir(out)) == ['test_BIx4.lmdb', 'test_GT', 'test_GT.lmdb', 'train_BIx4.lmdb',
                                       'train_GT.lmdb']
    assert meta(out / 'train_GT.lmdb') == 'bbb_000 4 (268,480,3)\nbikes_000 4 (204,480,3)\n'
    assert meta(out / 'test_BIx4.lmdb') == 'bikes_test 4 (68,160,3)\n'
    # the test clip is bikes.mp4 frames 226.. at native size, its LR their bicubic x1/4
    src = bgr_frames(demo_videos[1], 226, 4)
    gt, lr = frames_of(out / 'test_GT.lmdb'), frames_of(out / 'test_BIx4.lmdb')
    for i in range(4):
        np.testing.assert_array_equal(gt[f'bikes_test/{i:08d}'], src[i])
        np.testing.assert_array_equal(lr[f'bikes_test/{i:08d}'], degrade(src[i], 'BI', 4))
        np.testing.assert_array_equal(cv2.imread(str(out / 'test_GT' / 'bikes_test' / f'{i:08d}.png')), src[i])
    info = json.loads((out / 'train_GT.lmdb' / 'prep_info.json').read_text())
    assert info['clips']['bikes_000']['last'] == 3 and info['clips']['bbb_000']['resize'] == '480x270'
    # usable at once by the datasets, the GT-only folder included
    ds = VideoTestDataset(str(out / 'test_GT'), None, num_frames=3, backend='folder')
    assert ds[0]['inputs'].shape == (3, 3, 68, 160)
    assert make_demo.main(args) == 0
    assert 'nothing to do' in capsys.readouterr().out
