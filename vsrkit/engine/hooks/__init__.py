"""Training hooks: StageHook (staged freezing and loss weights)."""
from .stage_hook import StageHook

__all__ = ['StageHook']
