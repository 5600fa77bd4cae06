"""VSRVisualizationHook inside a real mmengine Runner validation: images land in the work dir."""
import glob
import os

import cv2
import numpy as np
import pytest
import torch
from torch.utils.data import Dataset

import vsrkit.engine.hooks.visualization_hook  # noqa: F401  (registers the hook)
from vsrkit.registry import ConfigError

torch.set_num_threads(2)


class Windows(Dataset):
    """Two (T=3, RGB, 16 x 20) windows of a moving pattern with their x2 ground truth."""

    def __init__(self):
        g = torch.Generator().manual_seed(0)
        self.hr = torch.rand(2, 3, 3, 32, 40, generator=g)

    def __len__(self):
        return 2

    def __getitem__(self, i):
        hr = self.hr[i]
        lr = torch.nn.functional.avg_pool2d(hr, 2)
        return dict(inputs=lr, data_samples=dict(gt=hr[1], key=f'c/{i:08d}', clip='c', frame=i))


def test_hook_writes_flow_spmc_and_panel(tmp_path):
    from mmengine.runner import Runner
    from vsrkit.registry import MODELS
    model = MODELS.build(dict(
        type='SPMCVSR', scale=2, num_frames=3, in_channels=3,
        motion=dict(type='VESPCNMotion', coarse_channels=(4,) * 4, fine_channels=(4,) * 4),
        compensation=dict(type='SPMC'),
        fusion=dict(type='DetailFusionNet', enc_channels=(4, 8, 8, 8), lstm_channels=8,
                    dec_channels=(8, 8, 8, 4, 4))))
    runner = Runner(
        model=model, work_dir=str(tmp_path), default_scope='vsrkit',
        val_dataloader=dict(dataset=Windows(), batch_size=1, num_workers=0,
                            sampler=dict(type='DefaultSampler', shuffle=False),
                            collate_fn=dict(type='default_collate')),
        val_cfg=dict(), val_evaluator=dict(type='PSNR', crop_border=2),
        visualizer=dict(type='Visualizer', vis_backends=[
            dict(type='LocalVisBackend'), dict(type='OptionalTensorboardVisBackend')]),
        custom_hooks=[dict(type='VSRVisualizationHook', sample_index=1, crop_size=16)])
    runner.val()
    found = {os.path.basename(p): cv2.imread(p) for p in
             glob.glob(str(tmp_path / '*' / 'vis_data' / 'vis_image' / '*.png'))}
    assert set(found) == {'val_flow_0.png', 'val_spmc_0.png', 'val_panel_0.png'}
    assert found['val_flow_0.png'].shape[0] >= 16  # two 16 x 20 flow maps + captions
    assert found['val_spmc_0.png'].shape[1] == 2 * 320 + 4  # 16-px crops of map + weights, x20
    assert found['val_panel_0.png'].shape[0] >= 16


def test_hook_config_errors():
    from vsrkit.registry import HOOKS
    with pytest.raises(ConfigError, match='sample_index'):
        HOOKS.build(dict(type='VSRVisualizationHook', sample_index=-1))
    with pytest.raises(ConfigError, match='interval'):
        HOOKS.build(dict(type='VSRVisualizationHook', interval=0))


def test_render_sample_matches_model_and_inference_path():
    from vsrkit.apis import WindowSR
    from vsrkit.evaluation.functional import psnr
    from vsrkit.ops import rgb_to_y
    from vsrkit.registry import MODELS
    from vsrkit.visualization import flow_image, render_sample
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='SPMCVSR', scale=2, num_frames=3, in_channels=1,
        motion=dict(type='VESPCNMotion', coarse_channels=(4,) * 4, fine_channels=(4,) * 4,
                    out_init_scale=3.0),
        compensation=dict(type='SPMC'),
        fusion=dict(type='DetailFusionNet', enc_channels=(4, 8, 8, 8), lstm_channels=8,
                    dec_channels=(8, 8, 8, 4, 4)))).eval()
    item = Windows()[0]
    lr, gt = item['inputs'], item['data_samples']['gt']  # RGB window for a Y model
    images = render_sample(model, lr, gt, crop=(8, 8, 16, 16), max_flow=1.0)
    with torch.no_grad():
        flows = model.forward_flows(rgb_to_y(lr)[None] - 0.5)[0]
    assert flows[0].abs().max() > 0.05 and flows[1].abs().max() == 0  # centre flow is zero
    zoomed_flow = flows[0].repeat_interleave(16, -2).repeat_interleave(16, -1)  # 20 px -> 320
    np.testing.assert_array_equal(images['flow'][:256, :320], flow_image(zoomed_flow, max_flow=1.0))
    run = WindowSR(model)
    sr = run([run.prepare(f) for f in lr])  # (32, 40, 3): colour, as tools/infer.py makes it
    assert images['scores']['psnr_sr'] == pytest.approx(
        psnr(torch.from_numpy(sr).permute(2, 0, 1), gt, crop_border=2))
    x0 = 20 + 4 + 2 * (16 + 4)  # after the 20-px frame thumbnail, LR and bicubic (4-px gaps)
    tile = images["panel"][:16, x0:x0 + 16]
    np.testing.assert_array_equal(tile, np.clip(np.rint(sr[8:24, 8:24] * 255), 0, 255))
    assert tile.std(axis=-1).mean() > 1  # in colour, not grey
    # the SPMC picture: the previous frame splatted with its estimated flow, on the panel crop
    from vsrkit.ops import spmc_warp
    sparse = spmc_warp(lr[:1], flows[:1], 2)[0, :, 8:24, 8:24]
    zoomed = sparse.repeat_interleave(20, -2).repeat_interleave(20, -1)
    expected = np.clip(np.rint(zoomed.permute(1, 2, 0).numpy() * 255), 0, 255)
    np.testing.assert_array_equal(images['spmc'][:320, :320], expected)
