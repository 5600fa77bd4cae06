"""What the training and testing tools share when they hand a config to mmengine's Runner:
the work dir and the launcher, with distributed set-up on the CPU or GPU."""
from __future__ import annotations

import os
import os.path as osp
from typing import Optional

import torch
import torch.distributed as dist
from mmengine.config import Config

from vsrkit.errors import ConfigError


def configure_run(cfg: Config, config_path: str, work_dir: Optional[str] = None,
                  launcher: str = 'none') -> Config:
    """Set the work dir (``work_dir`` > the config's ``work_dir`` > ``work_dirs/<config stem>``)
    and the launcher of ``cfg`` (starting the process group for ``'pytorch'``)."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('work_dirs', osp.splitext(osp.basename(config_path))[0])
    if launcher not in ('none', 'pytorch'):
        raise ConfigError(f"--launcher must be 'none' or 'pytorch', got {launcher!r}")
    cfg.launcher = launcher
    if launcher != 'none':
        setup_distributed(cfg)
    return cfg


def setup_distributed(cfg: Config) -> None:
    """Start the process group for ``torchrun``: nccl with CUDA, gloo on the CPU.

    mmengine 0.10.7's own initialisation always calls ``torch.cuda.set_device`` and hands
    DDP ``device_ids=[LOCAL_RANK]``, both of which fail on a CPU-only machine; so on the CPU
    we start the group ourselves (mmengine then skips its own) and build DDP without
    device ids.
    """
    for var in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_ADDR', 'MASTER_PORT'):
        if var not in os.environ:
            raise ConfigError(f'--launcher pytorch needs ${var}: start the script with torchrun '
                              '(torchrun --nproc_per_node=N tools/train.py CONFIG --launcher pytorch)')
    cuda = torch.cuda.is_available()
    backend = 'nccl' if cuda else 'gloo'
    env_cfg = cfg.get('env_cfg') or {}
    env_cfg['dist_cfg'] = {**(env_cfg.get('dist_cfg') or {}), 'backend': backend}
    cfg.env_cfg = env_cfg
    wrapper = dict(cfg.get('model_wrapper_cfg') or dict(type='MMDistributedDataParallel'))
    if not cuda:
        wrapper['device_ids'] = None
        if not dist.is_initialized():
            dist.init_process_group(backend='gloo')
    cfg.model_wrapper_cfg = wrapper
