"""Bad configs fail in the pre-flight check of tools/train.py, before any data is read or
any step trained: one line naming the config key at fault and what is allowed."""
import importlib.util
import os

import pytest

from conftest import ROOT

spec = importlib.util.spec_from_file_location('rel_train_cli', os.path.join(ROOT, 'tools', 'train.py'))
train_tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(train_tool)

CASES = [
    # unknown component types, with the closest registered name
    ('model.motion.type=VESPCNMotoin',
     "model.motion.type: unknown model type 'VESPCNMotoin' (did you mean 'VESPCNMotion'?); allowed: "),
    ('train_dataloader.dataset.pipeline.1.type=RandomFlip',
     "train_dataloader.dataset.pipeline[1].type: unknown transform type 'RandomFlip'"),
    ('custom_hooks.0.type=StagHook', "custom_hooks[0].type: unknown hook type 'StagHook' (did you mean 'StageHook'?)"),
    ('optim_wrapper.optimizer.type=Adamm', "optim_wrapper.optimizer.type: unknown optimizer type 'Adamm'"),
    # misspelled arguments, anywhere in the tree
    ('model.fusion.lstm_channel=8',
     "model.fusion: DetailFusionNet has no argument 'lstm_channel' (did you mean 'lstm_channels'?); allowed: "),
    ('train_cfg.max_iter=3', "train_cfg: NoReplayIterBasedTrainLoop has no argument 'max_iter' (did you mean 'max_iters'?)"),
    ('optim_wrapper.optimizer.betas1=0.9', "optim_wrapper.optimizer: Adam has no argument 'betas1'"),
    ('train_dataloader.dataset.gt_pth=x', "train_dataloader.dataset: VideoTrainDataset has no argument 'gt_pth'"),
    # a stage names a module the model lacks
    ('custom_hooks.0.stages.1.trainable=[fusoin]',
     "custom_hooks[0].stages: StageHook: stage 'fusion' names unknown module(s) ['fusoin']; "
     "the model (SPMCVSR) has: ['compensation', 'data_preprocessor', "),
    # data and model disagree
    ('model.scale=3', 'train_dataloader.dataset.pipeline[0].scale=4 but model.scale=3: they must agree'),
    ('train_dataloader.dataset.scale=2', 'train_dataloader.dataset.scale=2 but model.scale=4'),
    ('model.num_frames=5', 'train_dataloader.dataset.num_frames=3 but model.num_frames=5'),
    ('model.in_channels=3', 'train_dataloader.dataset.pipeline has RGBToY but model.in_channels=3'),
    # the non-finite guard hook without its optimizer wrapper
    ('optim_wrapper.type=OptimWrapper',
     "default_hooks.nonfinite: NonFiniteLossHook needs optim_wrapper.type='NonFiniteGuardOptimWrapper'"),
]


@pytest.mark.parametrize('option,message', CASES, ids=[c[0].split('=')[0] for c in CASES])
def test_bad_config_fails_before_training_naming_the_key(resume_config, tmp_path, capsys, option, message):
    work = tmp_path / 'work'
    rc = train_tool.main([resume_config, '--work-dir', str(work), '--cfg-options', option])
    err = capsys.readouterr().err.strip()
    assert rc == 2, err
    assert err.startswith('train.py: error: ') and '\n' not in err, err
    assert message in err, err
    assert not work.exists()  # failed before the runner made its work dir


def test_every_shipped_config_passes_the_check(resume_config):
    import glob
    from vsrkit.engine.config import check_config, load_config
    paths = [p for p in glob.glob(os.path.join(ROOT, 'configs', '**', '*.py'), recursive=True)
             if '_base_' not in p]
    assert len(paths) >= 6
    for path in [resume_config, *sorted(paths)]:
        check_config(load_config(path), build_model=False)  # raises on any problem
    check_config(load_config(resume_config))  # with the model built for the stage check
