"""data_prep/create_lmdb.py: layouts, options, exact content, and bad input."""
import json
import os

import cv2
import numpy as np
import pytest

from frame_helpers import frames_of, meta, records, rounded, write_frames
from vsrkit.cli import create_lmdb
from vsrkit.datasets.degradations import blur_downsample, crop_to_multiple, degrade
from vsrkit.io.frames import split_key
from vsrkit.ops.imresize import imresize


def run(*args):
    return create_lmdb.main([*map(str, args), '--no-progress'])


def test_help_lists_layouts_and_options(capsys):
    with pytest.raises(SystemExit) as e:
        create_lmdb.main(['--help'])
    assert e.value.code == 0
    text = capsys.readouterr().out
    for word in ('vimeo90k', 'reds', 'vid4', 'spmcs', '--resize-gt', '--clip-length', '--step',
                 '--raw', '--compress-level', '--workers', '--restart', 'meta_info.txt'):
        assert word in text


def test_video_range_stride_clips_and_all_degradations(tmp_path, carphone, capsys):
    video, frames = carphone
    out = tmp_path / 'o'
    assert run('--layout', 'video', '--input', video, '--out', out, '--name', 'tr', '--start', 1,
               '--end', 11, '--step', 2, '--clip-length', 3, '--degradations', 'BI', 'BD',
               '--scales', 2, 4, '--workers', 1) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith('wrote tr_GT.lmdb, tr_BIx2.lmdb, tr_BIx4.lmdb, tr_BDx2.lmdb, tr_BDx4.lmdb: '
                           '2 clips, 5 frames in ') and 'frames/s' in line and 'cropped' not in line
    assert sorted(os.listdir(out)) == ['tr_BDx2.lmdb', 'tr_BDx4.lmdb', 'tr_BIx2.lmdb', 'tr_BIx4.lmdb', 'tr_GT.lmdb']
    assert meta(out / 'tr_GT.lmdb') == 'carphone_pristine_000 3 (144,176,3)\ncarphone_pristine_001 2 (144,176,3)\n'
    assert meta(out / 'tr_BDx4.lmdb') == 'carphone_pristine_000 3 (36,44,3)\ncarphone_pristine_001 2 (36,44,3)\n'
    gt = frames_of(out / 'tr_GT.lmdb')
    assert sorted(gt) == ['carphone_pristine_000/00000000', 'carphone_pristine_000/00000001',
                          'carphone_pristine_000/00000002', 'carphone_pristine_001/00000000',
                          'carphone_pristine_001/00000001']
    source = {k: frames[1 + 2 * (3 * int(split_key(k)[0][-1]) + split_key(k)[1])] for k in gt}
    for k, f in gt.items():  # source frames 1, 3, 5 | 7, 9, exactly
        np.testing.assert_array_equal(f, source[k])
    for name, fn in (('BIx2', lambda f: degrade(f, 'BI', 2)), ('BIx4', lambda f: degrade(f, 'BI', 4)),
                     ('BDx2', lambda f: blur_downsample(f, 2)), ('BDx4', lambda f: blur_downsample(f, 4))):
        for k, f in frames_of(out / f'tr_{name}.lmdb').items():
            np.testing.assert_array_equal(f, fn(source[k]))
    info = json.loads((out / 'tr_BDx4.lmdb' / 'prep_info.json').read_text())
    assert info['kind'] == 'BD' and info['scale'] == 4 and info['bd_sigma'] == 1.6
    assert info['clips']['carphone_pristine_001'] == dict(source=video, first=7, last=9, step=2,
                                                          frames=2, resize=None)


def test_resize_gt_and_crop_note(tmp_path, carphone, capsys):
    video, frames = carphone
    assert run('--layout', 'video', '--input', video, '--out', tmp_path, '--name', 'r', '--end', 2,
               '--resize-gt', '0.5', '--scales', 3, '--workers', 1) == 0
    assert 'cropped GT 88x72 -> 87x72 (divisible by 3)' in capsys.readouterr().out
    gt = frames_of(tmp_path / 'r_GT.lmdb')['carphone_pristine/00000001']
    ref = crop_to_multiple(rounded(imresize(frames[1].astype(np.float32), output_shape=(72, 88))), 3)
    np.testing.assert_array_equal(gt, ref)
    assert frames_of(tmp_path / 'r_BIx3.lmdb')['carphone_pristine/00000001'].shape == (24, 29, 3)


def test_raw_storage_and_workers_give_the_same_frames(tmp_path, carphone):
    video, _ = carphone
    common = ['--layout', 'video', '--input', video, '--end', 6, '--clip-length', 4]
    assert run(*common, '--out', tmp_path / 'a', '--name', 'x', '--workers', 1) == 0
    assert run(*common, '--out', tmp_path / 'b', '--name', 'x', '--workers', 2) == 0
    assert run(*common, '--out', tmp_path / 'c', '--name', 'x', '--workers', 2, '--raw') == 0
    for name in ('x_GT.lmdb', 'x_BIx4.lmdb'):
        assert records(tmp_path / 'a' / name) == records(tmp_path / 'b' / name)  # byte-identical
        raw, png = frames_of(tmp_path / 'c' / name), frames_of(tmp_path / 'a' / name)
        assert sorted(raw) == sorted(png) and all(np.array_equal(raw[k], png[k]) for k in raw)
        assert records(tmp_path / 'c' / name)['carphone_pristine_000/00000000'][:4] == b'RAW1'


