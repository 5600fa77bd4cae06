"""VSRVisualizationHook: pictures of one fixed validation sample at every validation."""
from __future__ import annotations

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from vsrkit.registry import HOOKS, ConfigError


@HOOKS.register_module()
class VSRVisualizationHook(Hook):
    """After each validation, draw one fixed validation sample through the runner's visualizer.

    Writes (via ``runner.visualizer.add_image``, so to every configured backend: the local one
    saves ``<work_dir>/<timestamp>/vis_data/vis_image/<name>_<iter>.png``, TensorBoard logs
    them when installed) the images of :func:`vsrkit.visualization.render_sample`:
    ``val_flow`` (colour-wheel flows of the neighbours), ``val_spmc`` (sparse SPMC map and its
    splat weights), ``val_panel`` (LR / bicubic / SR / GT crops with PSNR).

    Config::

        custom_hooks = [dict(type='VSRVisualizationHook', sample_index=0)]

    Args:
        sample_index: index into the validation dataset (the same sample every time, so the
            pictures show progress).
        crop_size: HR crop of the panel (the most textured window of the GT).
        interval: draw at every ``interval``-th validation.
        prefix: image name prefix.
    """

    priority = 'LOW'

    def __init__(self, sample_index: int = 0, crop_size: int = 96, interval: int = 1,
                 prefix: str = 'val'):
        if not isinstance(sample_index, int) or sample_index < 0:
            raise ConfigError(f'VSRVisualizationHook: sample_index must be an int >= 0, '
                              f'got {sample_index!r}')
        if not isinstance(interval, int) or interval < 1:
            raise ConfigError(f'VSRVisualizationHook: interval must be an int >= 1, got {interval!r}')
        self.sample_index = sample_index
        self.crop_size = crop_size
        self.interval = interval
        self.prefix = prefix
        self._count = 0

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._count += 1
        if (self._count - 1) % self.interval or not is_main_process():
            return  # the visualizer writes on rank 0 only: the other ranks skip the forward
        from vsrkit.visualization import render_sample  # matplotlib etc. only when used
        dataset = runner.val_dataloader.dataset
        if self.sample_index >= len(dataset):
            raise ConfigError(f'VSRVisualizationHook: sample_index {self.sample_index} is out '
                              f'of range for a validation set of {len(dataset)} items')
        item = dataset[self.sample_index]
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        was_training = model.training
        model.eval()
        try:
            images = render_sample(model, item['inputs'], item['data_samples'].get('gt'),
                                   crop_size=self.crop_size)
        finally:
            model.train(was_training)
        for name, img in images.items():
            if name != 'scores':
                runner.visualizer.add_image(f'{self.prefix}_{name}', img, step=runner.iter)
