# Model-only config of the zoo model spmc_x4_demo, exported by tools/export_model.py
# from /work/main/configs/spmc/spmc_x4_demo.py.
model = dict(
    compensation=dict(align='center', type='SPMC', with_weights=True),
    data_preprocessor=dict(shift=-0.5, type='VSRDataPreprocessor'),
    fusion=dict(
        dec_channels=(
            32,
            16,
            16,
            8,
            8,
        ),
        enc_channels=(
            8,
            16,
            16,
            32,
        ),
        lstm_channels=32,
        type='DetailFusionNet',
        use_lstm=True),
    in_channels=1,
    loss_weights=dict(sr=1.0, tv=0.01, warp=1.0),
    motion=dict(
        coarse_channels=(
            24,
            24,
            24,
            24,
        ),
        fine_channels=(
            24,
            24,
            24,
            24,
        ),
        type='VESPCNMotion'),
    num_frames=3,
    scale=4,
    sr_loss=dict(criterion='l2', type='TemporalSRLoss', weights='linear'),
    tv_loss=dict(type='FlowTVLoss'),
    type='SPMCVSR',
    warp_loss=dict(mask_holes=True, type='WarpLoss'))
