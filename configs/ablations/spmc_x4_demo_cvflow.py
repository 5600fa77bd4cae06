# Ablation: classical optical flow (OpenCV DIS, no training) as the motion estimator; only
# fusion trains (_fusion_only_base.py).
_base_ = ['./_fusion_only_base.py']
model = dict(motion=dict(_delete_=True, type='OpenCVFlowMotion', method='dis', preset='medium'))
