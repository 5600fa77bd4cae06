# Baseline row of the ablation table: the same fusion net (the demo's widths, taken from the
# demo config) fed only the reference frame (SingleFrameVSR), trained for the SPMC baseline's
# fusion + joint iterations.
_base_ = ['../spmc/spmc_x4_demo.py']
model = dict(_delete_=True, type='SingleFrameVSR', scale=4, num_frames=3, in_channels=1,
             fusion={{_base_.model.fusion}},
             data_preprocessor=dict(type='VSRDataPreprocessor', shift=-0.5))
sr_iters = 800 + 800  # spmc_x4_demo: fusion_iters + joint_iters (keep in step with it)
custom_hooks = [dict(type='StageHook', stages=[
    dict(name='fusion', begin=0, trainable=['fusion'], loss_weights=dict(sr=1.0))])]
train_cfg = dict(max_iters=sr_iters)
# The demo's cosine decay over its SR iterations, here from iteration 0.
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=False, begin=0, end=sr_iters, T_max=sr_iters,
                        eta_min=1e-5)]
