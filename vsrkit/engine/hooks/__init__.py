"""Training hooks: StageHook (staged freezing and loss weights), VSRVisualizationHook (pictures)."""
from .stage_hook import StageHook
from .visualization_hook import VSRVisualizationHook

__all__ = ['StageHook', 'VSRVisualizationHook']
