# Ablation: no motion compensation (zero flow, ZeroMotion): every frame is splatted unmoved.
# With nothing to learn in the motion stage, fusion trains for the SPMC baseline's fusion + joint
# iterations (the same number of SR updates; tools/ablate.py scales all variants alike).
_base_ = ['../spmc/spmc_x4_demo.py']
model = dict(motion=dict(_delete_=True, type='ZeroMotion'))
sr_iters = 800 + 800  # spmc_x4_demo: fusion_iters + joint_iters (keep in step with it)
custom_hooks = [dict(type='StageHook', stages=[
    dict(name='fusion', begin=0, trainable=['fusion'], loss_weights=dict(warp=0.0, tv=0.0, sr=1.0))])]
train_cfg = dict(max_iters=sr_iters)
# The demo's cosine decay over its SR iterations, here from iteration 0.
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=False, begin=0, end=sr_iters, T_max=sr_iters,
                        eta_min=1e-5)]
