"""Export a trained checkpoint as a ready-to-use model (installed as ``vsrkit-export-model``).

    python tools/export_model.py CONFIG CKPT NAME [--info JSON] [--notes TEXT]
                                 [--out-dir vsrkit/model_zoo]

Builds the model of the training CONFIG, loads CKPT (an mmengine checkpoint) into it strictly
and writes NAME.pth (bare float32 state dict: no optimizer, no message hub), NAME.py (the
model-only config, self-contained) and NAME.json (source, training data, iterations, training
time, --info's content under "figures", --notes, the sha256 of NAME.pth) into --out-dir,
each atomically, the .json last. Refuses weights over 10 MiB (they ship inside the package).
Afterwards ``tools/infer.py NAME INPUT OUTPUT`` and ``init_model('NAME')`` use them (for a
--out-dir outside the package, list it in the VSRKIT_MODEL_ZOO environment variable).
"""
from __future__ import annotations

import argparse
import json
import sys

from vsrkit.errors import ConfigError

from . import entry_point


def parse_args(argv=None) -> argparse.Namespace:
    from vsrkit.model_zoo import PACKAGE_DIR
    p = argparse.ArgumentParser(prog='export_model.py', description=__doc__.split('\n\n')[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split('\n\n', 1)[1])
    p.add_argument('config', help='the training config of the checkpoint (.py)')
    p.add_argument('checkpoint', help='mmengine checkpoint (.pth) or bare state dict')
    p.add_argument('name', help='model name: lowercase letters, digits and _')
    p.add_argument('--info', metavar='JSON', help='measured figures (e.g. an evaluation JSON), '
                   'copied into the metadata under "figures"')
    p.add_argument('--notes', default=None, help='free text kept in the metadata')
    p.add_argument('--out-dir', default=PACKAGE_DIR, help='where the files go (default: the '
                   'package\'s model zoo, %(default)s)')
    return p.parse_args(argv)


def read_json(path: str):
    """The content of the JSON file at ``path``; a one-line error naming it if unreadable."""
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except OSError as err:
        raise ConfigError(f'{path}: cannot read --info ({err.strerror})') from None
    except ValueError as err:
        raise ConfigError(f'{path}: --info is not valid JSON ({err})') from None


@entry_point('export_model.py')
def main(argv=None) -> None:
    args = parse_args(argv)
    from vsrkit.model_zoo import export_model
    figures = read_json(args.info) if args.info else None
    entry = export_model(args.config, args.checkpoint, args.name, args.out_dir,
                         figures=figures, notes=args.notes, figures_source=args.info)
    with open(entry.info, encoding='utf-8') as f:
        info = json.load(f)
    model = info['model']
    print(f"exported {args.name}: {model['type']} x{model['scale']}, {model['num_frames']} "
          f"frames, {model['parameters']} parameters, iteration {info['iterations']}")
    for path in (entry.weights, entry.config, entry.info):
        print(f'  {path}')


if __name__ == '__main__':
    sys.exit(main())
