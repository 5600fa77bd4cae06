"""Train and evaluate ablation variants with one budget and one seed.

``--help`` for the options; the code is vsrkit/cli/ablate.py.
"""
import sys

from vsrkit.cli.ablate import main

if __name__ == '__main__':
    sys.exit(main())
