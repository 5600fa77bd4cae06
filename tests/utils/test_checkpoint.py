"""Weights-only checkpoint loading: mmengine's own objects load, anything else is refused."""
import os

import numpy as np
import pytest
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint

from vsrkit.utils.checkpoint import CheckpointError, load_checkpoint_file, patch_mmengine

patch_mmengine()  # what every tool and init_model do before touching checkpoints


class _Evil:
    def __reduce__(self):
        return (os.system, ('touch /tmp/vsrkit_pwned',))


def test_history_buffer_and_numpy_round_trip_through_mmengine_loader(tmp_path):
    buf = HistoryBuffer()
    for v in (1.0, 2.0, 6.0):
        buf.update(v)
    path = tmp_path / 'ok.pth'
    torch.save({'message_hub': {'log_scalars': {'loss': buf}}, 'seed': np.int64(3),
                'arr': np.arange(4, dtype=np.float32), 'w': torch.ones(2)}, path)
    ckpt = _load_checkpoint(str(path))  # mmengine's entry point, routed through vsrkit
    loaded = ckpt['message_hub']['log_scalars']['loss']
    assert loaded.mean() == pytest.approx(3.0)
    assert loaded.statistics('max') == pytest.approx(6.0)  # statistics table rebuilt on load
    assert ckpt['seed'] == 3 and ckpt['arr'].tolist() == [0, 1, 2, 3]


def test_pickled_callable_is_refused_and_never_runs(tmp_path):
    marker = '/tmp/vsrkit_pwned'
    if os.path.exists(marker):
        os.remove(marker)
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'x': _Evil()}, path)
    with pytest.raises(CheckpointError, match=r'evil\.pth: refused.*posix\.system'):
        _load_checkpoint(str(path))
    assert not os.path.exists(marker)


def test_truncated_and_missing_files_give_clear_errors(tmp_path):
    path = tmp_path / 'cut.pth'
    torch.save({'w': torch.ones(1000)}, path)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(CheckpointError, match='cut.pth: not a readable checkpoint'):
        load_checkpoint_file(str(path))
    with pytest.raises(CheckpointError, match='not found'):
        load_checkpoint_file(str(tmp_path / 'nope.pth'))


def test_mmengine_save_checkpoint_is_atomic(tmp_path, monkeypatch):
    from mmengine.runner.checkpoint import save_checkpoint

    path = tmp_path / 'epoch_1.pth'
    save_checkpoint({'w': torch.ones(3)}, str(path))
    assert load_checkpoint_file(str(path))['w'].sum() == 3

    # A crash while writing the new bytes must leave the old checkpoint intact.
    real_fsync = os.fsync

    def crash(fd):
        raise KeyboardInterrupt('killed mid-save')

    monkeypatch.setattr(os, 'fsync', crash)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint({'w': torch.zeros(3)}, str(path))
    monkeypatch.setattr(os, 'fsync', real_fsync)
    assert load_checkpoint_file(str(path))['w'].sum() == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ['epoch_1.pth']  # no temp left behind


class _BufferWithMethods:
    """Pickles as a HistoryBuffer whose state carries a statistics table (as mmengine's own
    pickles do), here mapping 'mean' to an allow-listed callable."""

    def __reduce__(self):
        return HistoryBuffer, (), dict(max_length=10, _log_history=np.array([1.0, 3.0]),
                                       _count_history=np.array([1, 1]),
                                       statistics_methods={'mean': np.dtype})


def test_a_file_cannot_replace_the_history_buffer_statistics_table(tmp_path):
    path = tmp_path / 'hub.pth'
    torch.save({'message_hub': {'log_scalars': {'loss': _BufferWithMethods()}}}, path)
    loaded = load_checkpoint_file(str(path))['message_hub']['log_scalars']['loss']
    assert HistoryBuffer._statistics_methods['mean'] is HistoryBuffer.mean  # class-wide table intact
    assert loaded.mean() == pytest.approx(2.0) and loaded.max_length == 10


def test_fifo_and_directory_are_refused_without_reading(tmp_path):
    os.mkfifo(tmp_path / 'fifo.pth')  # reading it would block
    with pytest.raises(CheckpointError, match=r'fifo\.pth: not a regular file'):
        load_checkpoint_file(str(tmp_path / 'fifo.pth'))
    with pytest.raises(CheckpointError, match=r'is a directory'):
        load_checkpoint_file(str(tmp_path))


def test_importing_vsrkit_patches_nothing_until_asked():
    import subprocess
    import sys
    code = ('import vsrkit, vsrkit.models, vsrkit.datasets, vsrkit.engine, vsrkit.apis\n'
            'from mmengine.fileio.backends.local_backend import LocalBackend\n'
            'from mmengine.logging.history_buffer import HistoryBuffer\n'
            'from vsrkit.utils import checkpoint\n'
            'assert LocalBackend.put is not checkpoint._atomic_put\n'
            'assert HistoryBuffer.__getstate__ is not checkpoint._history_buffer_state\n'
            'checkpoint.patch_mmengine()\n'
            'assert LocalBackend.put is checkpoint._atomic_put\n'
            'assert HistoryBuffer.__getstate__ is checkpoint._history_buffer_state\n')
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
