# Shared by the three warp-loss cases (SPEC pitfalls): motion-estimation training only (stage 1
# of spmc_x4_demo.py, same iterations and lr) on the synthetic known-motion set, so the end-point
# error of the learned flow can be measured. Train: windows cut from the demo training frames;
# test: a fixed set of windows from the held-out clip (different seed and frames).
_base_ = ['../spmc/spmc_x4_demo.py']
motion_iters = 1200  # spmc_x4_demo: motion_iters (keep in step with it)
custom_hooks = [dict(type='StageHook', stages=[
    dict(name='motion', begin=0, trainable=['motion'], loss_weights=dict(warp=1.0, tv=0.01, sr=0.0))])]
train_cfg = dict(max_iters=motion_iters, val_interval=motion_iters + 1)
synthetic_pipeline = [dict(type='RGBToY'), dict(type='PackVSRInputs')]
train_dataloader = dict(dataset=dict(
    _delete_=True, type='SyntheticMotionDataset', gt_path='data/demo/train_GT.lmdb', num_frames=3,
    scale=4, patch_size=32, num_samples=256, max_flow=2.0, seed=0, cache=True,
    pipeline=synthetic_pipeline))
test_dataloader = dict(dataset=dict(
    _delete_=True, type='SyntheticMotionDataset', gt_path='data/demo/test_GT.lmdb', num_frames=3,
    scale=4, patch_size=56, num_samples=32, max_flow=2.0, seed=1, pipeline=synthetic_pipeline))
val_dataloader = None
val_cfg = None
val_evaluator = None
test_evaluator = [dict(type='FlowEPE')]
param_scheduler = []  # the demo's motion stage runs at constant lr
