# Training on LMDBs of video clips (Vimeo-90K septuplets or your own videos converted with
# data_prep/create_lmdb.py), validation/test on a held-out set (e.g. Vid4), x4 bicubic (BI).
# Frames are used as Y (BT.601), as in the paper.
data_root = 'data/vimeo90k'
test_root = 'data/vid4'
scale = 4
num_frames = 3

train_pipeline = [
    # The reference trains on 100x100 LR crops; Vimeo-90K's 448x256 frames allow at most 64 LR
    # rows at x4 (256 GT). Larger crops give the ConvLSTM and the flow net more context than the
    # border padding.
    dict(type='PairedRandomCrop', gt_patch_size=256, scale=scale),
    dict(type='RandomFlipTranspose'),
    dict(type='RGBToY'),
    dict(type='PackVSRInputs'),
]
test_pipeline = [dict(type='RGBToY'), dict(type='PackVSRInputs')]

train_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=True,
    # Infinite sampler: mmengine's iteration loop pauses 2 s at every end of a finite epoch.
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='VideoTrainDataset', gt_path=f'{data_root}/train_GT.lmdb',
                 lq_path=f'{data_root}/train_BIx{scale}.lmdb', num_frames=num_frames,
                 scale=scale, pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='VideoTestDataset', gt_path=f'{test_root}/test_GT.lmdb',
                 lq_path=f'{test_root}/test_BIx{scale}.lmdb', num_frames=num_frames,
                 scale=scale, pipeline=test_pipeline),
)
test_dataloader = val_dataloader

# Video-SR tables (BasicVSR, EDVR, TOFlow as BasicSR / mmagic score Vid4; SPMC's own SPMCS
# figures) use PSNR / SSIM on Y with NO border crop, per clip then averaged: that is 'PSNR' and
# 'SSIM' here. The image-SR convention (crop `scale` pixels) is reported beside it as
# 'crop{scale}/PSNR' (TDAN / DUF / PFNL crop 8: add dict(type='PSNR', crop_border=8, prefix='crop8')).
val_evaluator = [dict(type='PSNR', crop_border=0), dict(type='SSIM', crop_border=0),
                 dict(type='PSNR', crop_border=scale, prefix=f'crop{scale}'),
                 dict(type='SSIM', crop_border=scale, prefix=f'crop{scale}')]
test_evaluator = val_evaluator
