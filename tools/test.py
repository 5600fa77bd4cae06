"""Evaluate a checkpoint on a config's test set.

``--help`` for the options; the code is vsrkit/cli/test.py.
"""
import sys

from vsrkit.cli.test import main

if __name__ == '__main__':
    sys.exit(main())
