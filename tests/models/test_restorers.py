"""Restorers: registry builds, the three modes, loss weights and skipping, baselines, mmengine steps."""
import pytest
import torch
from mmengine.optim import OptimWrapper

from vsrkit.ops import bicubic_upsample, spmc_warp
from vsrkit.registry import MODELS, ConfigError

SMALL_FUSION = dict(type='DetailFusionNet', enc_channels=(8, 16, 16, 16), lstm_channels=16,
                    dec_channels=(8, 16, 16, 8, 8))
SMALL_MOTION = dict(type='VESPCNMotion', coarse_channels=(8, 8, 8, 8), fine_channels=(8, 8, 8, 8))


def spmc_cfg(c=1, scale=4, t=3, **kw):
    return dict(type='SPMCVSR', motion=SMALL_MOTION, compensation=dict(type='SPMC'),
                fusion=SMALL_FUSION, scale=scale, num_frames=t, in_channels=c, **kw)


def batch(c=1, t=3, h=8, w=12, scale=4, b=2, gt=True, seed=0):
    g = torch.Generator().manual_seed(seed)
    samples = dict(key=[f'clip/{i:08d}' for i in range(b)], clip=['clip'] * b,
                   frame=torch.arange(b) + 5)
    if gt:
        samples['gt'] = torch.rand(b, c, h * scale, w * scale, generator=g)
    return dict(inputs=torch.rand(b, t, c, h, w, generator=g), data_samples=samples)


def count_calls(module):
    calls = []
    module.register_forward_hook(lambda *args: calls.append(1))
    return calls


def _randomise_output(model):
    torch.manual_seed(3)
    torch.nn.init.normal_(model.fusion.out.weight, std=0.05)


@pytest.mark.parametrize('c', [1, 3])
def test_spmcvsr_modes(c):
    torch.manual_seed(0)
    model = MODELS.build(spmc_cfg(c=c))
    assert (model.scale, model.num_frames, model.in_channels, model.pixel_shift) == (4, 3, c, -0.5)
    assert model.compensation.scale == 4 and model.motion.in_channels == c  # filled in
    data = model.data_preprocessor(batch(c=c))
    inputs, samples = data['inputs'], data['data_samples']
    # untrained: the fusion's output conv is zero, so the answer is the bicubic reference
    sr = model(inputs, samples, mode='tensor')
    assert sr.shape == (2, c, 32, 48)
    torch.testing.assert_close(sr, bicubic_upsample(inputs[:, 1], 4))
    losses = model(inputs, samples, mode='loss')
    assert set(losses) == {'loss_warp', 'loss_tv', 'loss_sr'}
    assert all(v.dim() == 0 and v.requires_grad for v in losses.values())
    _randomise_output(model)
    sr = model(inputs, samples, mode='tensor')
    preds = model(inputs, samples, mode='predict')
    assert len(preds) == 2
    for b, p in enumerate(preds):
        assert set(p) == {'pred', 'gt', 'key', 'clip', 'frame', 'flow'}
        assert p['pred'].shape == (c, 32, 48) and p['flow'].shape == (3, 2, 8, 12)
        torch.testing.assert_close(p['pred'], (sr[b] + 0.5).clamp(0, 1))
        torch.testing.assert_close(p['gt'], batch(c=c)['data_samples']['gt'][b])  # un-shifted
        assert (p['key'], p['clip'], p['frame']) == (f'clip/{b:08d}', 'clip', 5 + b)
        assert not p['flow'][1].any()  # centre frame: zero flow by definition


def test_flows_are_motion_of_each_frame_to_the_centre():
    torch.manual_seed(0)
    model = MODELS.build(spmc_cfg(t=5))
    inputs = torch.rand(2, 5, 1, 8, 12) - 0.5
    flows = model.forward_flows(inputs)
    assert flows.shape == (2, 5, 2, 8, 12)
    for i in range(5):
        expected = torch.zeros(2, 2, 8, 12) if i == 2 else model.motion(inputs[:, i], inputs[:, 2])
        torch.testing.assert_close(flows[:, i], expected)


