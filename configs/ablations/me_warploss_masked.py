# Warp-loss case 3 (the seed's best): pixels in [-0.5, 0.5], loss only over mapped pixels.
_base_ = ['./_me_warploss_base.py']
model = dict(warp_loss=dict(type='WarpLoss', mask_holes=True),
             data_preprocessor=dict(type='VSRDataPreprocessor', shift=-0.5))
