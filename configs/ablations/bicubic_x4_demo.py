# Baseline row of the ablation table: MATLAB bicubic x4 of the reference frame (no parameters,
# nothing to train; tools/ablate.py only evaluates it).
_base_ = ['../spmc/spmc_x4_demo.py']
model = dict(_delete_=True, type='BicubicVSR', scale=4, num_frames=3, in_channels=1,
             data_preprocessor=dict(type='VSRDataPreprocessor', shift=-0.5))
custom_hooks = []