def test_loss_terms_match_the_components():
    torch.manual_seed(0)
    model = MODELS.build(spmc_cfg(loss_weights=dict(warp=2.0, tv=0.5, sr=3.0)))
    data = model.data_preprocessor(batch())
    x, gt = data['inputs'], data['data_samples']['gt']
    _randomise_output(model)
    losses = model(x, data['data_samples'], mode='loss')
    flows = model.forward_flows(x)
    warp = torch.stack([model.warp_loss(x[:, i], x[:, 1], flows[:, i]) for i in (0, 2)]).mean()
    tv = torch.stack([model.tv_loss(flows[:, i]) for i in (0, 2)]).mean()
    hr = torch.stack([spmc_warp(x[:, i], flows[:, i], 4, offset=1.5) for i in range(3)], 1)
    out = model.fusion(hr, bicubic_upsample(x[:, 1], 4))
    k = (0.5, 0.75, 1.0)  # linear k_i, normalised by their sum 2.25
    sr = sum(k[i] * ((out[:, i] - gt) ** 2).mean() for i in range(3)) / 2.25
    torch.testing.assert_close(losses['loss_warp'], 2.0 * warp)
    torch.testing.assert_close(losses['loss_tv'], 0.5 * tv)
    torch.testing.assert_close(losses['loss_sr'], 3.0 * sr)


def test_zero_weight_losses_are_skipped():
    model = MODELS.build(spmc_cfg())
    calls = {k: count_calls(getattr(model, k)) for k in ('motion', 'compensation', 'fusion',
                                                            'warp_loss', 'tv_loss', 'sr_loss')}
    data = model.data_preprocessor(batch(gt=False))
    model.set_loss_weights(dict(warp=1.0, tv=0.01, sr=0.0))  # stage 1: motion only, no GT needed
    losses = model(data['inputs'], data['data_samples'], mode='loss')
    assert set(losses) == {'loss_warp', 'loss_tv'}
    assert [len(calls[k]) for k in calls] == [1, 0, 0, 1, 1, 0]
    data = model.data_preprocessor(batch())
    model.set_loss_weights(dict(warp=0.0, tv=0.0, sr=1.0))  # stage 2
    assert set(model(data['inputs'], data['data_samples'], mode='loss')) == {'loss_sr'}
    assert [len(calls[k]) for k in calls] == [2, 1, 1, 1, 1, 1]
    model.set_loss_weights(dict(warp=0.0, tv=0.0, sr=0.0))
    with pytest.raises(ValueError, match='no loss'):
        model(data['inputs'], data['data_samples'], mode='loss')


def test_set_loss_weights():
    model = MODELS.build(spmc_cfg(loss_weights=dict(tv=0.5)))
    assert model.loss_weights == dict(warp=1.0, tv=0.5, sr=1.0, flow=0.0)
    model.set_loss_weights(dict(sr=0.0))
    assert model.loss_weights == dict(warp=1.0, tv=0.5, sr=0.0, flow=0.0)
    model.set_loss_weights(dict(warp=0.01))  # unnamed weights return to the model's defaults
    assert model.loss_weights == dict(warp=0.01, tv=0.5, sr=1.0, flow=0.0)
    with pytest.raises(ConfigError, match=r"\['wrap'\].*allowed: \['warp', 'tv', 'sr', 'flow'\]"):
        model.set_loss_weights(dict(wrap=1.0))
    with pytest.raises(ConfigError, match="'sr'"):
        model.set_loss_weights(dict(sr=-1))
    with pytest.raises(ConfigError, match='wrap'):
        MODELS.build(spmc_cfg(loss_weights=dict(wrap=1.0)))


def test_sr_loss_trains_motion_through_spmc():
    # Joint stage: the SR loss alone must reach the motion net (SPMC is differentiable in flow).
    for comp in ('SPMC', 'BackwardWarpResize'):
        torch.manual_seed(0)
        model = MODELS.build(dict(spmc_cfg(), compensation=dict(type=comp)))
        _randomise_output(model)
        model.set_loss_weights(dict(warp=0.0, tv=0.0, sr=1.0))
        data = model.data_preprocessor(batch())
        model(data['inputs'], data['data_samples'], mode='loss')['loss_sr'].backward()
        assert sum(p.grad.abs().sum() for p in model.motion.parameters()) > 0, comp


