"""tools/visualize.py: 'sample' on real frames with a tiny SPMC model, 'curves' on a run log."""
import json
import os

import cv2
import numpy as np
import pytest
import torch

from vsrkit.cli import visualize

torch.set_num_threads(2)


def test_sample_writes_the_pictures(tmp_path, capsys, carphone_path):
    video = carphone_path
    cfg = tmp_path / 'tiny.py'
    cfg.write_text(
        "model = dict(type='SPMCVSR', scale=2, num_frames=3, in_channels=1,\n"
        "    motion=dict(type='VESPCNMotion', coarse_channels=(4,) * 4, fine_channels=(4,) * 4),\n"
        "    compensation=dict(type='SPMC'),\n"
        "    fusion=dict(type='DetailFusionNet', enc_channels=(4, 8, 8, 8), lstm_channels=8,\n"
        "                dec_channels=(8, 8, 8, 4, 4)))\n")
    out = tmp_path / 'pics'
    code = visualize.main(['sample', str(cfg), 'none', video, '--frame', '0', '--region',
                           '40,50,33,42', '--crop-size', '16', '--out-dir', str(out)])
    text = capsys.readouterr().out
    assert code == 0
    assert sorted(os.listdir(out)) == ['flow.png', 'panel.png', 'spmc.png', 'sr.png']
    sr = cv2.imread(str(out / 'sr.png'))
    assert sr.shape == (32, 42, 3)  # region 33 x 42 cut to a multiple of the scale
    assert 'LR 21x16 -> 42x32 (x2)' in text
    # untrained fusion (zero output conv) returns bicubic: same PSNR as the bicubic baseline
    sr_db, bic_db = [float(t.split()[0]) for t in text.split('SPMCVSR ')[1].split('bicubic ')]
    assert sr_db == pytest.approx(bic_db, abs=0.02)
    code = visualize.main(['sample', str(cfg), 'none', video, '--frame', '0',
                           '--region', '900,900,8,8'])
    assert code == 2 and 'outside' in capsys.readouterr().err


def test_curves_command(tmp_path, capsys):
    run = tmp_path / 'work' / '20240101_000000'
    (run / 'vis_data').mkdir(parents=True)
    rows = [dict(loss=1.0 / i, loss_warp=0.5 / i, iter=i, step=i) for i in (10, 20, 30)]
    rows.append(dict(PSNR=24.5, SSIM=0.7, step=30))
    (run / 'vis_data' / 'scalars.json').write_text('\n'.join(map(json.dumps, rows)) + '\n')
    assert visualize.main(['curves', str(tmp_path / 'work')]) == 0
    assert 'losses [\'loss\', \'loss_warp\']' in capsys.readouterr().out
    img = cv2.imread(str(tmp_path / 'work' / 'curves.png'))
    assert img is not None and np.std(img) > 5
    assert visualize.main(['curves', str(tmp_path / 'nothing')]) == 2
