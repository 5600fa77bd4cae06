"""Train and evaluate ablation variants with one budget and one seed; write a markdown table
(installed as ``vsrkit-ablate``).

    python tools/ablate.py configs/spmc/spmc_x4_demo.py configs/ablations/*.py \\
        [--iters-factor 0.25 | --iters N] [--seed 0] [--work-dir work_dirs/ablate] \\
        [--out work_dirs/ablate/table.md] [--skip-done] [--epe-samples 32]
    python tools/ablate.py CONFIG --checkpoint CKPT --work-dir DIR   # evaluate trained weights

For every config (files whose name starts with '_' are shared bases and are skipped):

1. Budget: every stage of the config's StageHook and ``train_cfg.max_iters`` are multiplied by
   ``--iters-factor`` (so all variants shrink alike and keep their stage proportions), or with
   ``--iters N`` every variant's total becomes N with its stages scaled proportionally.
   Validation during training and best-checkpoint tracking are switched off; one final
   checkpoint is kept. ``randomness.seed = --seed`` for every variant.
2. Train (skipped for parameter-free models such as BicubicVSR, whose config may have no
   training part at all, and with ``--checkpoint``: then the given weights are loaded and
   evaluated instead, e.g. the README demo's run or a model-zoo export, so that they get the
   same figures as the trained variants).
3. Evaluate on the config's test set in one pass: the config's ``test_evaluator`` metrics
   (PSNR/SSIM on Y for the SR variants, EPE for the synthetic ME-only variants), wall time per
   output frame of the model's forward (batch 1, after one warm-up window), mean |flow| of the
   estimated flows (non-reference frames; the zero-flow trap shows as a value near 0); then on
   each of the config's ``test_sets`` (the demo configs' ``known_shift``: PSNR-Y and EPE).
4. EPE on the synthetic known-motion set (SyntheticMotionDataset over ``--epe-source``), for
   every model that estimates flow, plus the warp loss there (the model's own WarpLoss, in its
   own pixel range, and a common yardstick: masked L1 in [0, 1]).
5. Save ``<work-dir>/<variant>/ablation.json`` and rewrite the markdown table from every
   ``ablation.json`` under the work dir (so a partial run still yields a table of what finished).
"""
from __future__ import annotations

import argparse
import glob
import json
import math
import os
import os.path as osp
import statistics
import sys
import time

import torch
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner

from vsrkit.engine.runner_utils import configure_run
from vsrkit.errors import ConfigError
from vsrkit.evaluation.functional import flow_epe
from vsrkit.ops import backward_warp
from vsrkit.registry import DATASETS, MODELS

from . import entry_point, load_checked_config


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog='ablate.py',
                                description='Train and evaluate ablation variants; write a table.')
    p.add_argument('configs', nargs='+', help='variant configs (files starting with _ are skipped)')
    budget = p.add_mutually_exclusive_group()
    budget.add_argument('--iters-factor', type=float, default=None,
                        help='multiply every stage and max_iters by this factor (default 1.0)')
    budget.add_argument('--iters', type=int, default=None,
                        help='set every variant\'s total iterations to N (stages scaled proportionally)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--work-dir', default='work_dirs/ablate')
    p.add_argument('--out', help='markdown table (default <work-dir>/table.md)')
    p.add_argument('--skip-done', action='store_true',
                   help='do not rerun variants whose ablation.json exists with the same budget')
    p.add_argument('--epe-source', default='data/demo/test_GT.lmdb',
                   help='GT frames for the synthetic known-motion EPE set')
    p.add_argument('--epe-backend', choices=['lmdb', 'folder'], default='lmdb')
    p.add_argument('--epe-samples', type=int, default=32)
    p.add_argument('--checkpoint',
                   help='evaluate these weights (a checkpoint of the one config given) instead of training')
    p.add_argument('--threads', type=int, default=1,
                   help='torch threads (1 by default: on a shared machine, oversubscribed threads spin)')
    return p.parse_args(argv)


