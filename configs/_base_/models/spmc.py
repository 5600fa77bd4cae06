# SPMC (Tao et al., ICCV 2017) at the paper's sizes: x4, 3 frames, Y channel.
# Every part is a registry config, so an ablation overrides one key.
model = dict(
    type='SPMCVSR',
    scale=4,
    num_frames=3,
    in_channels=1,  # Y (BT.601); 3 for RGB (then drop RGBToY from the pipelines)
    # VESPCN's coarse-to-fine motion net (widths 24 as in VESPCN).
    motion=dict(type='VESPCNMotion', coarse_channels=(24, 24, 24, 24), fine_channels=(24, 24, 24, 24)),
    # Sub-pixel motion compensation: forward warp + upscale in one splat (no parameters).
    # align='center': LR pixel x sits at HR 4x + 1.5, as MATLAB imresize makes BI/BD data
    # ('corner' is the paper's grid, for LR made with its own resize).
    compensation=dict(type='SPMC', align='center'),
    # Encoder / ConvLSTM / decoder with skips, the reference implementation's layers and widths.
    fusion=dict(type='DetailFusionNet', enc_channels=(32, 64, 64, 128), lstm_channels=128,
                dec_channels=(128, 64, 64, 32, 32), use_lstm=True),
    # Warp loss only over pixels whose sample lies inside the reference: a zero-filled sample
    # outside would pull the flow towards whatever makes the border match zero.
    warp_loss=dict(type='WarpLoss', mask_holes=True),
    tv_loss=dict(type='FlowTVLoss'),
    # L_SR = sum_i k_i ||I^H - I^(i)||^2, k_i rising linearly 0.5 -> 1 (normalised) as in the
    # reference code: the later outputs have seen the reference frame and more neighbours.
    sr_loss=dict(type='TemporalSRLoss', weights='linear', criterion='l2'),
    # StageHook sets the weights per stage; these apply without it.
    loss_weights=dict(warp=1.0, tv=0.01, sr=1.0),
    # [0, 1] -> [-0.5, 0.5]: a zero-filled warp hole is then mid-grey, far cheaper in the loss.
    data_preprocessor=dict(type='VSRDataPreprocessor', shift=-0.5),
)
