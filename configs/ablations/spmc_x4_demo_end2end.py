# Ablation: end-to-end training from random initialisation (no stages): motion and fusion train
# together from iteration 0 with the joint-stage losses (L_SR + 0.01 L_ME + 0.1 flow loss on
# the synthetic windows), for the baseline's total
# iterations. The paper reports that the flow then collapses to zero (hence its staged
# protocol); tools/ablate.py reports the mean |flow| to show whether it does.
_base_ = ['../spmc/spmc_x4_demo.py']
custom_hooks = [dict(type='StageHook', stages=[dict(_base_.stage_plan[2], begin=0)])]
