# Warp-loss case 2: pixels in [0, 1], holes filled with 0 (black) and counted in the loss.
_base_ = ['./_me_warploss_base.py']
model = dict(warp_loss=dict(type='WarpLoss', mask_holes=False),
             data_preprocessor=dict(type='VSRDataPreprocessor', shift=0.0))
