# Shared by the ablations without a motion stage (zero flow, OpenCV flow): only the fusion net
# trains, with the demo's fusion-stage losses, for the SPMC baseline's fusion + joint iterations
# (the same number of SR updates; tools/ablate.py scales all variants alike), with the demo's
# cosine decay over them, here from iteration 0.
_base_ = ['../spmc/spmc_x4_demo.py']
sr_iters = _base_.fusion_iters + _base_.joint_iters
custom_hooks = [dict(type='StageHook', stages=[dict(_base_.stage_plan[1], begin=0)])]
train_cfg = dict(max_iters=sr_iters)
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=False, begin=0, end=sr_iters, T_max=sr_iters,
                        eta_min=1e-5)]
