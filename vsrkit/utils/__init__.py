"""Small shared helpers: safe checkpoints (weights-only loading, atomic saves, the mmengine patches);
``torch.compile`` with a fallback."""