def variant_name(path: str) -> str:
    return osp.splitext(osp.basename(path))[0]


def scale_budget(cfg, factor: float | None, total: int | None) -> dict:
    """Scale the StageHook stages and max_iters in place; return the resulting schedule
    (``max_iters`` 0 for a config that trains nothing)."""
    if cfg.get('train_cfg') is None:
        return dict(factor=None, max_iters=0, stages=[])
    old_total = int(cfg.train_cfg.max_iters)
    if total is not None:
        factor = total / old_total
    factor = 1.0 if factor is None else factor
    if factor <= 0:
        raise ConfigError(f'--iters-factor / --iters must be positive, got factor {factor}')
    new_total = max(1, int(round(old_total * factor)))
    stages_out = []
    for hook in cfg.get('custom_hooks', []) or []:
        if hook.get('type') != 'StageHook':
            continue
        prev = -1
        for st in hook['stages']:
            begin = int(round(st['begin'] * factor))
            begin = max(begin, prev + 1)  # keep begins strictly increasing
            if begin >= new_total:
                raise ConfigError(f"stage '{st['name']}' would begin at {begin} >= max_iters "
                                  f'{new_total} after scaling by {factor:g}; use a larger budget')
            st['begin'] = prev = begin
            stages_out.append(dict(name=st['name'], begin=begin))
    cfg.train_cfg.max_iters = new_total
    # Iteration-based lr schedules move with the stages (e.g. the demo's cosine over fusion+joint).
    scheds = cfg.get('param_scheduler') or []
    for sched in [scheds] if isinstance(scheds, dict) else scheds:
        for key in ('begin', 'end', 'T_max'):
            if isinstance(sched.get(key), int) and sched.get('by_epoch', True) is False:
                sched[key] = min(new_total, max(1 if key == 'T_max' else 0,
                                                int(round(sched[key] * factor))))
    # No validation while training (mmengine would also validate at the last iteration):
    # the variant is evaluated once afterwards, on the test set.
    cfg.train_cfg.pop('val_interval', None)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    return dict(factor=factor, max_iters=new_total, stages=stages_out)


