"""A LogProcessor that names the current training stage in every training log line."""
from __future__ import annotations

from mmengine.runner import LogProcessor

from vsrkit.registry import LOG_PROCESSORS


@LOG_PROCESSORS.register_module()
class StageLogProcessor(LogProcessor):
    """mmengine's LogProcessor, plus ``stage: <name>`` (set by StageHook) after the iteration
    counter of training lines: ``Iter(train) [ 40/900]  stage: fusion  lr: ...``."""

    def get_log_after_iter(self, runner, batch_idx: int, mode: str):
        tag, log_str = super().get_log_after_iter(runner, batch_idx, mode)
        stage = runner.message_hub.get_info('stage')
        if mode == 'train' and stage is not None:
            head, sep, rest = log_str.partition(']  ')
            log_str = f'{head}{sep}stage: {stage}  {rest}' if sep else f'{log_str}  stage: {stage}'
        return tag, log_str
