# Ablation: end-to-end training from random initialisation (no stages): motion and fusion train
# together from iteration 0 with the joint-stage losses L_SR + 0.01 L_ME, for the baseline's total
# iterations. The paper reports that the flow then collapses to zero (SPEC "Training protocol");
# tools/ablate.py reports the mean |flow| to show whether it does.
_base_ = ['../spmc/spmc_x4_demo.py']
custom_hooks = [dict(type='StageHook', stages=[
    dict(name='joint', begin=0, trainable=['motion', 'fusion'],
         loss_weights=dict(sr=1.0, warp=0.01, tv=0.01 * 0.01))])]
