"""What the training and testing tools share when they hand a config to mmengine's Runner:
the work dir and the launcher, with distributed set-up on the CPU or GPU, and failures of
other processes of a distributed run as one-line errors."""
from __future__ import annotations

import datetime
import os
import os.path as osp
import re
from contextlib import contextmanager
from typing import Optional

import torch
import torch.distributed as dist
from mmengine.config import Config

from vsrkit.errors import ConfigError, DistributedError


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
            # mmengine's own set-up reads dist_cfg.timeout (seconds) too: how long a collective
            # waits for a process that stopped answering (torch's default: 30 minutes).
            timeout = env_cfg['dist_cfg'].get('timeout')
            dist.init_process_group(backend='gloo', timeout=None if timeout is None
                                    else datetime.timedelta(seconds=timeout))
    cfg.model_wrapper_cfg = wrapper


# What gloo / NCCL / the c10d store say (in a plain RuntimeError) when a peer is gone or silent.
_PEER_LOST = re.compile(r'Connection (closed|reset) by peer|Broken pipe|timed out|gloo|NCCL|c10d',
                        re.IGNORECASE)


@contextmanager
def peer_failures_as_errors():
    """Turn a collective that fails because another process is gone into one line.

    A peer killed with ``kill -9`` closes its connections, and the next collective of every
    other rank fails at once ("Connection closed by peer"); a peer that hangs makes them wait
    for the process group's timeout (``env_cfg.dist_cfg.timeout``). Either way each remaining
    rank raises :class:`DistributedError` naming itself, instead of a traceback from inside
    the collective.
    """
    try:
        yield
    except RuntimeError as err:
        from_torch = isinstance(err, getattr(dist, 'DistError', ())) or (
            type(err) is RuntimeError and _PEER_LOST.search(str(err)))  # not vsrkit's subclasses
        if not (from_torch and dist.is_available() and dist.is_initialized()):
            raise
        lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
        cause = re.sub(r'^\[[^\]]*\]\s*', '', lines[0] if lines else type(err).__name__)
        cause = cause.split('. ')[0][:200]  # gloo adds advice sentences
        raise DistributedError(f'rank {dist.get_rank()} of {dist.get_world_size()}: another process of '
                               f'the run failed or stopped answering ({cause}); stopping') from None
