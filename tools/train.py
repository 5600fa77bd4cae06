"""Train a model from a config.

``--help`` for the options; the code is vsrkit/cli/train.py.
"""
import sys

from vsrkit.cli.train import main

if __name__ == '__main__':
    sys.exit(main())
