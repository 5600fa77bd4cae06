"""Import vsrkit as of another git revision beside the current one, to time old against new
in one process (the same background load for both; see docs/BENCHMARKS.md).

``import_revision('51984e1')`` extracts that revision's ``vsrkit/`` with ``git archive`` into a
temporary folder as the package ``vsrkit_<rev>`` (every ``vsrkit`` name in it renamed, the
registry scope included, so its registries do not clash with the current ones) and imports it.
Build its models through its own registry: ``old.registry.MODELS.build(cfg)``.
"""
from __future__ import annotations

import importlib
import io
import os
import re
import subprocess
import sys
import tarfile
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def import_revision(rev: str):
    """The ``vsrkit`` package at git revision ``rev`` of this repository, as a module."""
    sha = subprocess.run(['git', 'rev-parse', '--short', rev], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.strip()
    name = f'vsrkit_{sha}'
    if name in sys.modules:
        return sys.modules[name]
    archive = subprocess.run(['git', 'archive', sha, 'vsrkit'], cwd=ROOT, check=True,
                             capture_output=True).stdout
    folder = tempfile.mkdtemp(prefix='vsrkit_before_')
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter='data')
    os.rename(os.path.join(folder, 'vsrkit'), os.path.join(folder, name))
    word = re.compile(r'\bvsrkit\b')
    for dirpath, _, files in os.walk(os.path.join(folder, name)):
        for f in files:
            if f.endswith('.py'):
                path = os.path.join(dirpath, f)
                with open(path) as fh:
                    text = fh.read()
                with open(path, 'w') as fh:
                    fh.write(word.sub(name, text))
    sys.path.insert(0, folder)
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(folder)
