# SPMC x3 (bicubic), 3 frames: the x4 protocol with the scale swapped everywhere it appears.
_base_ = ['./spmc_x4_3f_lmdb.py']
scale = 3

model = dict(scale=scale)
train_dataloader = dict(dataset=dict(
    scale=scale, lq_path=f'{_base_.data_root}/train_BIx{scale}.lmdb',
    pipeline=[dict(type='PairedRandomCrop', gt_patch_size=255, scale=scale),
              *_base_.train_pipeline[1:]]))
val_dataloader = dict(dataset=dict(scale=scale, lq_path=f'{_base_.test_root}/test_BIx{scale}.lmdb'))
test_dataloader = val_dataloader
val_evaluator = [*_base_.val_evaluator[:2], dict(type='PSNR', crop_border=scale, prefix=f'crop{scale}'),
                 dict(type='SSIM', crop_border=scale, prefix=f'crop{scale}')]
test_evaluator = val_evaluator
