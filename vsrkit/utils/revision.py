"""Import vsrkit as of another git revision beside the current one, to time old against new in
one process (the same background load for both; docs/BENCHMARKS.md).

``import_revision('7a1864c')`` extracts that revision's ``vsrkit/`` with ``git archive`` into a
temporary folder as the package ``vsrkit_<rev>`` (every ``vsrkit`` name in it renamed, the
registry scope included, so its registries do not clash with the current ones) and imports it.
Build its models through its own registry: ``old.registry.MODELS.build(cfg)``. Needs a git
checkout of vsrkit (an editable install).
"""
from __future__ import annotations

import importlib.util
import io
import os
import re
import subprocess
import sys
import tarfile
import tempfile

# The checkout holding this package: vsrkit/utils/revision.py -> the folder holding vsrkit/.
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# "Before" in docs/BENCHMARKS.md: main with the model as the speed work found it (same model,
# leaky-ReLU motion included, none of the speed work).
SPEED_BASELINE_REV = '7a1864c'


def import_revision(rev: str):
    """The ``vsrkit`` package at git revision ``rev`` of this checkout, as a module."""
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
    package = os.path.join(folder, name)
    os.rename(os.path.join(folder, 'vsrkit'), package)
    word = re.compile(r'\bvsrkit\b')
    for dirpath, _, files in os.walk(package):
        for f in files:
            if f.endswith('.py'):
                path = os.path.join(dirpath, f)
                with open(path) as fh:
                    text = fh.read()
                with open(path, 'w') as fh:
                    fh.write(word.sub(name, text))
    # Imported from its folder by location: its submodules resolve through the package's
    # __path__, so the import path stays as it is.
    spec = importlib.util.spec_from_file_location(name, os.path.join(package, '__init__.py'),
                                                  submodule_search_locations=[package])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module
