"""Fixtures of the reliability tests: the tiny real LMDBs and SPMC config of tests/tools
(reused, not rebuilt), in a variant for resume tests: no validation, a checkpoint every 2
iterations, three stages inside 6 iterations."""
import importlib.util
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _tools_conftest():
    spec = importlib.util.spec_from_file_location(
        'tools_conftest', os.path.join(ROOT, 'tests', 'tools', 'conftest.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


RESUME_OVERRIDES = """
stages = [dict(name='motion', begin=0, trainable=['motion'], loss_weights=dict(warp=1.0, tv=0.01, sr=0.0)),
          dict(name='fusion', begin=3, trainable=['fusion'], loss_weights=dict(warp=0.0, tv=0.0, sr=1.0)),
          dict(name='joint', begin=5, trainable=['motion', 'fusion'],
               loss_weights=dict(warp=0.01, tv=0.0001, sr=1.0))]
custom_hooks = [dict(type='StageHook', stages=stages)]
train_cfg = dict(max_iters=6, val_interval=1000)
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_cfg = None
test_evaluator = None
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=2, save_best=None, max_keep_ckpts=-1))
"""


@pytest.fixture(scope='session')
def tiny_data(tmp_path_factory):
    """Folder with train/test GT and BIx4 LMDBs (8 + 6 frames of carphone, 88x72 GT)."""
    data = str(tmp_path_factory.mktemp('rel_data') / 'data')
    _tools_conftest()._make_lmdbs(data)
    return data


@pytest.fixture(scope='session')
def resume_config(tiny_data, tmp_path_factory):
    """Path of the tiny SPMC config for kill/resume runs."""
    cfg = tmp_path_factory.mktemp('rel_cfg') / 'tiny_resume.py'
    cfg.write_text(_tools_conftest().TINY_CONFIG.format(root=ROOT, data=tiny_data) + RESUME_OVERRIDES)
    return str(cfg)


def child_env() -> dict:
    """Environment of the training subprocesses: one thread each (runs are compared
    bit-for-bit-ish and the CPU is shared)."""
    return dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1', PYTHONPATH=ROOT)
