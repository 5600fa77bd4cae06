"""Ready-to-use models: export round trip, the shipped spmc_x4_demo on real held-out frames,
integrity and name errors."""
import json
import os
import shutil

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub

from vsrkit import model_zoo
from vsrkit.apis import init_model, super_resolve
from vsrkit.cli import export_model
from vsrkit.errors import CheckpointError, ConfigError
from vsrkit.evaluation.functional import psnr
from vsrkit.io import FrameSource
from vsrkit.ops.upsample import bicubic_upsample

torch.set_num_threads(2)

TINY = ("model = dict(type='SPMCVSR', scale=2, num_frames=3, in_channels=3,\n"
        "    motion=dict(type='VESPCNMotion', coarse_channels=(4, 4, 4, 4), "
        "fine_channels=(4, 4, 4, 4)),\n"
        "    compensation=dict(type='SPMC'),\n"
        "    fusion=dict(type='DetailFusionNet', enc_channels=(4, 8, 8, 8), "
        "lstm_channels=8, dec_channels=(8, 8, 8, 4, 4)))\n")
FIGURES = {'real': {'psnr0': 30.5, 'psnr4': 30.25}, 'note': 'any JSON', 'per_clip': [1, 2]}


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """A training config and an mmengine-style checkpoint (optimizer, message hub with 3
    iteration times) of a tiny RGB SPMCVSR x2 whose weights differ from a fresh build."""
    root = tmp_path_factory.mktemp('trained')
    cfg = root / 'tiny.py'
    cfg.write_text(TINY)
    torch.manual_seed(1)
    model = init_model(str(cfg))
    with torch.no_grad():  # the output conv starts at zero (an untrained net returns bicubic)
        model.fusion.out.weight.normal_(0, 0.1)
        for p in model.motion.parameters():
            p.mul_(1.5)
    hub = MessageHub.get_instance('zoo_test')
    for seconds in (0.5, 0.25, 0.75):
        hub.update_scalar('train/time', seconds)
    ckpt = root / 'iter_7.pth'
    torch.save({'meta': {'iter': 7, 'dataset_meta': {'clips': ['a', 'b']}},
                'state_dict': model.state_dict(), 'message_hub': hub.state_dict(),
                'optimizer': {'state': {}, 'param_groups': [{'lr': 1e-3, 'params': [0]}]}}, ckpt)
    info = root / 'eval.json'
    info.write_text(json.dumps(FIGURES))
    return str(cfg), str(ckpt), str(info), model


@pytest.fixture
def zoo(tmp_path, monkeypatch):
    """An empty extra zoo folder, searched before the package's."""
    monkeypatch.setenv(model_zoo.ENV_VAR, str(tmp_path))
    return tmp_path


def _export(trained, zoo, name='tiny_x2'):
    cfg, ckpt, info, _ = trained
    assert export_model.main([cfg, ckpt, name, '--info', info, '--notes', 'round trip',
                              '--out-dir', str(zoo)]) == 0


def test_export_round_trip_gives_identical_outputs(trained, zoo, carphone_path):
    _, ckpt, _, original = trained
    _export(trained, zoo)
    assert sorted(os.listdir(zoo)) == ['tiny_x2.json', 'tiny_x2.pth', 'tiny_x2.py']
    assert 'tiny_x2' in model_zoo.list_models() and 'spmc_x4_demo' in model_zoo.list_models()

    weights = torch.load(zoo / 'tiny_x2.pth', weights_only=True)  # a bare state dict
    assert set(weights) == set(original.state_dict())
    assert all(v.dtype == torch.float32 for v in weights.values() if v.is_floating_point())
    assert (zoo / 'tiny_x2.py').read_text().count('_base_') == 0

    info = model_zoo.get_model_info('tiny_x2')
    assert info['figures'] == FIGURES and info['notes'] == 'round trip'
    assert info['iterations'] == 7 and info['training_seconds'] == 1.5
    assert info['trained_on']['clips'] == ['a', 'b']
    assert info['model'] == {'type': 'SPMCVSR', 'scale': 2, 'num_frames': 3, 'in_channels': 3,
                             'parameters': sum(p.numel() for p in original.parameters())}
    assert info['sha256'] == model_zoo.file_sha256(str(zoo / 'tiny_x2.pth'))
    assert info['source_checkpoint'] == os.path.abspath(ckpt)

    # one window of 3 real frames (32 x 40 crop of the bundled carphone clip), RGB in [0, 1]
    frames = [torch.from_numpy(f[48:80, 64:104].copy()).permute(2, 0, 1).float() / 255
              for f in FrameSource(carphone_path, max_frames=3)]
    window = torch.stack(frames)[None]  # (1, 3, 3, 32, 40)
    with torch.no_grad():
        expected = original(window, mode='tensor')
        assert torch.equal(init_model('tiny_x2')(window, mode='tensor'), expected)
        # the test can fail: a freshly built model (its initial weights) gives another result
        fresh = init_model(str(zoo / 'tiny_x2.py'))
        assert (fresh(window, mode='tensor') - expected).abs().max() > 1e-2


