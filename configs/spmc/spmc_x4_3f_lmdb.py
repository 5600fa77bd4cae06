# SPMC, the paper's protocol: x4 bicubic, 3 frames, Y channel, stages 70k / 20k / joint, Adam.
# Data: LMDBs built by data_prep (Vimeo-90K or your videos) under data/vimeo90k, test set
# (e.g. Vid4) under data/vid4; change data_root / test_root with --cfg-options or a child config.
_base_ = [
    '../_base_/models/spmc.py',
    '../_base_/datasets/lmdb_bix4.py',
    '../_base_/schedules/spmc_staged.py',
    '../_base_/default_runtime.py',
]
