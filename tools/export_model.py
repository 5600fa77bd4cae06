"""Export a trained checkpoint as a ready-to-use model (vsrkit/model_zoo).

``--help`` for the options; the code is vsrkit/cli/export_model.py.
"""
import sys

from vsrkit.cli.export_model import main

if __name__ == '__main__':
    sys.exit(main())