def test_frame_folder_layouts(tmp_path, carphone):
    _, frames = carphone
    vimeo = tmp_path / 'vimeo'
    for seq in ('00001/0001', '00001/0002', '00002/0001'):
        write_frames(vimeo / 'sequences' / seq, frames[:7], [f'im{i}.png' for i in range(1, 8)])
    (vimeo / 'sep_trainlist.txt').write_text('00001/0001\n00002/0001\n')
    (vimeo / 'sep_testlist.txt').write_text('00001/0002\n')
    assert run('--layout', 'vimeo90k', '--input', vimeo, '--out', tmp_path / 'o', '--name', 'v',
               '--workers', 1, '--scales', 2) == 0
    assert meta(tmp_path / 'o' / 'v_GT.lmdb') == '00001/0001 7 (144,176,3)\n00002/0001 7 (144,176,3)\n'
    np.testing.assert_array_equal(frames_of(tmp_path / 'o' / 'v_GT.lmdb')['00002/0001/00000006'], frames[6])
    # REDS: train_sharp/<clip>/00000000.png, a subset of clips
    for clip in ('000', '011', '015'):
        write_frames(tmp_path / 'reds' / clip, frames[:3])
    assert run('--layout', 'reds', '--input', tmp_path / 'reds', '--clips', '000', '015',
               '--out', tmp_path / 'o', '--name', 'reds4', '--workers', 1) == 0
    assert meta(tmp_path / 'o' / 'reds4_GT.lmdb') == '000 3 (144,176,3)\n015 3 (144,176,3)\n'
    # Vid4: <clip>/*.png in natural order; SPMCS: <clip>/truth/*.png
    write_frames(tmp_path / 'vid4' / 'walk', frames[:11], [f'{i}.png' for i in range(11)])
    assert run('--layout', 'vid4', '--input', tmp_path / 'vid4', '--out', tmp_path / 'o', '--name', 'vid4',
               '--workers', 1) == 0
    np.testing.assert_array_equal(frames_of(tmp_path / 'o' / 'vid4_GT.lmdb')['walk/00000010'], frames[10])
    write_frames(tmp_path / 'spmcs' / 'car05' / 'truth', frames[:2])
    write_frames(tmp_path / 'spmcs' / 'car05' / 'input4', [f[::4, ::4] for f in frames[:2]])
    assert run('--layout', 'spmcs', '--input', tmp_path / 'spmcs', '--out', tmp_path / 'o', '--name', 'sp',
               '--workers', 1) == 0
    assert meta(tmp_path / 'o' / 'sp_GT.lmdb') == 'car05 2 (144,176,3)\n'


@pytest.mark.parametrize('case', ['missing_video', 'not_a_video', 'empty_folder', 'mixed_sizes',
                                  'unreadable_frame', 'missing_sequence', 'empty_range'])
def test_bad_input_gives_one_line_naming_the_culprit(case, tmp_path, carphone, capsys):
    video, frames = carphone
    args = ['--out', tmp_path / 'o', '--name', 'b', '--workers', 1]
    if case == 'missing_video':
        args += ['--layout', 'video', '--input', tmp_path / 'nope.mp4']
        expect = 'nope.mp4: no such video file'
    elif case == 'not_a_video':
        (tmp_path / 'fake.mp4').write_text('this is not a video')
        args += ['--layout', 'video', '--input', tmp_path / 'fake.mp4']
        expect = 'fake.mp4: cannot open as a video'
    elif case == 'empty_folder':
        os.makedirs(tmp_path / 'vid4' / 'calendar')
        args += ['--layout', 'vid4', '--input', tmp_path / 'vid4']
        expect = 'calendar: empty folder (no image frames)'
    elif case == 'mixed_sizes':
        write_frames(tmp_path / 'vid4' / 'city', [frames[0], frames[1], frames[2][:, :160]])
        args += ['--layout', 'vid4', '--input', tmp_path / 'vid4']
        expect = "clip 'city': " + str(tmp_path / 'vid4' / 'city' / '00000002.png') + ' is 160x144 but earlier frames are 176x144'
    elif case == 'unreadable_frame':
        write_frames(tmp_path / 'vid4' / 'city', frames[:2])
        (tmp_path / 'vid4' / 'city' / '00000002.png').write_bytes(b'broken')
        args += ['--layout', 'vid4', '--input', tmp_path / 'vid4']
        expect = '00000002.png: unreadable or corrupt image'
    elif case == 'missing_sequence':
        write_frames(tmp_path / 'v' / 'sequences' / '00001' / '0001', frames[:7], [f'im{i}.png' for i in range(1, 8)])
        (tmp_path / 'v' / 'sep_trainlist.txt').write_text('00001/0001\n00001/0002\n')
        args += ['--layout', 'vimeo90k', '--input', tmp_path / 'v']
        expect = '0002: sequence listed in'
    else:
        args += ['--layout', 'video', '--input', video, '--start', 500, '--end', 600]
        expect = 'no frames in the selected range'
    assert run(*args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith('create_lmdb.py: error: ') and expect in err and '\n' not in err
    assert not os.path.exists(tmp_path / 'o' / 'b_GT.lmdb')   # never a database under the final name
