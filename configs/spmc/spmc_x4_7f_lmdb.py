# SPMC x4 with a 7-frame window (the paper's 3/5/7-frame variants); the fusion loss
# weights k_i stay uniform over the 7 time steps.
_base_ = ['./spmc_x4_3f_lmdb.py']
num_frames = 7

model = dict(num_frames=num_frames)
train_dataloader = dict(dataset=dict(num_frames=num_frames))
val_dataloader = dict(dataset=dict(num_frames=num_frames))
test_dataloader = val_dataloader