def test_export_refuses_oversized_weights_and_writes_nothing(trained, zoo, monkeypatch, capsys):
    cfg, ckpt, _, _ = trained
    monkeypatch.setattr(model_zoo, 'MAX_WEIGHTS_BYTES', 1000)
    assert export_model.main([cfg, ckpt, 'big', '--out-dir', str(zoo)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f'export_model.py: error: {ckpt}: the weights take') and '\n' not in err
    assert os.listdir(zoo) == []


@pytest.mark.parametrize('argv, expect', [
    (['{cfg}', '{ckpt}', 'Bad-Name'], 'Bad-Name: a model name is lowercase letters'),
    (['{cfg}', '{ckpt}', 'ok', '--info', '{cfg}'], '--info is not valid JSON'),
    (['{cfg}', '{cfg}', 'ok'], 'not a PyTorch checkpoint'),
])
def test_export_bad_input_is_one_line(trained, zoo, capsys, argv, expect):
    cfg, ckpt, _, _ = trained
    code = export_model.main([a.format(cfg=cfg, ckpt=ckpt) for a in argv] + ['--out-dir', str(zoo)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and '\n' not in err and expect in err, err
    assert os.listdir(zoo) == []


def test_shipped_demo_model_beats_bicubic_on_held_out_frames():
    """spmc_x4_demo by name, no checkpoint given, on 3 frames (64 x 128 crop, downscaled x4 with
    MATLAB bicubic) of the demo's held-out test frames (bikes.mp4 226-249, never trained on)."""
    from vsrkit.data_prep.demo import demo_video_path
    from vsrkit.datasets.degradations import degrade
    from vsrkit.errors import DataError
    try:
        bikes = demo_video_path('bikes.mp4')
    except DataError as err:
        pytest.skip(str(err))
    model = init_model('spmc_x4_demo')
    assert (model.scale, model.num_frames, model.in_channels) == (4, 3, 1)
    gt = [f[96:160, 256:384].copy() for f in FrameSource(bikes, start=236, max_frames=3)]
    lr = [degrade(f, 'BI', 4) for f in gt]
    sr = super_resolve(model, lr)
    gains = []
    for g, s, l in zip(gt, sr, lr):
        g = torch.from_numpy(g).permute(2, 0, 1).float() / 255
        bic = bicubic_upsample(torch.from_numpy(l).permute(2, 0, 1).float()[None] / 255, 4)[0]
        gains.append(psnr(torch.from_numpy(s).permute(2, 0, 1), g, crop_border=4)
                     - psnr(bic.clamp(0, 1), g, crop_border=4))
    assert min(gains) > 0.5, gains  # measured 1.4 - 1.6 dB


def test_changed_weights_fail_the_sha256_check(zoo):
    for ext in ('py', 'pth', 'json'):
        shutil.copy(os.path.join(model_zoo.PACKAGE_DIR, f'spmc_x4_demo.{ext}'), zoo / f'demo.{ext}')
    init_model('demo')  # intact copy loads
    # other weights of the right shapes: a valid checkpoint that only the sha256 tells apart
    state = torch.load(zoo / 'demo.pth', weights_only=True)
    state['fusion.out.bias'] += 0.01
    torch.save(state, zoo / 'demo.pth')
    with pytest.raises(CheckpointError) as err:
        init_model('demo')
    msg = str(err.value)
    assert msg.startswith(f"{zoo / 'demo.pth'}: sha256 ") and 'does not match' in msg
    assert '\n' not in msg


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ConfigError) as err:
        init_model('spmc_x4_dmeo')
    msg = str(err.value)
    assert msg.startswith('spmc_x4_dmeo: not a config file nor a known model') and '\n' not in msg
    assert 'spmc_x4_demo' in msg
    with pytest.raises(ConfigError, match='config file not found'):  # a path is not a name
        init_model('configs/nowhere.py')


def test_incomplete_entry_is_named(zoo):
    (zoo / 'half.json').write_text(json.dumps({'sha256': '0' * 64}))
    with pytest.raises(ConfigError, match=f"{zoo / 'half.py'}: missing"):
        init_model('half')
