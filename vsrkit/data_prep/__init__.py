"""Data preparation: video files and frame folders -> LMDBs of GT and degraded LR frames.

``sources`` (where frames come from, how they split into clips) -> ``convert.build_lmdbs``
(resize, crop, degrade and encode in worker processes, ``parallel.ordered_map``) ->
``lmdb_writer.PartialLMDB`` (crash-safe, resumable writing); ``demo`` builds the bundled demo
set. The command-line tools are ``data_prep/create_lmdb.py`` and ``data_prep/make_demo.py``
(code in :mod:`vsrkit.cli`).
"""