def prepare_cfg(path: str, args):
    cfg = load_checked_config(path)
    configure_run(cfg, path, osp.join(args.work_dir, variant_name(path)))
    schedule = scale_budget(cfg, args.iters_factor, args.iters)
    cfg.randomness = dict(seed=args.seed)
    cfg.experiment_name = variant_name(path)
    if not schedule['max_iters']:
        return cfg, schedule
    hooks = cfg.default_hooks
    hooks.checkpoint = dict(type='CheckpointHook', interval=schedule['max_iters'], by_epoch=False,
                            max_keep_ckpts=1, save_best=None)
    hooks.logger = dict(type='LoggerHook', interval=max(1, min(50, schedule['max_iters'] // 10)),
                        log_metric_by_epoch=False)
    return cfg, schedule


def unwrap(model):
    return model.module if is_model_wrapper(model) else model


def trains_sr(cfg) -> bool:
    """Whether any stage (or, without stages, the model's weights) uses the SR loss."""
    for hook in cfg.get('custom_hooks', []) or []:
        if hook.get('type') == 'StageHook':
            weights = {}
            for st in hook['stages']:
                weights.update(st.get('loss_weights') or {})
                if weights.get('sr', 1.0) > 0:
                    return True
            return False
    return True


def mean_abs_flow(flow: torch.Tensor) -> float:
    """Mean flow magnitude (LR pixels) over the non-reference frames of a (T, 2, h, w) flow."""
    k = flow.shape[0] // 2
    keep = [t for t in range(flow.shape[0]) if t != k]
    return torch.linalg.vector_norm(flow[keep], dim=1).mean().item() if keep else 0.0


@torch.no_grad()
def evaluate_test_set(runner, model, dataloader=None, evaluator=None) -> dict:
    """One pass over the test set (the config's, or the given loader and evaluator configs):
    metrics, time per frame, mean |flow|."""
    loader = runner.build_dataloader(dataloader or runner.cfg.test_dataloader)
    evaluator = runner.build_evaluator(evaluator or runner.cfg.test_evaluator)
    evaluator.dataset_meta = getattr(loader.dataset, 'metainfo', None)
    times, flows = [], []
    for i, batch in enumerate(loader):
        data = model.data_preprocessor(batch, False)
        if i == 0:  # warm-up: first call pays allocation and kernel selection
            model(data['inputs'], data['data_samples'], mode='predict')
        t0 = time.perf_counter()
        outputs = model(data['inputs'], data['data_samples'], mode='predict')
        times.append((time.perf_counter() - t0) / len(outputs))
        flows += [mean_abs_flow(o['flow']) for o in outputs if o.get('flow') is not None]
        evaluator.process(data_samples=outputs, data_batch=batch)
    metrics = evaluator.evaluate(len(loader.dataset))
    times.sort()
    return dict(metrics={k: float(v) for k, v in metrics.items() if isinstance(v, (int, float))},
                ms_per_frame=1000 * times[len(times) // 2],
                mean_flow_test=sum(flows) / len(flows) if flows else None, test_frames=len(times))


@torch.no_grad()
def evaluate_known_motion(model, cfg, args) -> dict | None:
    """EPE and warp losses of the model's motion net on the synthetic known-motion set."""
    if not hasattr(model, 'forward_flows') or model.num_frames < 2:
        return None
    pipeline = [dict(type='RGBToY')] if model.in_channels == 1 else []
    ds = DATASETS.build(dict(type='SyntheticMotionDataset', gt_path=args.epe_source,
                             num_frames=model.num_frames, scale=model.scale, patch_size=56,
                             num_samples=args.epe_samples, max_flow=2.0, seed=1,
                             backend=args.epe_backend,
                             pipeline=pipeline + [dict(type='PackVSRInputs')]))
    to_model_range = model.data_preprocessor.to_model_range
    k = model.num_frames // 2
    others = [t for t in range(model.num_frames) if t != k]
    epe, est_mag, gt_mag, own, common = [], [], [], [], []
    for i in range(len(ds)):
        item = ds[i]
        x = item['inputs'][None]  # (1, T, C, h, w) in [0, 1]
        flow = model.forward_flows(to_model_range(x))[0]
        gt = item['data_samples']['flow_gt']
        epe.append(flow_epe(flow, gt, skip_index=k))
        est_mag.append(mean_abs_flow(flow))
        gt_mag.append(mean_abs_flow(gt))
        frames, refs = x[0, others], x[0, [k] * len(others)]
        if hasattr(model, 'warp_loss'):
            own.append(model.warp_loss(to_model_range(frames), to_model_range(refs),
                                       flow[others]).item())
        warped, mask = backward_warp(refs, flow[others], return_mask=True)
        common.append((((frames - warped).abs() * mask).sum()
                       / (mask.sum() * frames.shape[1]).clamp(min=1)).item())
    mean = lambda v: sum(v) / len(v) if v else None  # noqa: E731
    return dict(epe=mean(epe), mean_flow_synthetic=mean(est_mag), mean_flow_synthetic_gt=mean(gt_mag),
                warp_loss_own=mean(own), warp_l1_masked01=mean(common), samples=len(ds))


@torch.no_grad()
def evaluate_real_warp(model, dataset, steps=(1, 3)) -> dict | None:
    """Masked L1 warp error ([0, 1] pixels) of the model's flow between frames of the real test
    clip ``steps`` apart, both directions, next to OpenCV DIS flow and zero flow on the same
    pairs. Real motion has no ground truth; a flow that explains the next frame better is a
    better flow. Pairs across a scene cut (zero-flow error above 4x the median) are left out:
    there no flow explains anything, and they would only dilute the comparison."""
    if not hasattr(model, 'forward_flows') or model.num_frames < 2:
        return None
    k = model.num_frames // 2
    clips: dict = {}
    for i in range(len(dataset)):
        item = dataset[i]
        clips.setdefault(item['data_samples']['clip'], []).append(item['inputs'][k])  # (C, h, w), [0, 1]
    estimators = dict(model=lambda a, b: model.motion(model.data_preprocessor.to_model_range(a),
                                                      model.data_preprocessor.to_model_range(b)),
                      dis=MODELS.build(dict(type='OpenCVFlowMotion', method='dis')),
                      zero=MODELS.build(dict(type='ZeroMotion')))
    errors = {name: [] for name in estimators}
    for frames in clips.values():
        for step in steps:
            for i in range(len(frames) - step):
                for a, b in ((i, i + step), (i + step, i)):
                    fi, f0 = frames[a][None], frames[b][None]
                    for name, estimate in estimators.items():
                        warped, mask = backward_warp(f0, estimate(fi, f0), return_mask=True)
                        errors[name].append((((fi - warped).abs() * mask).sum()
                                             / (mask.sum() * fi.shape[1]).clamp(min=1)).item())
    if not errors['zero']:
        return None
    limit = 4 * statistics.median(errors['zero'])
    keep = [j for j, e in enumerate(errors['zero']) if e <= limit]
    return dict({name: statistics.mean(v[j] for j in keep) for name, v in errors.items()},
                pairs=len(keep), pairs_left_out=len(errors['zero']) - len(keep))


def last_train_losses(runner, window: int = 50) -> dict:
    out = {}
    for key, buf in runner.message_hub.log_scalars.items():
        if key.startswith('train/loss'):
            out[key[len('train/'):]] = float(buf.mean(window))
    return out


def run_variant(path: str, args) -> dict:
    name = variant_name(path)
    cfg, schedule = prepare_cfg(path, args)
    runner = Runner.from_cfg(cfg)
    model = unwrap(runner.model)
    params = sum(p.numel() for p in model.parameters())
    trained = (not args.checkpoint and schedule['max_iters'] > 0
               and any(p.requires_grad for p in model.parameters()))
    if args.checkpoint:
        runner.load_checkpoint(args.checkpoint, map_location='cpu')
    t0 = time.time()
    if trained:  # parameter-free models (bicubic) have nothing to train
        runner.train()
    train_s = time.time() - t0 if trained else 0.0
    model = unwrap(runner.model).eval()
    result = dict(variant=name, config=path, params=params, schedule=schedule, seed=args.seed,
                  train_seconds=train_s, trained=trained, sr=trains_sr(cfg),
                  checkpoint=args.checkpoint,
                  train_losses=last_train_losses(runner) if trained else {})
    result.update(evaluate_test_set(runner, model))
    # The config's extra test sets (the demo's known_shift): metrics only.
    result['test_sets'] = {
        name: evaluate_test_set(runner, model, ts['dataloader'], ts['evaluator'])['metrics']
        for name, ts in (cfg.get('test_sets') or {}).items()}
    result['known_motion'] = evaluate_known_motion(model, cfg, args)
    result['real_warp'] = evaluate_real_warp(
        model, runner.build_dataloader(runner.cfg.test_dataloader).dataset)
    result['finished'] = time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())
    return result


def fmt(value, spec: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return '-'
    return format(value, spec)


def make_table(results: list[dict]) -> str:
    sr = [r for r in results if r['sr']]
    me = [r for r in results if not r['sr']]
    lines = []
    if sr:
        lines += ['| variant | iters (stages) | PSNR-Y | SSIM-Y | PSNR-Y crop 4 | known-shift PSNR-Y '
                  '| EPE known-shift | EPE synth. | warp error test: model / DIS | mean abs flow test / synth. (gt) '
                  '| params | ms/frame | train min |',
                  '|---|---|---|---|---|---|---|---|---|---|---|---|---|']
        for r in sr:
            km = r.get('known_motion') or {}
            m = r['metrics']
            shift = (r.get('test_sets') or {}).get('known_shift', {})
            crop = next((v for k, v in m.items() if k.startswith('crop') and k.endswith('/PSNR')), None)
            rw = r.get('real_warp') or {}
            warp = f"{fmt(rw.get('model'), '.5f')} / {fmt(rw.get('dis'), '.5f')}" if rw else '-'
            stages = '/'.join(str(s['begin']) for s in r['schedule']['stages'])
            flow = (f"{fmt(r.get('mean_flow_test'), '.3f')} / {fmt(km.get('mean_flow_synthetic'), '.3f')} "
                    f"({fmt(km.get('mean_flow_synthetic_gt'), '.3f')})") if km else '-'
            iters = (f"{r['schedule']['max_iters']} ({stages or '-'})" if r.get('trained', True)
                     else '- (checkpoint)' if r.get('checkpoint') else '- (not trained)')
            lines.append(f"| {r['variant']} | {iters} "
                         f"| {fmt(m.get('PSNR'), '.2f')} | {fmt(m.get('SSIM'), '.4f')} "
                         f"| {fmt(crop, '.2f')} | {fmt(shift.get('PSNR'), '.2f')} "
                         f"| {fmt(shift.get('EPE'), '.3f')} "
                         f"| {fmt(km.get('epe'), '.3f')} | {warp} | {flow} | {r['params']:,} "
                         f"| {fmt(r['ms_per_frame'], '.1f')} | {r['train_seconds'] / 60:.1f} |")
    if me:
        lines += ['', '| ME-only case | iters | final train loss_warp | test warp loss (own def.) '
                  '| masked L1 [0,1] | EPE synth. | mean abs flow (gt) | train min |',
                  '|---|---|---|---|---|---|---|---|']
        for r in me:
            km = r.get('known_motion') or {}
            lines.append(f"| {r['variant']} | {r['schedule']['max_iters']} "
                         f"| {fmt(r['train_losses'].get('loss_warp'), '.4f')} "
                         f"| {fmt(km.get('warp_loss_own'), '.4f')} | {fmt(km.get('warp_l1_masked01'), '.4f')} "
                         f"| {fmt(km.get('epe'), '.3f')} | {fmt(km.get('mean_flow_synthetic'), '.3f')} "
                         f"({fmt(km.get('mean_flow_synthetic_gt'), '.3f')}) | {r['train_seconds'] / 60:.1f} |")
    return '\n'.join(lines) + '\n'


def collect(work_dir: str) -> list[dict]:
    results = []
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'ablation.json'))):
        with open(path) as f:
            results.append(json.load(f))
    return sorted(results, key=lambda r: r['finished'])


