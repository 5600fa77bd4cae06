# Ablation: the paper's baseline compensation (backward warp in LR, then bicubic x4) instead of
# the SPMC layer. Everything else as configs/spmc/spmc_x4_demo.py.
_base_ = ['../spmc/spmc_x4_demo.py']
model = dict(compensation=dict(_delete_=True, type='BackwardWarpResize'))
