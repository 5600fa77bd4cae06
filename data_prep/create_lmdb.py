"""Convert videos or frame folders into LMDBs of GT and degraded LR frames.

``--help`` for the options; the code is vsrkit/cli/create_lmdb.py.
"""
import sys

from vsrkit.cli.create_lmdb import main

if __name__ == '__main__':
    sys.exit(main())
