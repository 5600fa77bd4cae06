"""Fuzz: 300 corrupted PNG byte strings and random-shaped/typed arrays stored as frames (in an
LMDB and in a frame folder) go through the datasets; each one loads as a valid item or
raises DataError naming its key/file. Run in a subprocess: a crash fails the test."""
import json
import os
import subprocess
import sys

from conftest import ROOT, child_env


def test_corrupt_frames_load_or_raise_data_error_never_crash(tmp_path):
    proc = subprocess.run([sys.executable, os.path.join(ROOT, 'tests', 'reliability', 'fuzz_frames.py'),
                           str(tmp_path), '300', '0'], env=child_env(), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]  # a segfault or abort would be < 0
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    assert res['n_other'] == 0, res['other']
    # both outcomes occur (2 backends x 300 records), so the check is not vacuous
    assert res['loaded'] + res['data_error'] == 600
    assert res['loaded'] >= 2 and res['data_error'] >= 300
