# Warp-loss case 1: pixels in [-0.5, 0.5], holes filled with 0 (mid-grey) and counted in the loss.
_base_ = ['./_me_warploss_base.py']
model = dict(warp_loss=dict(type='WarpLoss', mask_holes=False),
             data_preprocessor=dict(type='VSRDataPreprocessor', shift=-0.5))
