"""Model speed: inference per frame against the machine's measured peak and training iterations,
each the current code against the code of an earlier revision (``--before``) in one process;
and the real training loop split into data / forward / backward / optimizer / overhead.

    python tools/benchmarks/bench_model.py peak [--threads 2] [--device cuda]
    python tools/benchmarks/bench_model.py infer --model demo --size 180x320 [--reps 3]
        [--before 51984e1 | --before none] [--compile] [--device cuda] [--amp bf16|fp16]
    python tools/benchmarks/bench_model.py parts --model demo --size 180x320
    python tools/benchmarks/bench_model.py train-step [--stage fusion] [--reps 10] [--before REV]
        [--device cuda] [--amp bf16|fp16]
    python tools/benchmarks/bench_model.py train [--config configs/spmc/spmc_x4_demo.py]
        [--stage joint] [--iters 30]
    python tools/benchmarks/bench_model.py all [--threads 2] [--device cuda] [--amp bf16]
        [--before none]                     # docs/BENCHMARKS.md; on a GPU: run_gpu_checks.sh

``peak``: the device's own throughput for the timed dtype: the best of a large matmul and a 3x3
conv (64 -> 64 channels, NCHW or NHWC), GFLOP/s = counted FLOPs / minimum time of 5 runs. CPU:
2048^3 matmul, conv on 1x64x256x256; CUDA: 8192^3 and 16x64x256x256 (a GPU needs more work in
flight). ``infer`` measures it again in the same process, right after the models, so the
model's share of the peak compares runs made under the same background load.

``infer``: one SR output frame (``mode='tensor'``, batch 1, 3 LR frames of the given size, Y, x4)
of the paper-width model (configs/_base_/models/spmc.py) or the demo model
(configs/spmc/spmc_x4_demo.py), without gradients. The current code and the ``--before``
revision's (imported beside it, ``vsrkit/utils/revision.py``; same weights) run round-robin,
``--reps`` rounds after a warm-up, minimum time of each. FLOPs (``torch.utils.flop_counter``,
convolutions and matmuls, 2 per MAC) are counted twice: "as today" = the before revision's
forward (every time step decoded) and "run" = what the current code computes, counted as direct
convolutions (its NNPACK convolutions need fewer multiplications than that). The share of the
peak is FLOPs as today / time / conv peak. ``--compile`` adds the current model under
``torch.compile`` (its compile time reported apart). Peak memory: the current model's, measured
before the old one is built (CPU: growth of the peak RSS; CUDA: ``max_memory_allocated``).

``train-step``: one training iteration (loss forward, backward, Adam step) of the config's model
in one stage (its trainable parts and loss weights), batch and crop of its train pipeline,
before and after round-robin: minimum and median of ``--reps`` (and the minimum process CPU
time). Also checks that both give the same losses and gradients, and counts the iteration's
FLOPs (``train_flops``: direct convolutions, forward and the gradients autograd asks for) and
the time they take at the conv peak measured right after. That peak is close to what the
cores' FMA units can do, so the time at peak bounds any implementation of the same model and
loss from below (up to algorithms that need fewer multiplications, such as NNPACK's for the
ConvLSTM gates). ``--amp``: the forward under autocast (fp16 with a GradScaler), the current
code only makes sense then (``--before none``).

``train``: ``--iters`` iterations of the config's real mmengine loop in one stage, with the data
preprocessor, model forward, ``optim_wrapper.backward``, ``step`` and ``zero_grad`` timed in place;
data time comes from mmengine's IterTimerHook; framework overhead = iteration time - all of these
(hooks, logging, loss parsing, loop bookkeeping). The first 5 iterations are discarded.
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import functools
import importlib
import inspect
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import torch
import torch.nn.functional as F

from vsrkit.cli import keep_freed_memory
from vsrkit.utils.revision import ROOT, SPEED_BASELINE_REV, import_revision

BEFORE_REV = SPEED_BASELINE_REV
CONFIGS = {'default': 'configs/_base_/models/spmc.py', 'demo': 'configs/spmc/spmc_x4_demo.py'}


def sync(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize(device)


def round_robin_times(fns: dict, reps: int, device: str = 'cpu', cpu: dict | None = None) -> dict:
    """Wall time of each callable in each of ``reps`` round-robin rounds after a warm-up round
    (all of them see the same background load). ``cpu``, if given, receives the minimum process
    CPU time of each (all threads; on one thread the figure preemption by other processes
    cannot inflate)."""
    rounds: dict = {name: [] for name in fns}
    for r in range(reps + 1):
        for name, fn in fns.items():
            sync(device)
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            sync(device)
            if r:
                rounds[name].append(time.perf_counter() - t0)
                if cpu is not None:
                    cpu[name] = min(cpu.get(name, float('inf')), time.process_time() - c0)
    return rounds


def min_times(fns: dict, reps: int, device: str = 'cpu', cpu: dict | None = None) -> dict:
    """Minimum wall time of each callable over :func:`round_robin_times`: the least-disturbed
    run is the best estimate of each one's own cost."""
    return {name: min(v) for name, v in round_robin_times(fns, reps, device, cpu).items()}


