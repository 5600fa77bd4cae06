"""Small shared helpers: safe checkpoints (weights-only loading, atomic saves, the mmengine patches)."""
