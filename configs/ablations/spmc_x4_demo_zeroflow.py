# Ablation: no motion compensation (zero flow, ZeroMotion): every frame is splatted unmoved.
# With nothing to learn in the motion stage, only fusion trains (_fusion_only_base.py).
_base_ = ['./_fusion_only_base.py']
model = dict(motion=dict(_delete_=True, type='ZeroMotion'))
