"""Super-resolve a video, a frame folder or an image glob with a trained model.

``--help`` for the options; the code is vsrkit/cli/infer.py.
"""
import sys

from vsrkit.cli.infer import main

if __name__ == '__main__':
    sys.exit(main())
