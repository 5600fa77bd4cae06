"""vsrkit: video super-resolution components, datasets and training on mmengine.

Importing vsrkit changes nothing outside it. The command-line tools and
:func:`vsrkit.apis.init_model` make mmengine's checkpoints safe (weights-only loading,
atomic saves) with one explicit call, :func:`vsrkit.utils.checkpoint.patch_mmengine`; code
that drives mmengine's Runner itself calls it first.
"""
__version__ = '0.1.0'
