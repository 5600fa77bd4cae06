"""Pictures of a model and a run: flows, SPMC maps, comparison panel, curves.

``--help`` for the options; the code is vsrkit/cli/visualize.py.
"""
import sys

from vsrkit.cli.visualize import main

if __name__ == '__main__':
    sys.exit(main())
