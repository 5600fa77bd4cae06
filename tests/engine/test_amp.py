"""AmpGuardOptimWrapper: autocast in the forward, fp16 loss scaling with the non-finite guard
(scaler overflows are not bad steps, persistent non-finite gradients still are), clipping of
unscaled gradients, scaler state in checkpoints; on the CPU, where torch.autocast runs too."""
import pytest
import torch
from mmengine.logging import MessageHub
from torch import nn

import vsrkit  # noqa: F401
from vsrkit.engine.amp import AmpGuardOptimWrapper
from vsrkit.engine.config import check_config, load_config
from vsrkit.registry import OPTIM_WRAPPERS, ConfigError


@pytest.fixture(autouse=True)
def _hub():
    MessageHub.get_instance('test_amp')


def _wrapper(dtype, **kw):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 1, 3, padding=1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    return model, OPTIM_WRAPPERS.build(dict(type='AmpGuardOptimWrapper', optimizer=opt,
                                            dtype=dtype, **kw))


def _loss(model, wrapper, x, scale=1.0):
    with wrapper.optim_context(model):
        out = model(x)
        assert out.dtype == wrapper.dtype  # the convs ran in half precision
        return out.float().square().mean() * scale


@pytest.mark.parametrize('dtype', ['bfloat16', 'float16'])
def test_training_steps_update_and_match_float32(dtype):
    model, wrapper = _wrapper(dtype)
    assert (wrapper.loss_scaler is None) == (dtype == 'bfloat16')
    ref = [p.detach().clone() for p in model.parameters()]
    x = torch.randn(2, 1, 8, 8)
    loss = _loss(model, wrapper, x)
    # the float32 gradient of the same loss, for comparison
    grads = torch.autograd.grad(model(x).square().mean(), list(model.parameters()))
    wrapper.update_params(loss)
    for p, p0, g in zip(model.parameters(), ref, grads):
        step = p0 - p.detach()
        torch.testing.assert_close(step, 0.1 * g, rtol=0.05, atol=2e-3)  # half-precision forward
    assert wrapper.skipped_steps == 0 and wrapper.overflow_steps == 0


def test_fp16_overflow_lowers_the_scale_without_counting_a_bad_step():
    model, wrapper = _wrapper('float16', loss_scale=dict(init_scale=2.0 ** 30))
    before = [p.detach().clone() for p in model.parameters()]
    x = torch.randn(2, 1, 8, 8)
    wrapper.update_params(_loss(model, wrapper, x))  # gradients * 2^30 overflow float16
    assert wrapper.overflow_steps == 1 and wrapper.skipped_steps == 0
    assert wrapper.loss_scaler.get_scale() == 2.0 ** 29
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), before))  # no step
    assert all(p.grad is None for p in model.parameters())
    for _ in range(30):  # the scale comes down until the gradients fit, then steps are taken
        wrapper.update_params(_loss(model, wrapper, x))
    assert not all(torch.equal(p, q) for p, q in zip(model.parameters(), before))
    assert 2 <= wrapper.overflow_steps < 30 and wrapper.skipped_steps == 0
    assert wrapper.loss_scaler.get_scale() < 2.0 ** 29


def test_fp16_persistent_nan_gradients_count_once_the_scale_is_low():
    model, wrapper = _wrapper('float16', loss_scale=dict(init_scale=4.0), min_loss_scale=1.0)
    x = torch.randn(2, 1, 8, 8)
    for _ in range(4):
        loss = _loss(model, wrapper, x) + torch.sqrt(model[0].weight.sum() * 0)  # NaN gradient
        wrapper.update_params(loss)
    # scale 4 -> 2 -> 1: overflows; 1 -> 0.5: below min_loss_scale, a bad step from then on
    assert wrapper.overflow_steps == 2
    assert wrapper.skipped_steps == 2 and wrapper.consecutive_bad == 2
    assert wrapper.last_bad == 'gradient'


def test_non_finite_loss_is_a_bad_step():
    model, wrapper = _wrapper('bfloat16')
    wrapper.update_params(_loss(model, wrapper, torch.randn(2, 1, 8, 8)) * float('nan'))
    assert wrapper.skipped_steps == 1 and wrapper.last_bad == 'loss'


def test_fp16_clipping_sees_unscaled_gradients():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 1, 3, padding=1))
    groups = [dict(params=list(model[0].parameters()), max_grad_norm=1e-3),
              dict(params=list(model[2].parameters()))]
    wrapper = OPTIM_WRAPPERS.build(dict(type='AmpGuardOptimWrapper', dtype='float16',
                                        optimizer=torch.optim.SGD(groups, lr=1.0)))
    w0 = model[0].weight.detach().clone()
    wrapper.update_params(_loss(model, wrapper, torch.randn(2, 1, 8, 8)))
    moved = torch.cat([(model[0].weight - w0).flatten()])
    # clipped at norm 1e-3 (weight + bias together), not at 1e-3 / scale
    assert 5e-4 < moved.norm().item() <= 1e-3 + 1e-6


def test_scaler_state_round_trips_and_bad_settings_are_refused():
    model, wrapper = _wrapper('float16', loss_scale=dict(init_scale=256.0))
    wrapper.update_params(_loss(model, wrapper, torch.randn(2, 1, 8, 8)))
    state = wrapper.state_dict()
    assert state['loss_scaler']['scale'] == 256.0
    _, other = _wrapper('float16')
    other.load_state_dict(state)
    assert other.loss_scaler.get_scale() == 256.0
    with pytest.raises(ConfigError, match='dtype must be one of'):
        _wrapper('float8')
    with pytest.raises(ConfigError, match="loss_scale must be 'dynamic'"):
        _wrapper('float16', loss_scale=512)


def test_amp_config_passes_the_preflight_check():
    cfg = load_config('configs/spmc/spmc_x4_3f_lmdb_amp.py')
    assert cfg.optim_wrapper.type == 'AmpGuardOptimWrapper'
    assert cfg.optim_wrapper.paramwise_cfg  # the base's ConvLSTM clipping is kept
    check_config(cfg, build_model=False)  # NonFiniteLossHook accepts the AMP wrapper
