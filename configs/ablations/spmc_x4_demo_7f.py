# Ablation: a window of 7 frames instead of 3 (model and every dataset). Everything else as
# spmc_x4_demo.py.
_base_ = ['../spmc/spmc_x4_demo.py']
num_frames = 7
model = dict(num_frames=num_frames)
train_dataloader = dict(dataset=dict(datasets=[dict(_base_.real_train, num_frames=num_frames),
                                               dict(_base_.synthetic_train, num_frames=num_frames)]))
val_dataloader = dict(dataset=dict(num_frames=num_frames))
test_dataloader = dict(dataset=dict(num_frames=num_frames))
test_sets = dict(known_shift=dict(dataloader=dict(dataset=dict(num_frames=num_frames))))
