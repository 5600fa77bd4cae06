# Ablation: detail fusion without the ConvLSTM (the encoder output goes straight to the decoder,
# so each time step sees one compensated frame). Everything else as spmc_x4_demo.py.
_base_ = ['../spmc/spmc_x4_demo.py']
model = dict(fusion=dict(use_lstm=False))
