# The paper's protocol (spmc_x4_3f_lmdb.py) in mixed precision, for GPUs: the forward runs under
# bfloat16 autocast (Ampere or newer); on older GPUs use float16, which adds dynamic loss scaling:
#   --cfg-options optim_wrapper.dtype=float16
# The warps, the SPMC splat and the bicubic base stay in float32 (vsrkit/ops/precision.py); the
# NaN/Inf guard stays on (AmpGuardOptimWrapper, vsrkit/engine/amp.py). The fusion net already runs
# channels-last and cuDNN picks its algorithms by timing (env_cfg.cudnn_benchmark).
_base_ = ['./spmc_x4_3f_lmdb.py']

optim_wrapper = dict(type='AmpGuardOptimWrapper', dtype='bfloat16')
