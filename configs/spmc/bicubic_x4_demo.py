# Bicubic baseline on the demo's held-out clip (MATLAB-compatible bicubic of the centre frame,
# no parameters), test only: python tools/test.py configs/spmc/bicubic_x4_demo.py none
# (also the bicubic row of the ablation table: tools/ablate.py only evaluates it).
_base_ = ['../_base_/datasets/demo_x4.py', '../_base_/default_runtime.py']

model = dict(type='BicubicVSR', scale=_base_.scale, num_frames=_base_.num_frames, in_channels=1,
             data_preprocessor=dict(type='VSRDataPreprocessor', shift=-0.5))
# Nothing to train or validate: mmengine wants these all set or all None.
train_dataloader = None
val_dataloader = None
val_evaluator = None
test_cfg = dict(type='TestLoop')
