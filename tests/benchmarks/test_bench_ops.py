"""bench_ops: the reference SPMC agrees with spmc_warp; the benchmark runs and prints its table."""
import torch

from tools.benchmarks.bench_ops import main, reference_spmc, timings
from vsrkit.ops import spmc_warp


def test_reference_spmc_matches_spmc_warp_values_and_gradients():
    g = torch.Generator().manual_seed(0)
    for scale in (2, 3, 4):
        img = torch.rand(2, 3, 5, 7, generator=g, dtype=torch.float64, requires_grad=True)
        flow = ((torch.rand(2, 2, 5, 7, generator=g, dtype=torch.float64) * 2 - 1) * 3).requires_grad_()
        a, b = spmc_warp(img, flow, scale), reference_spmc(img, flow, scale)
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
        grad = torch.rand(a.shape, generator=g, dtype=torch.float64)
        ga = torch.autograd.grad(a, (img, flow), grad)
        gb = torch.autograd.grad(b, (img, flow), grad)
        for x, y in zip(ga, gb):
            torch.testing.assert_close(x, y, rtol=1e-10, atol=1e-10)


def test_timings_and_table(capsys):
    t = timings(2, 16, 24, n=1, c=1, reps=1, max_flow=1.0)
    assert set(t) == {f'{op} {mode}' for op in ('spmc', 'reference', 'grid_sample')
                      for mode in ('fwd', 'fwd+bwd')}
    assert all(v > 0 for v in t.values())
    main(['--scales', '2', '4', '--sizes', '16x24', '--batch', '1', '--reps', '1', '--threads', '1'])
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith('| x')]
    assert len(rows) == 6 and all(r.count('|') == 10 for r in rows)


def test_spmc_gradients_where_pixels_land_far_outside():
    """Pixels clamped onto the pad ring: spmc_warp's analytic gradients equal autograd through
    the per-tap-masked reference, and pass gradcheck (flows up to 6 px on a 4x5 frame)."""
    g = torch.Generator().manual_seed(1)
    img = torch.rand(1, 2, 4, 5, generator=g, dtype=torch.float64, requires_grad=True)
    flow = ((torch.rand(1, 2, 4, 5, generator=g, dtype=torch.float64) * 2 - 1) * 6).requires_grad_()
    for scale in (2, 3):
        a, b = spmc_warp(img, flow, scale), reference_spmc(img, flow, scale)
        grad = torch.rand(a.shape, generator=g, dtype=torch.float64)
        for x, y in zip(torch.autograd.grad(a, (img, flow), grad), torch.autograd.grad(b, (img, flow), grad)):
            torch.testing.assert_close(x, y, rtol=1e-10, atol=1e-10)
    assert torch.autograd.gradcheck(lambda i, f: spmc_warp(i, f, 2), (img, flow))
