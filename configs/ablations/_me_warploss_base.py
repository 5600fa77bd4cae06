# Shared by the three warp-loss cases: motion-estimation training only (stage 1 of
# spmc_x4_demo.py, same iterations and lr) on the synthetic known-motion set, so the end-point
# error of the learned flow can be measured. Train: windows cut from the demo training frames;
# test: a fixed set of windows from the held-out clip (different seed and frames).
_base_ = ['../spmc/spmc_x4_demo.py']
# The warp loss alone (no flow supervision): what is compared here is the warp loss's form.
custom_hooks = [dict(type='StageHook', stages=[dict(_base_.stage_plan[0], begin=0,
                                                    loss_weights=dict(warp=1.0, tv=0.01, sr=0.0, flow=0.0))])]
train_cfg = dict(max_iters=_base_.motion_iters, val_interval=_base_.motion_iters + 1)
synthetic_pipeline = [dict(type='RGBToY'), dict(type='PackVSRInputs')]
train_dataloader = dict(dataset=dict(
    _delete_=True, type='SyntheticMotionDataset', gt_path=f'{_base_.data_root}/train_GT.lmdb',
    num_frames=_base_.num_frames, scale=_base_.scale, patch_size=32, num_samples=256, max_flow=2.0,
    seed=0, cache=True, pipeline=synthetic_pipeline))
test_dataloader = dict(dataset=dict(
    _delete_=True, type='SyntheticMotionDataset', gt_path=f'{_base_.data_root}/test_GT.lmdb',
    num_frames=_base_.num_frames, scale=_base_.scale, patch_size=56, num_samples=32, max_flow=2.0,
    seed=1, pipeline=synthetic_pipeline))
val_dataloader = None
val_cfg = None
val_evaluator = None
test_evaluator = [dict(type='FlowEPE')]
param_scheduler = []  # the demo's motion stage runs at constant lr
