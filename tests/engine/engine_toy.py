"""A toy restorer with the restorers' stage interface: ``motion``/``compensation``/``fusion``
submodules and ``set_loss_weights``. Every loss depends on both trainable parts, so only
freezing (not the loss choice) keeps a part fixed."""
import torch
from mmengine.model import BaseModel
from torch import nn
from torch.utils.data import Dataset


class ToyVSR(BaseModel):

    def __init__(self):
        super().__init__()
        self.motion = nn.Linear(4, 4)
        self.compensation = nn.Identity()
        self.fusion = nn.Linear(4, 4)
        self.loss_weights = dict(warp=1.0, tv=0.0, sr=1.0)

    def set_loss_weights(self, weights: dict) -> None:
        unknown = set(weights) - set(self.loss_weights)
        if unknown:
            raise KeyError(f'ToyVSR: unknown loss weight(s) {sorted(unknown)}')
        self.loss_weights.update(weights)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.fusion(torch.tanh(self.motion(inputs)))
        if mode == 'tensor':
            return out
        gt = data_samples['gt']
        if mode == 'predict':
            return [dict(pred=o, gt=g) for o, g in zip(out, gt)]
        w, losses = self.loss_weights, {}
        if w['warp']:
            losses['loss_warp'] = w['warp'] * (out - gt).abs().mean()
        if w['sr']:
            losses['loss_sr'] = w['sr'] * ((out - gt) ** 2).mean()
        if w['tv']:
            losses['loss_tv'] = w['tv'] * out.abs().mean()
        return losses


class ToyData(Dataset):

    def __init__(self, n=16):
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(n, 4, generator=g)
        self.y = torch.randn(n, 4, generator=g)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return dict(inputs=self.x[i], data_samples=dict(gt=self.y[i]))
