"""bench_model: FLOP counting against a per-layer count, and one tiny inference record."""
import torch
import torch.nn as nn

from tools.benchmarks import bench_model


def conv_flops_by_hooks(model, x) -> int:
    """2 * MACs of every Conv2d / ConvTranspose2d call, from the layer shapes (independent count)."""
    total = 0

    def hook(mod, inp, out):
        nonlocal total
        k = mod.kernel_size[0] * mod.kernel_size[1] * mod.in_channels // mod.groups
        if isinstance(mod, nn.ConvTranspose2d):  # every input pixel meets every kernel tap
            total += 2 * inp[0].numel() // mod.in_channels * mod.out_channels * k
        else:
            total += 2 * out.numel() * k
    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    with torch.no_grad():
        model(x, mode='tensor')
    for h in handles:
        h.remove()
    return total


def test_flop_count_matches_per_layer_count():
    model = bench_model.build_model('demo')
    x = torch.rand(1, 3, 1, 12, 16) - 0.5
    counted = bench_model.count_flops(model, x)
    by_layer = conv_flops_by_hooks(model, x)
    # The counter also sees the bicubic upsampling's 1-D convolutions (a few 1e3 FLOPs here).
    assert by_layer <= counted <= by_layer * 1.02


def test_infer_record_is_consistent():
    r = bench_model.infer('demo', 8, 12, reps=1)
    assert r['hr'] == '32x48' and r['params'] > 0
    assert abs(r['gflops'] - r['gflop_per_frame'] / (r['ms_per_frame'] / 1e3)) < 1e-6 * r['gflops']
    assert r['conv3x3_gflops'] > 0 and r['matmul_gflops'] > 0
