"""Under autocast, the warps, the SPMC splat and bicubic run in float32: same results as
without autocast; half-precision inputs are computed in float32; float64 stays float64."""
import torch

from vsrkit.ops import backward_warp, bicubic_upsample, spmc_warp
from vsrkit.ops.precision import float32_op, to_float32


def _case():
    g = torch.Generator().manual_seed(0)
    img = torch.rand(2, 1, 12, 20, generator=g)
    flow = (torch.rand(2, 2, 12, 20, generator=g) - 0.5) * 6
    return img, flow


def test_float32_ops_ignore_autocast():
    img, flow = _case()
    plain = (spmc_warp(img, flow, 4, offset=1.5), backward_warp(img, flow), bicubic_upsample(img, 4))
    for dtype in (torch.bfloat16, torch.float16):
        with torch.autocast('cpu', dtype=dtype):
            under = (spmc_warp(img, flow, 4, offset=1.5), backward_warp(img, flow),
                     bicubic_upsample(img, 4))
        for a, b in zip(under, plain):
            assert a.dtype == torch.float32
            torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_half_inputs_are_computed_in_float32():
    img, flow = _case()
    # a flow of whole pixels at positions far beyond bf16's 8 significant bits
    big = torch.zeros(1, 2, 4, 300)
    big[:, 0] = 0.5
    one = torch.ones(1, 1, 4, 300)
    out = spmc_warp(one.bfloat16(), big.bfloat16(), 4)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, spmc_warp(one, big, 4))
    # in bf16, x = 299 + 0.5 would round to 300: the splat would land elsewhere
    assert spmc_warp(one, big, 4)[0, 0, 0].nonzero().max() == 4 * 299 + 2
    h = img.half()
    torch.testing.assert_close(bicubic_upsample(h, 2), bicubic_upsample(h.float(), 2))


def test_float64_and_other_arguments_pass_through():
    calls = []

    @float32_op
    def f(x, k=1):
        calls.append((x.dtype, k))
        return x

    assert f(torch.zeros(2, dtype=torch.float64), k=3).dtype == torch.float64
    assert f(torch.zeros(2, dtype=torch.bfloat16)).dtype == torch.float32
    assert calls == [(torch.float64, 3), (torch.float32, 1)]
    assert to_float32(torch.zeros(1, dtype=torch.int64)).dtype == torch.int64
    assert to_float32('x') == 'x'
