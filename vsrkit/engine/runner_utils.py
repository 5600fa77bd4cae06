"""What tools/train.py, tools/test.py and tools/demo.py share: config loading with clear errors,
work-dir choice, distributed set-up on CPU or GPU."""
from __future__ import annotations

import os
import os.path as osp
from typing import Optional

import torch
import torch.distributed as dist
from mmengine.config import Config

from vsrkit.registry import ConfigError


def load_config(path: str, cfg_options: Optional[dict] = None, work_dir: Optional[str] = None,
                launcher: str = 'none') -> Config:
    """Read a config file (``_base_`` inheritance), apply ``--cfg-options``, the work dir and
    the launcher. Work dir: ``work_dir`` > the config's ``work_dir`` > ``work_dirs/<stem>``."""
    if not osp.isfile(path):
        raise ConfigError(f'{path}: config file not found')
    try:
        cfg = Config.fromfile(path)
    except (SyntaxError, FileNotFoundError, KeyError, ValueError, TypeError) as err:
        raise ConfigError(f'{path}: cannot read config ({type(err).__name__}: '
                          f'{str(err).splitlines()[0] if str(err) else ""})') from None
    if cfg_options:
        try:
            cfg.merge_from_dict(cfg_options)
        except (TypeError, KeyError, ValueError) as err:
            raise ConfigError(f'{path}: --cfg-options {" ".join(f"{k}={v}" for k, v in cfg_options.items())} '
                              f'cannot be applied ({str(err).splitlines()[0][:300]})') from None
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('work_dirs', osp.splitext(osp.basename(path))[0])
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
