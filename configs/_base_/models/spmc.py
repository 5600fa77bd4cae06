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
    compensation=dict(type='SPMC'),
    # Encoder / ConvLSTM / decoder with skips, the paper's widths.
    fusion=dict(type='DetailFusionNet', enc_channels=(32, 64, 64, 128, 128), lstm_channels=128,
                dec_channels=(64, 64, 32), use_lstm=True),
    # Warp loss only over pixels that received a mapping: a hole (a pixel warped from outside
    # the frame) says nothing about the flow, yet would pull it.
    warp_loss=dict(type='WarpLoss', mask_holes=True),
    tv_loss=dict(type='FlowTVLoss'),
    # L_SR = sum_i k_i ||I^H - I^(i)||^2; None = uniform k_i over the time steps.
    sr_loss=dict(type='TemporalSRLoss', weights=None, criterion='l2'),
    # StageHook sets the weights per stage; these apply without it.
    loss_weights=dict(warp=1.0, tv=0.01, sr=1.0),
    # [0, 1] -> [-0.5, 0.5]: warp holes are filled with 0, which is then mid-grey, not black,
    # so they cost the warp loss far less.
    data_preprocessor=dict(type='VSRDataPreprocessor', shift=-0.5),
)
