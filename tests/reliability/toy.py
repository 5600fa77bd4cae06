"""A tiny mmengine set-up for the in-process reliability tests: a model whose training
step draws random numbers (dropout), data with known values, and a Runner factory."""
import logging

import numpy as np
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch import nn
from torch.utils.data import Dataset

_n = [0]


class NoisyToy(BaseModel):
    """Linear model with dropout in training: its losses depend on the torch RNG stream.
    ``nan_at`` (a set of call numbers) makes those training steps' loss NaN."""

    def __init__(self, nan_at=(), nan_grad_at=()):
        super().__init__()
        self.motion = nn.Linear(4, 4)
        self.fusion = nn.Linear(4, 4)
        self.nan_at, self.nan_grad_at = set(nan_at), set(nan_grad_at)
        self.calls = 0

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.fusion(nn.functional.dropout(self.motion(inputs), 0.5, self.training))
        if mode != 'loss':
            return out
        self.calls += 1
        loss = ((out - data_samples['gt']) ** 2).mean()
        if self.calls in self.nan_at:
            loss = loss * float('nan')
        if self.calls in self.nan_grad_at:  # finite loss, NaN gradient: d sqrt(x)/dx at 0
            loss = loss + torch.sqrt(self.motion.weight.sum() * 0)
        return dict(loss=loss)


class ToyData(Dataset):
    """16 fixed samples; ``noise`` adds numpy noise per draw (like a random crop/flip)."""

    def __init__(self, n=16, noise=False):
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(n, 4, generator=g)
        self.y = torch.randn(n, 4, generator=g)
        self.noise = noise

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        x = self.x[i]
        if self.noise:
            x = x + torch.from_numpy(np.random.randn(4).astype(np.float32))
        return dict(inputs=x, data_samples=dict(gt=self.y[i]))


def make_runner(work_dir, model, max_iters, hooks=None, resume_from=None,
                wrapper='NonFiniteGuardOptimWrapper', shuffle=True, num_workers=0,
                loop='NoReplayIterBasedTrainLoop'):
    _n[0] += 1
    return Runner(
        model=model, work_dir=str(work_dir), experiment_name=f'rel_toy_{_n[0]}',
        train_dataloader=dict(dataset=ToyData(noise=True), batch_size=4, num_workers=num_workers,
                              persistent_workers=False,
                              sampler=dict(type='InfiniteSampler', shuffle=shuffle),
                              collate_fn=dict(type='default_collate')),
        train_cfg=dict(type=loop, max_iters=max_iters),
        optim_wrapper=dict(type=wrapper, optimizer=dict(type='Adam', lr=0.01)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False),
                           logger=dict(type='LoggerHook', interval=1), **(hooks or {})),
        resume=resume_from is not None, load_from=resume_from,
        default_scope='vsrkit', randomness=dict(seed=0), log_level=logging.INFO)


def losses(runner):
    """Per-iteration training losses from the runner's message hub history."""
    buf = runner.message_hub.get_scalar('train/loss')
    return [float(v) for v in buf.data[0]]