def rss_mb() -> float:
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2 ** 20


def peak(device: str = 'cpu', dtype: torch.dtype = torch.float32) -> dict:
    """Measured GFLOP/s of a large matmul and a 3x3 64->64 conv (the faster layout) here."""
    cuda = device.startswith('cuda')
    n, batch = (8192, 16) if cuda else (2048, 1)
    a, b = (torch.rand(n, n, device=device, dtype=dtype) for _ in range(2))
    x = torch.rand(batch, 64, 256, 256, device=device, dtype=dtype)
    w = torch.rand(64, 64, 3, 3, device=device, dtype=dtype)
    xl, wl = x.to(memory_format=torch.channels_last), w.to(memory_format=torch.channels_last)
    t = min_times({'mm': lambda: a @ b, 'nchw': lambda: F.conv2d(x, w, padding=1),
                   'nhwc': lambda: F.conv2d(xl, wl, padding=1)}, 5, device)
    return dict(matmul_gflops=2 * n ** 3 / t['mm'] / 1e9,
                conv3x3_gflops=2 * batch * 64 * 64 * 9 * 256 * 256 / min(t['nchw'], t['nhwc']) / 1e9)


def model_config(kind: str):
    from mmengine.config import Config
    return Config.fromfile(os.path.join(ROOT, CONFIGS[kind])).model


def comparable(model_cfg, before: str | None, old: bool = False):
    """``model_cfg`` for the current code (``old=False``) or the ``before`` revision, such that
    both compute the same function: the old VESPCNMotion may predate the local contrast
    normalisation of its input (a quality change, not a speed one), which the current model
    then switches off (``normalize_window=0``), and the old one has no key for."""
    if before is None or model_cfg.get('motion', {}).get('type') != 'VESPCNMotion':
        return model_cfg
    package = import_revision(before)
    importlib.import_module(package.__name__ + '.models')
    old_motion = package.registry.MODELS.get('VESPCNMotion')
    if 'normalize_window' not in inspect.signature(old_motion.__init__).parameters:
        model_cfg = copy.deepcopy(model_cfg)
        if old:
            model_cfg.motion.pop('normalize_window', None)
        else:
            model_cfg.motion['normalize_window'] = 0
    return model_cfg


def build_model(kind: str, package=None, before: str | None = None):
    """The ``kind`` model of the current code, or of an imported ``package`` (see
    vsrkit/utils/revision.py), made :func:`comparable` with revision ``before``."""
    if package is None:
        from vsrkit.registry import MODELS
    else:
        importlib.import_module(package.__name__ + '.models')
        MODELS = package.registry.MODELS
    return MODELS.build(comparable(model_config(kind), before, old=package is not None)).eval()


