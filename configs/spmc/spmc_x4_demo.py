# The CPU demo: SPMC x4, 3 frames, Y, trained on the bundled demo set with the paper's three
# stages scaled down (motion -> fusion with motion frozen -> joint) so that the whole demo
# (data prep + SPMC + single-frame baseline + evaluation, tools/demo.py) takes ~15-20 min on
# 2 CPU cores. Only sizes differ from the paper protocol: narrower fusion widths (the paper's
# stay the default in _base_/models/spmc.py), short stages, a higher learning rate.
_base_ = [
    '../_base_/models/spmc.py',
    '../_base_/datasets/demo_x4.py',
    '../_base_/schedules/spmc_staged.py',
    '../_base_/default_runtime.py',
]

# 1/4 of the paper's fusion widths: ~0.5 CPU-s per training iteration (batch 8, 96x96 GT
# patches, 3 frames, one thread) instead of ~4 s at the paper's widths.
model = dict(
    # The splat's weight map goes to the fusion net beside each compensated frame: it tells the
    # net which HR pixels received a sample (measured: +0.07 dB on the held-out clip, +0.16 dB
    # on the known-shift test, one seed).
    compensation=dict(with_weights=True),
    fusion=dict(enc_channels=(8, 16, 16, 32), lstm_channels=32, dec_channels=(32, 16, 16, 8, 8)))

motion_iters = 2000
fusion_iters = 1000
joint_iters = 1000
# The paper's three stages (schedules/spmc_staged.py) plus flow supervision on the synthetic
# windows (FlowEPELoss, 'flow'; zero on real windows, whose motion is unknown). The joint stage
# keeps a small flow weight so that the SR loss cannot drag the flow back towards zero.
# warp=30 in the motion stage: the real windows' photometric loss must outweigh the synthetic
# flow loss, or the net fits smooth synthetic motion and explains real frames worse than
# classical flow (real-clip warp error, motion stage alone: warp 1 -> 0.0095, 10 -> 0.0073,
# 30 -> 0.0067, 100 -> 0.0066 with a worse synthetic EPE; OpenCV DIS 0.0065; docs/TRAINING.md,
# which also has what did not help: warp 20 with an lr step in the motion stage).
stage_plan = [
    dict(name='motion', trainable=['motion'], loss_weights=dict(warp=30.0, tv=0.01, sr=0.0, flow=1.0)),
    dict(name='fusion', trainable=['fusion'], loss_weights=dict(warp=0.0, tv=0.0, sr=1.0, flow=0.0)),
    dict(name='joint', trainable=['motion', 'fusion'],
         loss_weights=dict(sr=1.0, warp=0.01, tv=0.0001, flow=0.1)),
]
stages = [dict(st, begin=begin)
          for st, begin in zip(stage_plan, (0, motion_iters, motion_iters + fusion_iters))]
custom_hooks = [dict(type='StageHook', stages=stages)]

max_iters = motion_iters + fusion_iters + joint_iters
train_cfg = dict(max_iters=max_iters, val_interval=1000)
# The motion net learns at twice the fusion's rate (lr_mult): it is small and its stage short.
optim_wrapper = dict(optimizer=dict(lr=1e-3),
                     paramwise_cfg=dict(custom_keys={'fusion.temporal': dict(max_grad_norm=3.0),
                                                     'motion': dict(lr_mult=2.0)}))
# Constant lr for the motion stage; cosine decay over the SR iterations (fusion + joint).
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=False, begin=motion_iters, end=max_iters,
                        T_max=fusion_iters + joint_iters, eta_min=1e-5)]
default_hooks = dict(logger=dict(interval=50),
                     checkpoint=dict(interval=1000, max_keep_ckpts=1))
