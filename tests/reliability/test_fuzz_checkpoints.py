"""Fuzz the checkpoint loader (fuzz_checkpoints.py, in a subprocess: a crash fails the test):
1245 files, from empty, text and random bytes to a real training checkpoint truncated at 391
offsets or with one of 500 random bits flipped, zips missing a member, 200 crafted pickles and
67 hostile payloads. Every one ends in a one-line CheckpointError naming the file or a load
equal to the original; no payload runs. The control run shows the payloads do run under
``torch.load(weights_only=False)``, so the markers would show it."""
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT, child_env

DRIVER = os.path.join(ROOT, 'tests', 'reliability', 'fuzz_checkpoints.py')


@pytest.fixture(scope='module')
def fuzz(tmp_path_factory):
    work = tmp_path_factory.mktemp('fuzz_ckpt')
    proc = subprocess.run([sys.executable, DRIVER, str(work)], env=child_env(), capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]  # a segfault or abort would be < 0
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_every_bad_checkpoint_is_a_clear_error_and_no_payload_runs(fuzz):
    assert fuzz['n_findings'] == 0, fuzz['findings']
    assert fuzz['crashes'] == 0 and fuzz['unexpected'] == 0
    assert fuzz['code_executed'] == 0 and fuzz['markers'] == []
    assert fuzz['cases'] == 1245 and fuzz['error'] + fuzz['load'] == fuzz['cases']
    # the real checkpoint (both formats) and harmless damage load; most cases are errors
    assert 2 <= fuzz['load'] < 100 and fuzz['error'] > 1100


def test_control_the_payloads_do_run_under_an_unsafe_load(fuzz):
    assert fuzz['control'] == dict(payload_cases=67, executed=67)
