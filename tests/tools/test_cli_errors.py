"""Every command-line tool answers bad input the same way, run as a user runs it (its script as
``__main__`` in a process of its own): one line ``<prog>: error: ...`` on stderr naming the
file, key or option at fault, a non-zero exit, no traceback. Tools that take a config check it
before anything runs.

A fresh interpreter loads torch, mmengine and vsrkit once and forks one process per tool (a
cold start costs each tool ~4 CPU-s of imports, 30 s for all of them on two cores)."""
import json
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
        (['tools/export_model.py', str(typo), str(ckpt), 'typo', '--out-dir', str(tmp / 'z')],
         f'{typo}: {TYPO_MSG}'),
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


# Runs each argv (a script and its arguments) as __main__ in a forked child; prints a JSON list
# of [exit code, stderr]. No torch op runs before the forks (OpenMP must not start pre-fork).
FORK_RUNNER = r"""
import json, os, runpy, sys
import cv2, lmdb, mmengine.runner, numpy, torch  # noqa: F401  the heavy imports, once
import vsrkit.apis, vsrkit.cli, vsrkit.datasets, vsrkit.models  # noqa: F401
results = []
for argv in json.loads(sys.argv[1]):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.dup2(w, 2)
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        sys.argv, code = list(argv), 0
        try:
            runpy.run_path(argv[0], run_name='__main__')
        except SystemExit as done:
            if isinstance(done.code, str):
                print(done.code, file=sys.stderr)
            code = done.code if isinstance(done.code, int) else int(done.code is not None)
        except BaseException:
            import traceback
            traceback.print_exc()
            code = 1
        sys.stderr.flush()
        os._exit(code)
    os.close(w)
    with os.fdopen(r) as pipe:
        err = pipe.read()
    results.append([os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), err])
print(json.dumps(results))
"""


def test_every_tool_fails_in_one_line_naming_the_culprit(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    cases = _subprocess_cases(tmp_path)
    proc = subprocess.run([sys.executable, '-c', FORK_RUNNER, json.dumps([a for a, _ in cases])],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    problems = [f'{argv[0]}: exit {code}, stderr {err[-1500:]!r}'
                for (argv, expect), (code, err) in zip(cases, results)
                if not _one_line_error(os.path.basename(argv[0]), code, err, expect)]
    assert not problems, '\n'.join(problems)
    # the pre-flight checks failed before anything was made: no work dirs, no outputs
    assert not any((tmp_path / name).exists() for name in ('a', 'd', 'o', 'demo', 'z'))


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
