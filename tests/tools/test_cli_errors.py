"""Every command-line tool answers bad input the same way, run as a user runs it (its script in
a subprocess): one line ``<prog>: error: ...`` on stderr naming the file, key or option at
fault, a non-zero exit, no traceback. Tools that take a config check it before anything runs.

The tools start at once (each pays ~5 s of imports) and are checked one by one afterwards."""
import os
import subprocess
import sys

import pytest

from vsrkit.cli import entry_point, last_line
from vsrkit.errors import DataError, NonFiniteLossError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMO = 'configs/spmc/spmc_x4_demo.py'
TYPO = 'model.fusion.lstm_channel=8'  # a misspelled argument: the pre-flight check names it
TYPO_MSG = "model.fusion: DetailFusionNet has no argument 'lstm_channel' (did you mean 'lstm_channels'?)"


def _typo_config(tmp):
    path = tmp / 'typo.py'
    path.write_text(f"_base_ = ['{ROOT}/{DEMO}']\nmodel = dict(fusion=dict(lstm_channel=8))\n")
    return path


def _subprocess_cases(tmp):
    """One bad input per tool: (script and arguments, expected piece of the message)."""
    ckpt = tmp / 'model.pth'
    ckpt.write_bytes(b'not read: the data fails first')
    missing, typo = tmp / 'nowhere', _typo_config(tmp)
    return [
        # the user's report: tools/test.py before the demo data exists
        (['tools/test.py', DEMO, str(ckpt), '--work-dir', str(tmp / 'w'), '--cfg-options',
          f'test_dataloader.dataset.gt_path={missing}/test_GT.lmdb',
          f'test_dataloader.dataset.lq_path={missing}/test_BIx4.lmdb'],
         f'{missing}/test_GT.lmdb: not an LMDB (no data.mdb)'),
        (['tools/train.py', DEMO, '--cfg-options', TYPO], f'{DEMO}: {TYPO_MSG}'),
        (['tools/infer.py', str(typo), 'none', 'in.mp4', 'out.mp4'], f'{typo}: {TYPO_MSG}'),
        (['tools/visualize.py', 'curves', str(missing)], f'{missing}: no such log file or work dir'),
        (['tools/ablate.py', str(typo), '--work-dir', str(tmp / 'a')], f'{typo}: {TYPO_MSG}'),
        (['tools/demo.py', '--work-dir', str(tmp / 'd'), '--cfg-options', TYPO], f'{DEMO}: {TYPO_MSG}'),
        (['data_prep/create_lmdb.py', '--layout', 'video', '--input', str(missing / 'v.mp4'),
          '--out', str(tmp / 'o'), '--name', 't'], f'{missing}/v.mp4: no such video file or folder'),
        (['data_prep/make_demo.py', '--out', str(tmp / 'demo'), '--workers', '0'],
         'workers must be >= 1, got 0'),
    ]


def _one_line_error(prog, code, err, expect):
    lines = [ln for ln in err.splitlines() if ln.strip()]
    return (code == 2 and len(lines) == 1 and 'Traceback' not in err
            and lines[0].startswith(f'{prog}: error: ') and expect in lines[0])


def test_every_tool_fails_in_one_line_naming_the_culprit(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    cases = _subprocess_cases(tmp_path)
    procs = [subprocess.Popen([sys.executable, *argv], cwd=ROOT, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for argv, _ in cases]
    problems = []
    for proc, (argv, expect) in zip(procs, cases):
        _, err = proc.communicate(timeout=600)
        if not _one_line_error(os.path.basename(argv[0]), proc.returncode, err, expect):
            problems.append(f'{argv[0]}: exit {proc.returncode}, stderr {err[-1500:]!r}')
    assert not problems, '\n'.join(problems)
    # the pre-flight checks failed before anything was made: no work dirs, no outputs
    assert not any((tmp_path / name).exists() for name in ('a', 'd', 'o', 'demo'))


def test_tools_check_their_config_before_anything_runs(tmp_path, capsys):
    from vsrkit.cli import infer, test, visualize
    typo = _typo_config(tmp_path)
    for prog, main, argv in (
            ('test.py', test.main, [DEMO, 'none', '--cfg-options', TYPO]),
            ('infer.py', infer.main, [DEMO, 'none', 'in.mp4', 'out.mp4', '--device', 'cuda:99']),
            ('visualize.py', visualize.main, ['sample', str(typo), 'none', 'in.mp4'])):
        code = main(argv)
        err = capsys.readouterr().err
        expect = '--device cuda:99' if prog == 'infer.py' else TYPO_MSG
        assert _one_line_error(prog, code, err, expect), err


def test_entry_point_reports_vsrkit_errors_and_keeps_bugs_traceback(capsys):
    @entry_point('tool.py', interrupted='stopped, run again')
    def run(argv):
        kind = argv[0]
        if kind == 'data':
            # as torch re-raises a worker's error: the worker's traceback in the message
            raise DataError("Caught DataError in DataLoader worker process 0.\nOriginal Traceback"
                            " (most recent call last):\n  File \"x.py\", line 1\n"
                            "vsrkit.errors.DataError: d.lmdb: key 'c/00000001' missing")
        if kind == 'nan':
            raise NonFiniteLossError('3 non-finite losses in a row')
        if kind == 'os':
            open('/nonexistent/dir/file')
        if kind == 'ctrl-c':
            raise KeyboardInterrupt
        if kind == 'bug':
            raise ZeroDivisionError('a bug')
        return None

    assert run(['data']) == 2
    assert capsys.readouterr().err == "tool.py: error: d.lmdb: key 'c/00000001' missing\n"
    assert run(['nan']) == 1  # a stopped training, not bad input
    assert capsys.readouterr().err == 'tool.py: error: 3 non-finite losses in a row\n'
    assert run(['os']) == 2
    assert '/nonexistent/dir/file' in capsys.readouterr().err
    assert run(['ctrl-c']) == 130
    assert capsys.readouterr().err == 'tool.py: stopped, run again\n'
    with pytest.raises(ZeroDivisionError):
        run(['bug'])
    assert run(['fine']) == 0
    assert last_line(ValueError('one line')) == 'one line'
