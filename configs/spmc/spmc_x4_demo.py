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
model = dict(fusion=dict(enc_channels=(8, 16, 16, 32), lstm_channels=32, dec_channels=(32, 16, 16, 8, 8)))

motion_iters = 1200
fusion_iters = 1000
joint_iters = 1000
# The paper's three stages (schedules/spmc_staged.py), at these lengths.
stages = [dict(st, begin=begin)
          for st, begin in zip(_base_.stage_plan, (0, motion_iters, motion_iters + fusion_iters))]
custom_hooks = [dict(type='StageHook', stages=stages)]

max_iters = motion_iters + fusion_iters + joint_iters
train_cfg = dict(max_iters=max_iters, val_interval=1000)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
# Constant lr for the motion stage; cosine decay over the SR iterations (fusion + joint).
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=False, begin=motion_iters, end=max_iters,
                        T_max=fusion_iters + joint_iters, eta_min=1e-5)]
default_hooks = dict(logger=dict(interval=50),
                     checkpoint=dict(interval=1000, max_keep_ckpts=1))
