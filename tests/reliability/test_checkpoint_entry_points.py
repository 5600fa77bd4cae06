"""Every entry point that takes a checkpoint (tools/infer.py and vsrkit.apis.init_model,
tools/test.py, tools/train.py --resume and load_from) answers a bad one with a one-line error
naming the file: a text file (used to end in an IndexError from torch's unpickler), a pickled
callable (which must not run), and a checkpoint of another model (used to be a logged warning
and a run from random weights). Resume also refuses a bare state dict and never runs the config
text stored in a checkpoint's meta (mmengine's resume executes it as Python)."""
import importlib.util
import os

import pytest
import torch

from conftest import ROOT, _tools_conftest
from vsrkit.utils.checkpoint import load_checkpoint_file


def _tool(name):
    spec = importlib.util.spec_from_file_location(f'rel_ckpt_{name}', os.path.join(ROOT, 'tools', f'{name}.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


train_tool, test_tool, infer_tool = _tool('train'), _tool('test'), _tool('infer')


class _Touch:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}',)


@pytest.fixture(scope='module')
def trained(resume_config, tmp_path_factory):
    """A real checkpoint of the tiny SPMC config after 2 iterations."""
    work = tmp_path_factory.mktemp('ckpt_entry')
    assert train_tool.main([resume_config, '--work-dir', str(work), '--cfg-options', 'train_cfg.max_iters=2',
                            'experiment_name=rel_entry']) == 0
    return str(work / 'iter_2.pth')


@pytest.fixture(scope='module')
def test_config(tiny_data, tmp_path_factory):
    """The tiny SPMC config with its test set (for tools/test.py)."""
    cfg = tmp_path_factory.mktemp('ckpt_entry_cfg') / 'tiny_test.py'
    cfg.write_text(_tools_conftest().TINY_CONFIG.format(root=ROOT, data=tiny_data))
    return str(cfg)


@pytest.fixture(scope='module')
def bad_files(trained, tmp_path_factory):
    """name -> (path, what the error says after '<path>: ')."""
    d = tmp_path_factory.mktemp('bad_ckpts')
    (d / 'passwd.pth').write_text('root:x:0:0:root:/root:/bin/bash\n')
    ckpt = load_checkpoint_file(trained)
    torch.save({**ckpt, 'x': _Touch(d / 'pwned')}, d / 'evil.pth')
    state = dict(ckpt['state_dict'])
    state['fusion.extra.weight'] = state.pop('fusion.out.bias')
    torch.save({**ckpt, 'state_dict': state}, d / 'other_model.pth')
    return {'text': (str(d / 'passwd.pth'), "not a PyTorch checkpoint (the file starts with b'root:x:0')"),
            'evil': (str(d / 'evil.pth'), 'refused to load, it holds objects outside the weights-only '
                                          'allow-list (unsupported GLOBAL posix.system'),
            'other model': (str(d / 'other_model.pth'), 'does not match the model (SPMCVSR): missing keys '
                                                        '[fusion.out.bias]; unexpected keys [fusion.extra.weight]')}


def _name(tmp_path, suffix=''):
    # A run name of its own: two runs in the same second would share mmengine's logger,
    # still bound to the previous test's (closed) captured stderr.
    return ['--cfg-options', f'experiment_name=rel_{tmp_path.name}{suffix}']


def _one_line_error(capsys, prog, path, says):
    err = capsys.readouterr().err.strip()
    assert '\n' not in err, err
    assert err.startswith(f'{prog}: error: {path}: {says}'), err


@pytest.mark.parametrize('bad', ['text', 'evil', 'other model'])
def test_infer_and_init_model(bad, bad_files, resume_config, tmp_path, capsys):
    path, says = bad_files[bad]
    assert infer_tool.main([resume_config, path, 'in.avi', str(tmp_path / 'out.mp4')]) == 2
    _one_line_error(capsys, 'infer.py', path, says)
    assert not os.path.exists(os.path.join(os.path.dirname(path), 'pwned'))


@pytest.mark.parametrize('bad', ['text', 'evil', 'other model'])
def test_test_tool(bad, bad_files, test_config, tmp_path, capsys):
    path, says = bad_files[bad]
    assert test_tool.main([test_config, path, '--work-dir', str(tmp_path), *_name(tmp_path)]) == 2
    _one_line_error(capsys, 'test.py', path, says)
    assert not os.path.exists(os.path.join(os.path.dirname(path), 'pwned'))


@pytest.mark.parametrize('how, bad', [('resume', 'text'), ('resume', 'evil'), ('resume', 'other model'),
                                      ('load_from', 'other model')])
def test_train_tool(how, bad, bad_files, resume_config, tmp_path, capsys):
    path, says = bad_files[bad]
    args = ['--resume', path, *_name(tmp_path)] if how == 'resume' else [*_name(tmp_path), f'load_from={path}']
    assert train_tool.main([resume_config, '--work-dir', str(tmp_path), *args]) == 2
    _one_line_error(capsys, 'train.py', path, says)
    assert not os.path.exists(os.path.join(os.path.dirname(path), 'pwned'))
    assert not any(f.endswith('.pth') for f in os.listdir(tmp_path))  # no training happened


def test_resume_refuses_a_bare_state_dict(trained, resume_config, tmp_path, capsys):
    bare = str(tmp_path / 'weights_only.pth')
    torch.save(load_checkpoint_file(trained)['state_dict'], bare)
    assert train_tool.main([resume_config, '--work-dir', str(tmp_path / 'w'), '--resume', bare,
                            *_name(tmp_path)]) == 2
    _one_line_error(capsys, 'train.py', bare, "cannot resume from it: it has no 'meta' entry")
    # the same file is fine as load_from (weights only, training starts at iteration 0)
    assert train_tool.main([resume_config, '--work-dir', str(tmp_path / 'w'), *_name(tmp_path, 'w'),
                            f'load_from={bare}', 'train_cfg.max_iters=1']) == 0


def test_resume_never_runs_the_config_text_stored_in_the_checkpoint(trained, resume_config, tmp_path):
    # mmengine's resume executes checkpoint['meta']['config'] (Config.fromstring) to compare GPU
    # counts; a weights-only file can carry any string there.
    marker = tmp_path / 'pwned'
    ckpt = load_checkpoint_file(trained)
    ckpt['meta']['config'] = f"import os\nos.system('touch {marker}')\n"
    path = str(tmp_path / 'iter_2.pth')
    torch.save(ckpt, path)
    assert train_tool.main([resume_config, '--work-dir', str(tmp_path / 'w'), '--resume', path,
                            *_name(tmp_path), 'train_cfg.max_iters=3']) == 0
    assert not marker.exists()
    assert os.path.isfile(tmp_path / 'w' / 'iter_3.pth')  # resumed and trained on