def test_component_swaps_and_config_errors():
    for motion in (dict(type='ZeroMotion'), dict(type='OpenCVFlowMotion', method='farneback')):
        model = MODELS.build(dict(spmc_cfg(), motion=motion,
                                  compensation=dict(type='BackwardWarpResize')))
        preds = model.test_step(batch())
        assert preds[0]['pred'].shape == (1, 32, 48)
    with pytest.raises(ConfigError, match='compensation.scale=2 conflicts'):
        MODELS.build(dict(spmc_cfg(), compensation=dict(type='SPMC', scale=2)))
    with pytest.raises(ConfigError, match="unknown model type 'NoSuchNet'"):
        MODELS.build(dict(spmc_cfg(), fusion=dict(type='NoSuchNet')))
    with pytest.raises(ConfigError, match='num_frames'):
        MODELS.build(spmc_cfg(t=4))
    model = MODELS.build(spmc_cfg())
    with pytest.raises(ValueError, match='num_frames=3'):
        model(torch.rand(1, 5, 1, 8, 8))
    with pytest.raises(ValueError, match='in_channels=1'):
        model(torch.rand(1, 3, 3, 8, 8))
    with pytest.raises(ValueError, match='mode'):
        model(torch.rand(1, 3, 1, 8, 8), mode='train')
    with pytest.raises(KeyError, match="data_samples\\['gt'\\]"):
        model(torch.rand(1, 3, 1, 8, 8), mode='loss')
    with pytest.raises(ValueError, match=r"expected \(1, 1, 32, 32\)"):
        model(torch.rand(1, 3, 1, 8, 8), dict(gt=torch.rand(1, 1, 16, 16)), mode='loss')


def test_mmengine_train_and_test_steps():
    torch.manual_seed(0)
    model = MODELS.build(spmc_cfg(data_preprocessor=dict(type='VSRDataPreprocessor', shift=0.0)))
    assert model.pixel_shift == 0.0
    wrapper = OptimWrapper(torch.optim.Adam(model.parameters(), lr=1e-3))
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    log = model.train_step(batch(), wrapper)
    assert set(log) == {'loss', 'loss_warp', 'loss_tv', 'loss_sr'}
    moved = {n for n, p in model.named_parameters() if not torch.equal(before[n], p)}
    # the fusion's zero-initialised output conv blocks gradients to the layers below it
    # on the very first step; motion and that output conv move at once
    assert moved == {n for n in before if n.startswith(('motion.', 'fusion.out.'))}
    model.train_step(batch(seed=1), wrapper)
    assert all(not torch.equal(before[n], p) for n, p in model.named_parameters())
    preds = model.val_step(batch(gt=False))
    assert 'gt' not in preds[0] and preds[0]['pred'].min() >= 0 and preds[0]['pred'].max() <= 1


@pytest.mark.parametrize('c', [1, 3])
def test_single_frame_vsr(c):
    torch.manual_seed(0)
    model = MODELS.build(dict(type='SingleFrameVSR', fusion=SMALL_FUSION, scale=4, num_frames=3,
                              in_channels=c))
    _randomise_output(model)
    data = model.data_preprocessor(batch(c=c))
    x = data['inputs']
    sr = model(x, mode='tensor')
    ref = x[:, 1]
    hr = spmc_warp(ref, torch.zeros(2, 2, 8, 12), 4, offset=1.5)
    torch.testing.assert_close(sr, model.fusion(hr[:, None], bicubic_upsample(ref, 4))[:, 0])
    other = x.clone()
    other[:, [0, 2]] = torch.rand(2, 2, c, 8, 12)
    torch.testing.assert_close(model(other, mode='tensor'), sr)  # only the centre frame is used
    assert set(model(x, data['data_samples'], mode='loss')) == {'loss_sr'}
    preds = model(x, data['data_samples'], mode='predict')
    assert 'flow' not in preds[0] and preds[0]['pred'].shape == (c, 32, 48)
    with pytest.raises(ConfigError, match="allowed: \\['sr'\\]"):
        model.set_loss_weights(dict(warp=1.0))


