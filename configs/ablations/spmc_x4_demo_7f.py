# Ablation: a window of 7 frames instead of 3 (model and every dataset). Everything else as
# spmc_x4_demo.py.
_base_ = ['../spmc/spmc_x4_demo.py']
model = dict(num_frames=7)
train_dataloader = dict(dataset=dict(num_frames=7))
val_dataloader = dict(dataset=dict(num_frames=7))
test_dataloader = dict(dataset=dict(num_frames=7))
