"""The main job: demo data, SPMC and baselines trained and evaluated, the table.

``--help`` for the options; the code is vsrkit/cli/demo.py.
"""
import sys

from vsrkit.cli.demo import main

if __name__ == '__main__':
    sys.exit(main())
