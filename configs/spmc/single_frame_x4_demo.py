# Single-frame baseline for the demo: the same detail-fusion net (same widths) fed only the
# reference frame, trained for the same number of SR iterations as SPMC's fusion + joint
# stages, with the same batch, optimizer and learning-rate curve. The difference to SPMC is
# what the neighbouring frames (motion estimation + SPMC) contribute.
_base_ = ['./spmc_x4_demo.py']

model = dict(
    _delete_=True,
    type='SingleFrameVSR',
    scale=4,
    num_frames=3,  # consumes the same 3-frame windows and uses the centre frame
    in_channels=1,
    fusion=_base_.model.fusion,
    sr_loss=_base_.model.sr_loss,
    data_preprocessor=_base_.model.data_preprocessor,
)

sr_iters = _base_.fusion_iters + _base_.joint_iters
stages = [dict(name='fusion', begin=0, trainable=['fusion'], loss_weights=dict(sr=1.0))]
custom_hooks = [dict(type='StageHook', stages=stages)]
train_cfg = dict(max_iters=sr_iters)
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=False, begin=0, end=sr_iters,
                        T_max=sr_iters, eta_min=1e-5)]
