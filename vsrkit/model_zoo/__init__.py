"""Ready-to-use weights: models that super-resolve without training first.

One entry per model, three files named after it, in this folder (installed with the package)
or in a folder listed in the ``VSRKIT_MODEL_ZOO`` environment variable (``os.pathsep``
separated, searched first):

- ``<name>.py``: a self-contained model-only config (``model = dict(...)``, no ``_base_``);
- ``<name>.pth``: the weights, a bare float32 state dict (loaded weights-only);
- ``<name>.json``: metadata: the source config and checkpoint, what the model was trained on,
  iterations, training time, its measured figures, notes, and the ``sha256`` of the ``.pth``
  (checked before the weights load).

The ``.json`` is written last, so an entry is listed only once its other files are complete.
:func:`export_model` (``tools/export_model.py``) is the only writer of entries;
:func:`vsrkit.apis.init_model` accepts a model name in place of a config path::

    from vsrkit.apis import init_model
    model = init_model('spmc_x4_demo')     # config and weights of the entry
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import time
from typing import Any, NamedTuple

from vsrkit.errors import CheckpointError, ConfigError

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
ENV_VAR = 'VSRKIT_MODEL_ZOO'
# Entries ship inside the package: keep them small enough for a wheel.
MAX_WEIGHTS_BYTES = 10 * 1024 * 1024
# Names are file names, and (the configs) module names of this package: lowercase identifiers.
_NAME = re.compile(r'^[a-z][a-z0-9_]*$')


class ZooEntry(NamedTuple):
    """The files of one zoo model."""
    name: str
    config: str   # <name>.py
    weights: str  # <name>.pth
    info: str     # <name>.json


def zoo_dirs() -> list[str]:
    """The folders searched for models: ``$VSRKIT_MODEL_ZOO`` entries first, then the package's."""
    extra = [d for d in os.environ.get(ENV_VAR, '').split(os.pathsep) if d]
    return [*extra, PACKAGE_DIR]


def _entry(folder: str, name: str) -> ZooEntry:
    base = os.path.join(folder, name)
    return ZooEntry(name, base + '.py', base + '.pth', base + '.json')


def _entries() -> dict[str, ZooEntry]:
    found: dict[str, ZooEntry] = {}
    for folder in zoo_dirs():
        if not os.path.isdir(folder):
            continue
        for file in sorted(os.listdir(folder)):
            name, ext = os.path.splitext(file)
            if ext == '.json' and _NAME.match(name) and name not in found:
                found[name] = _entry(folder, name)
    return found


def list_models() -> list[str]:
    """Names of the available models, sorted."""
    return sorted(_entries())


def looks_like_name(value: Any) -> bool:
    """Whether ``value`` means a zoo model: a bare name (no folder, no extension) that is not
    an existing file (an existing file of that name wins)."""
    return (isinstance(value, str) and _NAME.match(value) is not None
            and not os.path.exists(value))


def find_model(name: str) -> ZooEntry:
    """The entry of ``name``; a one-line :class:`ConfigError` listing the known names if none."""
    entries = _entries()
    if name not in entries:
        known = ', '.join(sorted(entries)) or 'none'
        raise ConfigError(f'{name}: not a config file nor a known model (known models: {known}; '
                          f'folders searched: {", ".join(zoo_dirs())})')
    entry = entries[name]
    for path in (entry.config, entry.weights):
        if not os.path.isfile(path):
            raise ConfigError(f'{path}: missing, the model {name} is incomplete '
                              '(re-export it with tools/export_model.py)')
    return entry


def get_model_info(name: str) -> dict:
    """The metadata of ``name`` (its ``.json``: source, training, ``figures``, ``sha256``, ...)."""
    path = find_model(name).info
    try:
        with open(path, encoding='utf-8') as f:
            info = json.load(f)
    except (OSError, ValueError) as err:
        raise ConfigError(f'{path}: unreadable model metadata ({err})') from None
    if not isinstance(info, dict) or not isinstance(info.get('sha256'), str):
        raise ConfigError(f'{path}: model metadata without a "sha256" entry')
    return info