@entry_point('ablate.py')
def main(argv=None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    paths = [p for p in args.configs if not osp.basename(p).startswith('_')]
    if args.checkpoint and len(paths) != 1:
        raise ConfigError(f'--checkpoint {args.checkpoint}: give exactly one config (the one it was '
                          f'trained from), got {len(paths)}')
    if args.checkpoint and not osp.isfile(args.checkpoint):
        raise ConfigError(f'--checkpoint {args.checkpoint}: file not found')
    for path in paths:  # every variant's config, before hours of training the first ones
        load_checked_config(path)
    os.makedirs(args.work_dir, exist_ok=True)
    out = args.out or osp.join(args.work_dir, 'table.md')
    for path in paths:
        target = osp.join(args.work_dir, variant_name(path), 'ablation.json')
        if args.skip_done and osp.isfile(target):
            print(f'ablate.py: {variant_name(path)} done already ({target}), skipped')
            continue
        try:
            result = run_variant(path, args)
        except ConfigError as err:  # name the variant: the message may name only a key
            raise ConfigError(str(err) if str(err).startswith(path) else f'{path}: {err}') from None
        os.makedirs(osp.dirname(target), exist_ok=True)
        with open(target, 'w') as f:
            json.dump(result, f, indent=2)
        table = make_table(collect(args.work_dir))
        with open(out, 'w') as f:
            f.write(table)
        print(f'ablate.py: {result["variant"]} done; table: {out}\n{table}', flush=True)


if __name__ == '__main__':
    sys.exit(main())
