"""tools/demo.py's pieces that decide what is reported: which checkpoint, the table."""
import pytest

from vsrkit.cli import demo


def test_last_checkpoint_is_the_final_iteration_not_the_best(tmp_path):
    for name in ('iter_800.pth', 'iter_2800.pth', 'iter_1600.pth', 'best_PSNR_iter_3000.pth', 'last_checkpoint'):
        (tmp_path / name).write_text('')
    assert demo.last_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_2800.pth')
    (tmp_path / 'empty').mkdir()
    with pytest.raises(SystemExit, match='no checkpoint'):
        demo.last_checkpoint(str(tmp_path / 'empty'))


def test_table_rows_and_differences_to_bicubic():
    rows = [dict(method='Bicubic', real={'PSNR': 30.118, 'SSIM': 0.83616, 'crop4/PSNR': 30.02},
                 shift={'PSNR': 30.0}),
            dict(method='SPMC', train_s=600.0, real={'PSNR': 30.9, 'SSIM': 0.85, 'crop4/PSNR': 30.81},
                 shift={'PSNR': 32.149, 'EPE': 0.0841})]
    lines = demo.table(rows).splitlines()
    assert lines[2] == '| Bicubic | 30.12 | 0.8362 | 30.02 | +0.00 | 30.00 | - | - |'
    assert lines[3] == '| SPMC | 30.90 | 0.8500 | 30.81 | +0.78 | 32.15 | 0.084 | 10.0 min |'
