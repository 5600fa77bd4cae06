# The paper's staged protocol: motion only (L_ME, lambda_1 = 0.01) for 70k iterations, then
# detail fusion only with the motion net frozen (L_SR) for 20k, then everything jointly with
# L_SR + lambda_2 * L_ME (lambda_2 = 0.01). Adam. Training motion first matters: trained end to
# end from scratch, the SR loss alone lets the flow collapse to zero (the paper's finding).
# The joint-stage length and the learning rate are not fixed by the paper text we have: they
# are config values (joint 60k here; lr 1e-4).
motion_iters = 70000
fusion_iters = 20000
joint_iters = 60000

# What each stage trains and with which loss weights, in order; `stages` adds where each begins.
# A config with other stage lengths rebuilds `stages` (and `custom_hooks`) from this list.
stage_plan = [
    dict(name='motion', trainable=['motion'], loss_weights=dict(warp=1.0, tv=0.01, sr=0.0)),
    dict(name='fusion', trainable=['fusion'], loss_weights=dict(warp=0.0, tv=0.0, sr=1.0)),
    dict(name='joint', trainable=['motion', 'fusion'],
         loss_weights=dict(sr=1.0, warp=0.01, tv=0.01 * 0.01)),
]
stages = [dict(st, begin=begin)
          for st, begin in zip(stage_plan, (0, motion_iters, motion_iters + fusion_iters))]
custom_hooks = [dict(type='StageHook', stages=stages)]

# NoReplayIterBasedTrainLoop: mmengine's iteration loop, but --resume seeks the data stream
# (samples seeded by their position) instead of re-reading every trained batch.
train_cfg = dict(type='NoReplayIterBasedTrainLoop', max_iters=motion_iters + fusion_iters + joint_iters,
                 val_interval=5000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

# Built once over the whole model: frozen parameters (grad None) are skipped by Adam, so stage
# switches need no new optimizer and its state survives resume.
# NonFiniteGuardOptimWrapper: an OptimWrapper that skips steps with a NaN/Inf loss or gradient.
# The ConvLSTM's gradients are clipped at global norm 3 (the reference code does so).
optim_wrapper = dict(type='NonFiniteGuardOptimWrapper', optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.999)),
                     paramwise_cfg=dict(custom_keys={'fusion.temporal': dict(max_grad_norm=3.0)}))
param_scheduler = []
