"""The pixel range (VSRDataPreprocessor): shift of inputs and gt, pass-through of the rest,
collation, errors, the single-tensor conversions both ways, and restorers that insist on it."""
import pytest
import torch
from mmengine.dataset import default_collate

from vsrkit.registry import MODELS


def _items(n=2):
    g = torch.Generator().manual_seed(0)
    return [dict(inputs=torch.rand(3, 1, 4, 5, generator=g),
                 data_samples=dict(gt=torch.rand(1, 16, 20, generator=g), key=f'clip/{i:08d}',
                                   clip='clip', frame=i)) for i in range(n)]


@pytest.mark.parametrize('shift', [-0.5, 0.0])
def test_shifts_inputs_and_gt_only(shift):
    items = _items()
    batch = default_collate(items)
    pre = MODELS.build(dict(type='VSRDataPreprocessor', shift=shift))
    assert pre.shift == shift
    out = pre(batch, training=True)
    torch.testing.assert_close(out['inputs'], batch['inputs'] + shift)
    torch.testing.assert_close(out['data_samples']['gt'], batch['data_samples']['gt'] + shift)
    assert out['data_samples']['key'] == ['clip/00000000', 'clip/00000001']
    assert torch.equal(out['data_samples']['frame'], torch.tensor([0, 1]))
    # the caller's batch is untouched (no in-place shift)
    torch.testing.assert_close(batch['inputs'][0], items[0]['inputs'])


def test_without_gt_and_uncollated():
    pre = MODELS.build(dict(type='VSRDataPreprocessor'))
    x = torch.rand(1, 3, 1, 4, 4)
    out = pre(dict(inputs=x))
    torch.testing.assert_close(out['inputs'], x - 0.5)
    items = _items()
    out = pre(dict(inputs=[it['inputs'] for it in items],
                   data_samples=[it['data_samples'] for it in items]))
    assert out['inputs'].shape == (2, 3, 1, 4, 5)
    torch.testing.assert_close(out['data_samples']['gt'][1], items[1]['data_samples']['gt'] - 0.5)


def test_errors():
    pre = MODELS.build(dict(type='VSRDataPreprocessor'))
    with pytest.raises(KeyError, match="'inputs'"):
        pre(dict(img=torch.rand(1)))
    with pytest.raises(ValueError, match='float'):
        pre(dict(inputs=torch.zeros(1, 3, 1, 4, 4, dtype=torch.uint8)))


@pytest.mark.parametrize('shift', [-0.5, 0.0])
def test_tensor_conversions_are_the_batch_shift_and_its_inverse(shift):
    pre = MODELS.build(dict(type='VSRDataPreprocessor', shift=shift))
    x = torch.rand(2, 3, 1, 4, 5, generator=torch.Generator().manual_seed(1))
    assert torch.equal(pre.to_model_range(x), pre(dict(inputs=x))['inputs'])  # bit for bit
    torch.testing.assert_close(pre.to_unit_range(pre.to_model_range(x)), x)


def test_restorers_need_the_vsr_preprocessor():
    from vsrkit.registry import ConfigError
    with pytest.raises(ConfigError, match="BicubicVSR: data_preprocessor must be dict\\(type='VSRDataPreprocessor'"):
        MODELS.build(dict(type='BicubicVSR', data_preprocessor=dict(type='BaseDataPreprocessor')))
