# Runtime shared by every vsrkit config: scope, hooks, logging, checkpoints, environment.
default_scope = 'vsrkit'

env_cfg = dict(
    # GPU: cuDNN times its algorithms once per input shape and keeps the fastest (training crops
    # have one shape). No effect on the CPU.
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # tools/train.py picks nccl with CUDA and gloo on the CPU (see vsrkit/engine/runner_utils.py).
    dist_cfg=dict(backend='nccl'),
)
# Staged training freezes whole modules and skips zero-weight losses, so in any stage some
# parameters get no gradient: DDP must look for unused parameters.
model_wrapper_cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=True)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    # log_metric_by_epoch=False: validation results are logged against the iteration.
    logger=dict(type='LoggerHook', interval=100, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # Keeps the latest few and the best checkpoint by validation PSNR (best_PSNR_iter_N.pth).
    checkpoint=dict(type='CheckpointHook', interval=5000, by_epoch=False, max_keep_ckpts=3,
                    save_best='PSNR', rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # NaN/Inf loss or gradient: the step is skipped (NonFiniteGuardOptimWrapper); after
    # max_consecutive in a row the run stops with last_good.pth (docs/RELIABILITY.md).
    nonfinite=dict(type='NonFiniteLossHook', max_consecutive=10),
    # Global RNG states saved in every checkpoint and restored on --resume.
    rng_state=dict(type='RNGStateHook'),
)
# Prints `stage: <name>` in every training log line (set by StageHook).
log_processor = dict(type='StageLogProcessor', by_epoch=False, window_size=20)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)