@pytest.mark.parametrize('c', [1, 3])
def test_bicubic_vsr(c):
    model = MODELS.build(dict(type='BicubicVSR', scale=4, num_frames=3, in_channels=c))
    assert not list(model.parameters())
    raw = batch(c=c)
    preds = model.test_step(raw)
    # bicubic is linear with weights summing to 1, so the [-0.5, 0.5] shift cancels
    expected = bicubic_upsample(raw['inputs'][:, 1], 4).clamp(0, 1)
    for b in range(2):
        torch.testing.assert_close(preds[b]['pred'], expected[b])
    with pytest.raises(ValueError, match='no parameters to train'):
        model(raw['inputs'], raw['data_samples'], mode='loss')
    assert MODELS.build(dict(type='BicubicVSR')).num_frames == 1


def test_flow_supervision_loss_uses_known_flows_only():
    torch.manual_seed(0)
    model = MODELS.build(spmc_cfg(loss_weights=dict(warp=0.0, tv=0.0, sr=0.0, flow=2.0)))
    data = model.data_preprocessor(batch())
    x = data['inputs']
    b, t, _, h, w = x.shape
    flow_gt = torch.randn(b, t, 2, h, w)
    flow_gt[:, t // 2] = 0
    samples = dict(data['data_samples'], flow_gt=flow_gt)
    losses = model(x, samples, mode='loss')
    assert set(losses) == {'loss_flow'}
    est = model.forward_flows(x)
    epe = lambda a, g: ((a - g).square().sum(1) + 1e-6).sqrt().mean()  # noqa: E731
    expected = torch.stack([epe(est[:, i], flow_gt[:, i]) for i in (0, 2)]).mean()
    torch.testing.assert_close(losses['loss_flow'], 2.0 * expected)
    # only the samples whose flow is known count
    known = torch.zeros(b, dtype=torch.bool)
    known[0] = True
    masked = model(x, dict(samples, flow_known=known), mode='loss')['loss_flow']
    first = torch.stack([epe(est[:1, i], flow_gt[:1, i]) for i in (0, 2)]).mean()
    torch.testing.assert_close(masked, 2.0 * first)
    masked.backward()
    assert model.motion.coarse[0].weight.grad.abs().sum() > 0
    # without flow_gt in the batch there is nothing to supervise
    model.set_loss_weights(dict(warp=1.0, flow=1.0))
    assert 'loss_flow' not in model(x, data['data_samples'], mode='loss')


class _PlainFusion(torch.nn.Module):
    """A fusion without ``last_only``: the restorer must still answer with its last step."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, hr_seq, ref_up):
        return self.net(hr_seq, ref_up)


def test_inference_decodes_only_the_last_step_and_gives_its_output():
    torch.manual_seed(0)
    model = MODELS.build(spmc_cfg())
    _randomise_output(model)
    x = model.data_preprocessor(batch())['inputs']
    decoded = []  # batch sizes the last decoder layer saw
    model.fusion.dec4.register_forward_hook(lambda m, i, o: decoded.append(o.shape[0]))
    with torch.no_grad():
        everything = model._fuse(x, model.forward_flows(x))  # all T steps, as in training
        assert decoded == [x.shape[0] * 3]
        sr = model(x, mode='tensor')
        assert decoded[1:] == [x.shape[0]]  # inference decoded B frames: the last step only
        torch.testing.assert_close(sr, everything[:, -1], rtol=0, atol=1e-5)
        # a fusion module without last_only: the restorer takes the last step of its output
        plain = MODELS.build(dict(spmc_cfg(), fusion=_PlainFusion(model.fusion)))
        plain.motion.load_state_dict(model.motion.state_dict())
        assert not plain._fusion_last_only
        torch.testing.assert_close(plain(x, mode='tensor'), sr, rtol=0, atol=1e-6)
