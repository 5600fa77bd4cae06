"""Small real frames and tiny models shared by the apis tests."""
import pytest
import torch

TINY_SPMC = dict(
    type='SPMCVSR', scale=4, num_frames=3, in_channels=1,
    motion=dict(type='VESPCNMotion', coarse_channels=(4, 4, 4, 4), fine_channels=(4, 4, 4, 4)),
    compensation=dict(type='SPMC'),
    fusion=dict(type='DetailFusionNet', enc_channels=(4, 8, 8, 8), lstm_channels=8,
                dec_channels=(8, 8, 8, 4, 4)))


def _tiny_spmc(**overrides):
    """A narrow, randomly initialised SPMCVSR whose output really depends on the input: the
    fusion output conv (zero-initialised, so an untrained net returns bicubic) gets random
    weights, and the flow heads are scaled up so motion is not negligible."""
    from vsrkit.registry import MODELS
    torch.manual_seed(0)
    model = MODELS.build({**TINY_SPMC, **overrides}).eval()
    with torch.no_grad():
        for p in model.fusion.out.parameters():
            p.normal_(0, 0.1)
        for head in (model.motion.coarse[-1], model.motion.fine[-1]):
            head.weight.mul_(10)
    return model


@pytest.fixture
def tiny_spmc():
    """Factory of tiny random SPMCVSR models (keyword overrides of :data:`TINY_SPMC`)."""
    return _tiny_spmc


@pytest.fixture
def tiny_spmc_cfg():
    """The config dict of :func:`tiny_spmc`'s model."""
    return dict(TINY_SPMC)


@pytest.fixture(scope='session')
def real_frames(carphone_path):
    """12 frames (48 x 64 crop, uint8 RGB) of the bundled carphone clip."""
    from vsrkit.io import FrameSource
    return [f[40:88, 56:120].copy() for f in FrameSource(carphone_path, max_frames=12)]
