"""Fuzz the checkpoint loader (fuzz_checkpoints.py, in a subprocess: a crash fails the test):
1245 files, from empty, text and random bytes to a real training checkpoint truncated at 392
offsets or with one of 500 random bits flipped, zips missing a member, 200 crafted pickles and
67 hostile payloads. Every one ends in a one-line CheckpointError naming the file or a load
equal to the original; no payload runs. The control run shows the payloads do run under
``torch.load(weights_only=False)``, so the markers would show it."""
import json
import os
import subprocess
import sys

from conftest import ROOT, child_env

DRIVER = os.path.join(ROOT, 'tests', 'reliability', 'fuzz_checkpoints.py')


def _run(tmp_path, mode):
    proc = subprocess.run([sys.executable, DRIVER, str(tmp_path), mode], env=child_env(),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]  # a segfault or abort would be < 0
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_every_bad_checkpoint_is_a_clear_error_and_no_payload_runs(tmp_path):
    res = _run(tmp_path, 'safe')
    assert res['n_findings'] == 0, res['findings']
    assert res['crashes'] == 0 and res['unexpected'] == 0
    assert res['code_executed'] == 0 and res['markers'] == []
    assert res['cases'] == 1245 and res['error'] + res['load'] == res['cases']
    # the real checkpoint (both formats) and harmless damage load; most cases are errors
    assert 2 <= res['load'] < 100 and res['error'] > 1100


def test_control_the_payloads_do_run_under_an_unsafe_load(tmp_path):
    res = _run(tmp_path, 'control')
    assert res == dict(payload_cases=67, executed=67)