def file_sha256(path: str) -> str:
    """Hex SHA-256 of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def verified_weights(name: str) -> str:
    """Path of the weights of ``name`` after checking their sha256 against the metadata; a
    one-line :class:`CheckpointError` naming the file when they differ."""
    entry, want = find_model(name), get_model_info(name)['sha256']
    got = file_sha256(entry.weights)
    if got != want:
        raise CheckpointError(f'{entry.weights}: sha256 {got[:16]}... does not match the '
                              f'{want[:16]}... recorded in {entry.info} (damaged or replaced '
                              'file; re-export it with tools/export_model.py)')
    return entry.weights


def flat_figures(figures: Any, prefix: str = '') -> dict[str, Any]:
    """Nested ``figures`` as ``{'real.psnr0': 31.6, ...}`` (dotted keys, leaves unchanged)."""
    if not isinstance(figures, dict):
        return {prefix: figures} if prefix else {}
    flat: dict[str, Any] = {}
    for key, value in figures.items():
        flat.update(flat_figures(value, f'{prefix}.{key}' if prefix else str(key)))
    return flat


def _training_data(cfg) -> list[str]:
    """Every dataset of ``cfg.train_dataloader`` as ``Type(path, ...)``, nested ones included."""
    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            paths = [str(v) for k, v in node.items() if k.endswith('path')]
            if 'type' in node and paths:
                found.append(f"{node['type']}({', '.join(paths)})")
            for value in node.values():
                walk(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                walk(value)

    walk((cfg.get('train_dataloader') or {}).get('dataset'))
    return found


def _training_seconds(checkpoint: dict) -> float | None:
    """Summed iteration times of the run (mmengine logs ``train/time`` for every iteration;
    validation is not included), or None when the checkpoint has no such history."""
    hub = checkpoint.get('message_hub')
    buffer = hub.get('log_scalars', {}).get('train/time') if isinstance(hub, dict) else None
    history = getattr(buffer, '_log_history', None)
    return None if history is None else round(float(history.sum()), 1)


def export_model(config: str, checkpoint: str, name: str, out_dir: str = PACKAGE_DIR,
                 figures: Any = None, notes: str | None = None,
                 figures_source: str | None = None) -> ZooEntry:
    """Write the zoo entry ``name`` into ``out_dir`` from a training ``config`` and an mmengine
    ``checkpoint`` (or bare state dict).

    The model of ``config`` is built and the checkpoint loaded into it strictly (so the entry is
    known to fit); its state dict is saved float32 without optimizer or message hub, ``cfg.model``
    as a self-contained config, and the metadata (``figures`` copied as given, e.g. the content
    of an evaluation JSON). Every file is written atomically, the ``.json`` last. Refuses weights
    over :data:`MAX_WEIGHTS_BYTES`.
    """
    import torch
    from mmengine.config import Config

    from vsrkit.apis.inference import init_model
    from vsrkit.cli import load_checked_config
    from vsrkit.utils.checkpoint import (atomic_write_bytes, fitting_state_dict,
                                         load_checkpoint_file)

    if not _NAME.match(name):
        raise ConfigError(f'{name}: a model name is lowercase letters, digits and _, '
                          'starting with a letter')
    cfg = load_checked_config(config, build_model=False)
    model = init_model(cfg)  # applies vsrkit's mmengine patches before anything loads
    source = load_checkpoint_file(checkpoint)
    model.load_state_dict(fitting_state_dict(checkpoint, source, model))
    state = {k: v.float() if v.is_floating_point() else v for k, v in model.state_dict().items()}
    buffer = io.BytesIO()
    torch.save(state, buffer)
    weights = buffer.getvalue()
    if len(weights) > MAX_WEIGHTS_BYTES:
        raise CheckpointError(f'{checkpoint}: the weights take {len(weights) / 2**20:.1f} MiB, '
                              f'over the {MAX_WEIGHTS_BYTES / 2**20:.0f} MiB a packaged model may '
                              'use')
    meta = source.get('meta') if isinstance(source.get('meta'), dict) else {}
    dataset_meta = meta.get('dataset_meta') if isinstance(meta.get('dataset_meta'), dict) else {}
    model_cfg = Config(dict(model=cfg.model.to_dict()))
    info = {
        'name': name,
        'model': {'type': type(model).__name__, 'scale': int(model.scale),
                  'num_frames': int(model.num_frames), 'in_channels': int(model.in_channels),
                  'parameters': sum(p.numel() for p in model.parameters())},
        'source_config': os.path.abspath(config),
        'source_checkpoint': os.path.abspath(checkpoint),
        'trained_on': {'datasets': _training_data(cfg),
                       'clips': dataset_meta.get('clips')},
        'iterations': meta.get('iter'),
        'training_seconds': _training_seconds(source),
        'figures': figures,
        'figures_source': figures_source,
        'notes': notes,
        'exported': time.strftime('%Y-%m-%d %H:%M:%S'),
        'sha256': hashlib.sha256(weights).hexdigest(),
    }
    entry = _entry(out_dir, name)
    header = (f'# Model-only config of the zoo model {name}, exported by tools/export_model.py\n'
              f'# from {info["source_config"]}.\n')
    atomic_write_bytes(weights, entry.weights)
    atomic_write_bytes((header + model_cfg.pretty_text).encode(), entry.config)
    atomic_write_bytes((json.dumps(info, indent=1) + '\n').encode(), entry.info)
    return entry
