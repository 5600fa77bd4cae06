"""The CUDA path against the CPU one: the SPMC splat, the demo model in fp32, a bf16 training
step with the splat kept in float32, and bench_model on the GPU. Skipped without a CUDA device
(CI has none); tools/benchmarks/run_gpu_checks.sh runs them on a GPU machine."""
import pytest
import torch

from tools.benchmarks import bench_model
from vsrkit.ops import spmc_warp

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA device')
CONFIG = 'configs/spmc/spmc_x4_demo.py'


@pytest.fixture(autouse=True)
def _exact_fp32():
    # TF32 convolutions and matmuls round to 10 mantissa bits: compare true fp32
    old = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    yield
    torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = old


def _splat_and_grads(img, flow, device):
    img = img.to(device).requires_grad_()
    flow = flow.to(device).requires_grad_()
    out, weights = spmc_warp(img, flow, 4, return_weights=True, offset=1.5)
    g = torch.linspace(-1, 1, out.numel(), device=device).view_as(out)
    (out * g).sum().add(weights.sum()).backward()
    return [t.detach().cpu() for t in (out, weights, img.grad, flow.grad)]


def test_spmc_splat_matches_the_cpu():
    torch.manual_seed(0)
    img = torch.rand(2, 3, 17, 23)
    flow = torch.randn(2, 2, 17, 23) * 2
    for cpu, gpu in zip(_splat_and_grads(img, flow, 'cpu'), _splat_and_grads(img, flow, 'cuda')):
        torch.testing.assert_close(gpu, cpu, rtol=1e-5, atol=1e-5)


def test_splat_stays_float32_under_bf16_autocast():
    img = torch.rand(1, 1, 8, 8, device='cuda', dtype=torch.bfloat16)
    flow = torch.zeros(1, 2, 8, 8, device='cuda')
    with torch.autocast('cuda', dtype=torch.bfloat16):
        out = spmc_warp(img, flow, 4)
    assert out.dtype == torch.float32


def _demo_model(stage='fusion'):
    from mmengine.config import Config
    from vsrkit.registry import MODELS
    cfg = Config.fromfile(CONFIG)
    _, weights = bench_model.stage_setup(cfg, stage)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    torch.nn.init.normal_(model.fusion.out.weight, std=0.05)
    model.set_loss_weights(weights)
    return model


def test_demo_model_forward_matches_the_cpu():
    model = _demo_model()
    x = torch.rand(1, 3, 1, 36, 44) - 0.5
    with torch.no_grad():
        cpu = model.eval()(x, mode='tensor')
        gpu = model.cuda()(x.cuda(), mode='tensor').cpu()
    torch.testing.assert_close(gpu, cpu, rtol=0, atol=1e-4)


def test_bf16_training_step_is_close_to_fp32():
    model = _demo_model('joint')
    model.cuda().train()
    x = torch.rand(2, 3, 1, 24, 24, device='cuda') - 0.5
    gt = torch.rand(2, 1, 96, 96, device='cuda') - 0.5
    fp32 = sum(model(x, dict(gt=gt), mode='loss').values())
    with torch.autocast('cuda', dtype=torch.bfloat16):
        bf16 = sum(model(x, dict(gt=gt), mode='loss').values())
    assert torch.isfinite(bf16) and abs(bf16.item() - fp32.item()) <= 0.02 * abs(fp32.item())
    bf16.backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert grads and all(g is not None and torch.isfinite(g).all() for g in grads)


def test_bench_model_runs_on_the_gpu():
    r = bench_model.infer('demo', 16, 24, reps=1, before=None, device='cuda', amp='bf16')
    assert r['device'] == 'cuda' and r['amp'] == 'bf16' and r['ms_after'] > 0
    assert r['conv3x3_gflops'] > 1000  # any recent GPU's bf16 peak is far above a CPU's
    t = bench_model.train_step(CONFIG, 'fusion', reps=1, before=None, device='cuda', amp='bf16')
    assert t['ms_after_min'] > 0 and t['gflop_iter'] > 0
    assert bench_model.train_row(t).count('|') == bench_model.TRAIN_HEADER.splitlines()[0].count('|')