@contextlib.contextmanager
def direct_convolutions(model):
    """Turn the model's fast convolutions (``fast_conv``) off: the FLOP counter then sees every
    convolution as the direct one it replaces."""
    mods = [m for m in model.modules() if getattr(m, 'fast_conv', False)]
    for m in mods:
        m.fast_conv = False
    try:
        yield model
    finally:
        for m in mods:
            m.fast_conv = True


def count_flops(model, x) -> int:
    from torch.utils.flop_counter import FlopCounterMode
    with torch.no_grad(), direct_convolutions(model), FlopCounterMode(display=False) as counter:
        model(x, mode='tensor')
    return counter.get_total_flops()


def parts(kind: str, h: int, w: int, reps: int) -> dict:
    """Time of each part of one output frame, and what a sliding window could share.

    Window k (centre k) needs the flows F(k-1 -> k) and F(k+1 -> k), the splats of its frames by
    those flows, the bicubic of frame k, and the fusion over the splats: every piece depends on
    the centre, so the next window shares none of them. Exactly shareable: per-frame work only,
    i.e. the colour conversion (done once per frame already) and, inside VESPCN, the frame's
    half of the first coarse and fine convolutions (a conv over concat(frame_i, frame_0) is the
    sum of one conv per frame): counted here as FLOPs.
    """
    from vsrkit.ops import bicubic_upsample
    model = build_model(kind)
    t = model.num_frames
    x = torch.rand(1, t, model.in_channels, h, w) - 0.5
    with torch.no_grad():
        flows = model.forward_flows(x)
        hr = model.compensation(x.flatten(0, 1), flows.flatten(0, 1))
        hr = hr.view(1, t, *hr.shape[1:])
        ref_up = bicubic_upsample(x[:, t // 2], model.scale)
        times = min_times({
            'total': lambda: model(x, mode='tensor'),
            'motion': lambda: model.forward_flows(x),
            'compensation': lambda: model.compensation(x.flatten(0, 1), flows.flatten(0, 1)),
            'bicubic': lambda: bicubic_upsample(x[:, t // 2], model.scale),
            'fusion': lambda: model.fusion(hr, ref_up, last_only=True)}, reps)
    c = model.in_channels
    shareable = 0
    for head, lr_scale in ((model.motion.coarse[0], 2), (model.motion.fine[0], 2)):
        k = head.kernel_size[0]
        out_px = (h // lr_scale) * (w // lr_scale)
        # the frame_i part: C of its input channels, for each of the T-1 pairs
        shareable += 2 * (t - 1) * out_px * head.out_channels * c * k * k
    return dict(model=kind, lr=f'{h}x{w}', threads=torch.get_num_threads(),
                **{f'ms_{k}': v * 1e3 for k, v in times.items()},
                gflop_run=count_flops(model, x) / 1e9, gflop_shareable=shareable / 1e9)


def _amp_dtype(amp: str | None) -> torch.dtype:
    """The dtype an ``--amp`` choice computes in (float32 without one)."""
    return {'bf16': torch.bfloat16, 'fp16': torch.float16}.get(amp, torch.float32)


def _autocast(device: str, amp: str | None):
    if amp is None:
        return contextlib.nullcontext()
    return torch.autocast(device.split(':')[0], dtype=_amp_dtype(amp))


def infer(kind: str, h: int, w: int, reps: int, before: str | None = BEFORE_REV,
          device: str = 'cpu', amp: str | None = None, compile: bool = False) -> dict:
    torch.manual_seed(0)
    cuda = device.startswith('cuda')
    base_rss = rss_mb()
    model = build_model(kind, before=before).to(device)
    # The output conv starts at zero (the untrained net returns bicubic): give it weights, so
    # that comparing outputs tests the whole net.
    torch.nn.init.normal_(model.fusion.out.weight, std=0.05)
    x = torch.rand(1, model.num_frames, model.in_channels, h, w, device=device) - 0.5

    def run(m):
        with torch.no_grad(), _autocast(device, amp):
            return m(x, mode='tensor')

    if cuda:
        torch.cuda.reset_peak_memory_stats(device)
    out = run(model)
    sync(device)
    mem = (torch.cuda.max_memory_allocated(device) / 2 ** 20 if cuda else
           resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - base_rss)
    fns = {'after': functools.partial(run, model)}
    rec = dict(model=kind, lr=f'{h}x{w}', hr=f'{h * model.scale}x{w * model.scale}',
               params=sum(p.numel() for p in model.parameters()), device=device, amp=amp or 'fp32',
               threads=torch.get_num_threads(), peak_mem_mb=mem,
               gflop_run=count_flops(model, x) / 1e9)
    if compile:
        compiled = torch.compile(model)
        t0 = time.perf_counter()
        torch.testing.assert_close(run(compiled), out, rtol=0, atol=1e-4)
        rec['compile_s'] = time.perf_counter() - t0
        fns['compiled'] = functools.partial(run, compiled)
    if before is not None:
        old = build_model(kind, import_revision(before), before).to(device)
        old.load_state_dict(model.state_dict())
        rec['max_abs_diff'] = (run(old) - out).abs().max().item()
        rec['gflop_today'] = count_flops(old, x) / 1e9
        fns['before'] = functools.partial(run, old)
    cpu: dict = {}
    times = min_times(fns, reps, device, cpu)
    rec.update({f'ms_{k}': v * 1e3 for k, v in times.items()})
    rec.update({f'cpu_ms_{k}': v * 1e3 for k, v in cpu.items()})
    rec.update(peak(device, _amp_dtype(amp)))
    return rec


def stage_setup(cfg, stage: str):
    """(trainable part names, loss weights) of ``stage`` in the config's StageHook."""
    hook = next(h for h in cfg.custom_hooks if h['type'] == 'StageHook')
    chosen = [st for st in hook['stages'] if st['name'] == stage]
    if not chosen:
        raise SystemExit(f'no stage {stage!r} in the StageHook of this config')
    return chosen[0]['trainable'], chosen[0]['loss_weights']


def training_crop(cfg) -> int:
    """GT crop size of the config's real training windows (a MixDataset's parts too: the demo
    mixes real and synthetic windows)."""
    dataset = cfg.train_dataloader.dataset
    return next(t['gt_patch_size'] for d in dataset.get('datasets', [dataset])
                for t in d.get('pipeline', []) if t['type'] == 'PairedRandomCrop')


def train_flops(model, x, gt) -> int:
    """FLOPs of one training iteration (loss forward and backward) of ``model`` in its current
    stage setup, every convolution counted as the direct one (``direct_convolutions``): forward,
    plus each backward convolution's input and kernel gradients where autograd asks for them."""
    from torch.utils.flop_counter import FlopCounterMode
    with direct_convolutions(model), FlopCounterMode(display=False) as counter:
        loss = sum(model(x, dict(gt=gt), mode='loss').values())
        loss.backward()
    model.zero_grad(set_to_none=True)
    return counter.get_total_flops()


def train_step(config: str, stage: str, reps: int, before: str = BEFORE_REV,
               device: str = 'cpu', amp: str | None = None) -> dict:
    """One training iteration of the current and the ``before`` model, round-robin (with
    ``amp``: the forward under autocast, fp16 with a GradScaler)."""
    from mmengine.config import Config
    from vsrkit.registry import MODELS
    cfg = Config.fromfile(config)
    trainable, weights = stage_setup(cfg, stage)
    loader = cfg.train_dataloader
    crop = training_crop(cfg)
    torch.manual_seed(0)
    new = MODELS.build(comparable(cfg.model, before)).to(device)
    torch.nn.init.normal_(new.fusion.out.weight, std=0.05)
    models = [('after', new)]
    if before is not None:
        old_pkg = import_revision(before)
        importlib.import_module(old_pkg.__name__ + '.models')
        old = old_pkg.registry.MODELS.build(comparable(cfg.model, before, old=True)).to(device)
        old.load_state_dict(new.state_dict())
        models.insert(0, ('before', old))
    s, t, c = new.scale, new.num_frames, new.in_channels
    b = loader.batch_size
    x = torch.rand(b, t, c, crop // s, crop // s, device=device) - 0.5
    gt = torch.rand(b, c, crop, crop, device=device) - 0.5
    scaler = torch.amp.GradScaler(device.split(':')[0]) if amp == 'fp16' else None
    steps, grads = {}, {}
    for name, m in models:
        m.set_loss_weights(weights)
        for part in ('motion', 'compensation', 'fusion'):
            if hasattr(m, part):
                getattr(m, part).requires_grad_(part in trainable)
        params = [p for p in m.parameters() if p.requires_grad]
        with _autocast(device, amp):
            losses = m(x, dict(gt=gt), mode='loss')
        grads[name] = (sum(losses.values()).item(),
                       torch.autograd.grad(sum(losses.values()), params))
        opt = torch.optim.Adam(params, lr=1e-4)

        def step(m=m, opt=opt):
            with _autocast(device, amp):
                loss = sum(m(x, dict(gt=gt), mode='loss').values())
            if scaler is None:
                loss.backward()
                opt.step()
            else:
                scaler.scale(loss).backward()
                scaler.step(opt)
                scaler.update()
            opt.zero_grad(set_to_none=True)
        steps[name] = step
    diff = (max((a - b).abs().max().item() for a, b in zip(grads['before'][1], grads['after'][1]))
            if 'before' in grads else float('nan'))
    gflop = train_flops(new, x, gt) / 1e9
    cpu: dict = {}
    rounds = round_robin_times(steps, reps, device, cpu)
    rec = dict(config=config, stage=stage, batch=b, crop=crop, threads=torch.get_num_threads(),
               device=device, amp=amp or 'fp32', max_grad_diff=diff, gflop_iter=gflop,
               **{f'loss_{k}': v[0] for k, v in grads.items()})
    for k, v in rounds.items():
        rec[f'ms_{k}_min'] = min(v) * 1e3
        rec[f'ms_{k}_median'] = statistics.median(v) * 1e3
        rec[f'cpu_ms_{k}'] = cpu[k] * 1e3
    # the peak right after the steps (same background load); an iteration can take no less
    # than its direct-convolution FLOPs at this peak (NNPACK's gates need somewhat fewer)
    rec.update(peak(device, _amp_dtype(amp)))
    rec['ms_at_conv_peak'] = gflop / rec['conv3x3_gflops'] * 1e3
    return rec


class _Timed:
    """Accumulates the wall time of calls to a bound method it replaces."""

    def __init__(self, obj, name: str, store: dict, key: str):
        fn = getattr(obj, name)

        @functools.wraps(fn)
        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                store.setdefault(key, []).append(time.perf_counter() - t0)
        setattr(obj, name, timed)


def train_split(config: str, stage: str, iters: int, skip: int = 5) -> dict:
    """Per-iteration times of the config's real training loop in one stage."""
    from mmengine.hooks import Hook
    from mmengine.runner import Runner
    from vsrkit.engine.config import load_config
    from vsrkit.engine.runner_utils import configure_run
    from vsrkit.utils.checkpoint import patch_mmengine

    patch_mmengine()
    work = tempfile.mkdtemp(prefix='bench_train_')
    cfg = configure_run(load_config(config), config, work)
    hook = next(h for h in cfg.custom_hooks if h['type'] == 'StageHook')
    stage_setup(cfg, stage)
    hook['stages'] = [dict(st, begin=0) for st in hook['stages'] if st['name'] == stage]
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=iters + 1)
    store: dict = {}

    class SplitHook(Hook):
        priority = 'VERY_LOW'

        def before_train(self, runner):
            model = runner.model
            _Timed(model.data_preprocessor, 'forward', store, 'preprocess')
            _Timed(model, 'forward', store, 'forward')
            for name in ('backward', 'step', 'zero_grad'):
                _Timed(runner.optim_wrapper, name, store, name)

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            hub = runner.message_hub
            store.setdefault('iter', []).append(hub.get_scalar('train/time').current())
            store.setdefault('data', []).append(hub.get_scalar('train/data_time').current())

    runner = Runner.from_cfg(cfg)
    runner.register_hook(SplitHook())
    runner.train()
    mean = {k: statistics.mean(v[skip:]) for k, v in store.items()}
    parts = ('data', 'preprocess', 'forward', 'backward', 'step', 'zero_grad')
    mean['overhead'] = mean['iter'] - sum(mean[k] for k in parts)
    return dict(config=config, stage=stage, iters=iters - skip,
                batch=cfg.train_dataloader.batch_size, **{k: mean[k] * 1e3 for k in mean})


def run_child(args: list[str], threads: int) -> dict:
    """Run one measurement in a fresh process (clean peak-memory figure), parse its JSON line."""
    cmd = [sys.executable, __file__, *args, '--threads', str(threads), '--json']
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def load_average() -> str:
    return ' '.join(open('/proc/loadavg').read().split()[:3])


def _pct(gflop: float, ms: float, peak_gflops: float) -> str:
    return f'{100 * gflop / (ms / 1e3) / peak_gflops:.0f}%'


def infer_row(r: dict) -> str:
    """One markdown row: before and after, ms/frame and % of the conv peak (FLOPs as today;
    without a before revision, as run, and '-' in the before columns)."""
    pk, run = r['conv3x3_gflops'], r['gflop_run']
    today = r.get('gflop_today', run)
    before = 'ms_before' in r
    cells = [r['model'], r['lr'], f"{r['params']:,}", f'{today:.1f}' if before else '-', f'{run:.1f}',
             f"{r['ms_before']:.0f}" if before else '-', _pct(today, r['ms_before'], pk) if before else '-',
             f"{r['ms_after']:.1f}", _pct(today, r['ms_after'], pk),
             f"{r['ms_before'] / r['ms_after']:.2f}x" if before else '-',
             f"{r['ms_compiled']:.0f} ({r['compile_s']:.0f} s)" if 'ms_compiled' in r else '-',
             f"{pk:.0f} / {r['matmul_gflops']:.0f}", f"{r['peak_mem_mb']:.0f}",
             f"{r['max_abs_diff']:.1e}" if before else '-']
    return '| ' + ' | '.join(cells) + ' |'


def train_row(r: dict) -> str:
    """One markdown row of ``train-step``: before and after ms/iteration, FLOPs, the time at the
    conv peak and the share of it ('-' in the before columns without a before revision)."""
    before = 'ms_before_min' in r
    at_peak = r['ms_at_conv_peak']
    cells = [os.path.basename(r['config']), r['stage'], r['amp'], str(r['batch']), str(r['threads']),
             f"{r['ms_before_min']:.0f} / {r['ms_before_median']:.0f}" if before else '-',
             f"{r['ms_after_min']:.1f} / {r['ms_after_median']:.1f}",
             f"{r['ms_before_min'] / r['ms_after_min']:.2f}x" if before else '-',
             f"{r['gflop_iter']:.2f}", f'{at_peak:.1f}',
             (f"{100 * at_peak / r['ms_before_min']:.0f}% / " if before else '- / ')
             + f"{100 * at_peak / r['ms_after_min']:.0f}%",
             f"{r['max_grad_diff']:.1e}" if before else '-']
    return '| ' + ' | '.join(cells) + ' |'


TRAIN_HEADER = ('| config | stage | precision | batch | threads | before ms/iter (min / median) '
                '| after ms/iter (min / median) | speed-up (min) | GFLOP/iter (direct) '
                '| ms at conv peak | % of peak before / after | max grad diff |\n'
                '|---|---|---|---|---|---|---|---|---|---|---|---|')


INFER_HEADER = ('| model | LR in | params | GFLOP as today | GFLOP run | before ms | before % of peak '
                '| after ms | after % of peak | speed-up | compiled ms (compile time) '
                '| conv / matmul peak GFLOP/s | peak mem MB (after) | max abs diff |\n'
                '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|')


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('what', choices=['peak', 'infer', 'parts', 'train-step', 'train', 'all'])
    ap.add_argument('--model', choices=sorted(CONFIGS), default='demo')
    ap.add_argument('--size', default='180x320', help='LR input HxW')
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--before', default=BEFORE_REV,
                    help="git revision to compare with ('none': the current code only)")
    ap.add_argument('--compile', action='store_true', help='infer: also time torch.compile')
    ap.add_argument('--device', default='cpu', help="cpu or cuda[:N]")
    ap.add_argument('--amp', choices=['bf16', 'fp16'], default=None,
                    help='infer, train-step: autocast dtype (fp16 training adds a GradScaler)')
    ap.add_argument('--config', default='configs/spmc/spmc_x4_demo.py')
    ap.add_argument('--stage', default='joint')
    ap.add_argument('--iters', type=int, default=30)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--allocator', choices=['reuse', 'default'], default='reuse',
                    help="reuse: keep freed memory as the vsrkit tools do (keep_freed_memory); "
                         "default: glibc's own behaviour")
    ap.add_argument('--json', action='store_true', help='print one JSON line (used by "all")')
    args = ap.parse_args(argv)
    if args.allocator == 'reuse':
        keep_freed_memory()
    torch.set_num_threads(args.threads)
    before = None if args.before.lower() == 'none' else args.before
    if before is not None and args.what in ('infer', 'train-step', 'all'):
        try:
            import_revision(before)
        except (OSError, subprocess.CalledProcessError) as err:  # no git, or not this revision
            detail = getattr(err, 'stderr', None) or ''
            if isinstance(detail, bytes):
                detail = detail.decode(errors='replace')
            detail = detail.strip().splitlines()
            raise SystemExit(f'bench_model.py: error: --before {before}: cannot import that '
                             f'revision from this checkout ({detail[0] if detail else err}); '
                             'use --before none to time the current code alone')
    if args.device.startswith('cuda'):
        if not torch.cuda.is_available():
            raise SystemExit('bench_model.py: error: --device cuda: no CUDA device here')
        torch.backends.cudnn.benchmark = True
    if args.what == 'peak':
        res = peak(args.device)
    elif args.what == 'infer':
        h, w = (int(v) for v in args.size.lower().split('x'))
        res = infer(args.model, h, w, args.reps, before, args.device, args.amp, args.compile)
    elif args.what == 'parts':
        h, w = (int(v) for v in args.size.lower().split('x'))
        res = parts(args.model, h, w, args.reps)
    elif args.what == 'train-step':
        res = train_step(args.config, args.stage, args.reps, before, args.device, args.amp)
    elif args.what == 'train':
        res = train_split(args.config, args.stage, args.iters)
    if args.what != 'all':
        print(json.dumps(res) if args.json else '\n'.join(f'{k}: {v}' for k, v in res.items()))
        return

    print(f'torch {torch.__version__}, device {args.device}, {args.threads} threads, '
          f'{args.amp or "fp32"}; before = {before}; load average {load_average()}', flush=True)
    print('\n' + INFER_HEADER)
    amp = ['--amp', args.amp] if args.amp else []
    cases = [('demo', '180x320', args.reps), ('demo', '360x640', args.reps),
             ('default', '180x320', 2), ('default', '360x640', 1)]
    for model, size, reps in cases:
        r = run_child(['infer', '--model', model, '--size', size, '--reps', str(reps),
                       '--before', str(before), '--device', args.device, *amp], args.threads)
        print(infer_row(r) + f'  <!-- load {load_average()} -->', flush=True)
    print('\n' + TRAIN_HEADER)
    # on a GPU the CPU thread count hardly matters: one row per stage
    thread_counts = (1, args.threads) if args.device == 'cpu' else (args.threads,)
    for stage in ('fusion', 'joint'):
        for threads in thread_counts:
            r = run_child(['train-step', '--config', args.config, '--stage', stage,
                           '--reps', str(args.iters), '--before', str(before),
                           '--device', args.device, *amp], threads)
            print(train_row(r) + f'  <!-- load {load_average()} -->', flush=True)


if __name__ == '__main__':
    main()
