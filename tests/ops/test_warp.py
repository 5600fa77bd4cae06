"""backward_warp and spmc_warp against brute-force loops, gradcheck, and exact cases."""
import math

import pytest
import torch

from vsrkit.ops import backward_warp, spmc_warp


def brute_backward_warp(img, flow):
    """out(p) = img(p + flow(p)) by explicit bilinear taps; zeros outside."""
    n, c, h, w = img.shape
    out = torch.zeros_like(img)
    mask = torch.zeros(n, 1, h, w, dtype=img.dtype)
    for b in range(n):
        for y in range(h):
            for x in range(w):
                sx = x + flow[b, 0, y, x].item()
                sy = y + flow[b, 1, y, x].item()
                mask[b, 0, y, x] = float(0 <= sx <= w - 1 and 0 <= sy <= h - 1)
                x0, y0 = math.floor(sx), math.floor(sy)
                for xi in (x0, x0 + 1):
                    for yi in (y0, y0 + 1):
                        wgt = max(0.0, 1 - abs(sx - xi)) * max(0.0, 1 - abs(sy - yi))
                        if 0 <= xi < w and 0 <= yi < h and wgt > 0:
                            out[b, :, y, x] += wgt * img[b, :, yi, xi]
    return out, mask


def brute_spmc(img, flow, scale):
    """J_q = sum_p img_p M(x^s_p - x_q) M(y^s_p - y_q), looping over every (p, q)."""
    n, c, h, w = img.shape
    oh, ow = round(h * scale), round(w * scale)
    out = torch.zeros(n, c, oh, ow, dtype=img.dtype)
    wmap = torch.zeros(n, 1, oh, ow, dtype=img.dtype)
    for b in range(n):
        for y in range(h):
            for x in range(w):
                xs = scale * (x + flow[b, 0, y, x].item())
                ys = scale * (y + flow[b, 1, y, x].item())
                for qy in range(oh):
                    my = max(0.0, 1 - abs(ys - qy))
                    if my == 0:
                        continue
                    for qx in range(ow):
                        m = max(0.0, 1 - abs(xs - qx)) * my
                        if m > 0:
                            out[b, :, qy, qx] += img[b, :, y, x] * m
                            wmap[b, 0, qy, qx] += m
    return out, wmap


def random_case(n=2, c=3, h=5, w=6, flow_scale=1.5, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    img = torch.rand(n, c, h, w, generator=g, dtype=dtype)
    flow = (torch.rand(n, 2, h, w, generator=g, dtype=dtype) * 2 - 1) * flow_scale
    return img, flow


@pytest.mark.parametrize('flow_scale', [0.7, 3.0, 9.0])  # fractional, large, mostly out of range
def test_backward_warp_matches_brute_force(flow_scale):
    img, flow = random_case(flow_scale=flow_scale, seed=int(flow_scale * 10))
    out, mask = backward_warp(img, flow, return_mask=True)
    ref, ref_mask = brute_backward_warp(img, flow)
    torch.testing.assert_close(out, ref, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(mask, ref_mask)


@pytest.mark.parametrize('scale', [1, 2, 3, 4])
@pytest.mark.parametrize('flow_scale', [0.7, 4.0])
def test_spmc_matches_brute_force(scale, flow_scale):
    img, flow = random_case(h=4, w=5, flow_scale=flow_scale, seed=scale)
    out, wmap = spmc_warp(img, flow, scale, return_weights=True)
    ref, ref_w = brute_spmc(img, flow, scale)
    assert out.shape == (2, 3, 4 * scale, 5 * scale)
    torch.testing.assert_close(out, ref, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(wmap, ref_w, rtol=1e-10, atol=1e-10)


def test_spmc_non_integer_scale_matches_brute_force():
    img, flow = random_case(h=4, w=4, flow_scale=0.8, seed=7)
    out = spmc_warp(img, flow, 2.5)
    ref, _ = brute_spmc(img, flow, 2.5)
    assert out.shape[-2:] == (10, 10)
    torch.testing.assert_close(out, ref, rtol=1e-10, atol=1e-10)


def test_spmc_many_sources_on_one_target_add_up():
    # Every pixel moves exactly onto LR pixel (1, 1): at scale 2 they all land on HR (2, 2).
    h, w = 3, 4
    img = torch.arange(1.0, 1 + h * w, dtype=torch.float64).view(1, 1, h, w)
    ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing='ij')
    flow = torch.stack((1 - xs, 1 - ys)).unsqueeze(0).double()
    out, wmap = spmc_warp(img, flow, 2, return_weights=True)
    assert out[0, 0, 2, 2].item() == pytest.approx(img.sum().item())
    assert wmap[0, 0, 2, 2].item() == pytest.approx(h * w)
    assert out.sum().item() == pytest.approx(img.sum().item())


def test_spmc_drops_contributions_outside():
    img = torch.ones(1, 1, 2, 2, dtype=torch.float64)
    flow = torch.full((1, 2, 2, 2), 10.0, dtype=torch.float64)
    assert spmc_warp(img, flow, 2).abs().sum().item() == 0.0


def test_spmc_nan_flow_gives_nan_output_not_a_crash():
    # NaN flow (from NaN input frames, say) used to become index -2**63 in the scatter.
    img, flow = random_case(seed=5)
    flow[0, 0, 2, 3] = float('nan')
    out = spmc_warp(img, flow, 2)
    assert torch.isnan(out[0]).any() and not torch.isnan(out[1]).any()
    good = flow.clone()
    good[0, 0, 2, 3] = 1e6  # the same pixel sent off the grid: the rest of the output is unchanged
    ref = spmc_warp(img, good, 2)
    finite = out[0].isfinite()
    torch.testing.assert_close(out[0][finite], ref[0][finite])


def test_spmc_zero_flow_scale_one_is_identity_and_integer_shift_exact():
    img, _ = random_case(seed=3)
    zero = torch.zeros(img.shape[0], 2, *img.shape[2:], dtype=img.dtype)
    torch.testing.assert_close(spmc_warp(img, zero, 1), img, rtol=0, atol=0)
    shift = zero.clone()
    shift[:, 0] = 2.0  # two pixels right
    shift[:, 1] = -1.0  # one pixel up
    out = spmc_warp(img, shift, 1)
    torch.testing.assert_close(out[:, :, :-1, 2:], img[:, :, 1:, :-2], rtol=0, atol=0)
    assert out[:, :, :, :2].abs().sum() == 0 and out[:, :, -1].abs().sum() == 0
    # Zero flow at scale 4: each LR pixel sits alone at (4y, 4x), everything else is a hole.
    up = spmc_warp(img, zero, 4)
    torch.testing.assert_close(up[:, :, ::4, ::4], img, rtol=0, atol=0)
    assert (up != 0).sum() == (img != 0).sum()


def test_backward_warp_zero_flow_identity_and_integer_shift_exact():
    img, _ = random_case(seed=4)
    zero = torch.zeros(img.shape[0], 2, *img.shape[2:], dtype=img.dtype)
    torch.testing.assert_close(backward_warp(img, zero), img, rtol=0, atol=1e-12)
    shift = zero.clone()
    shift[:, 0] = 1.0  # out(x) = img(x + 1)
    out = backward_warp(img, shift)
    torch.testing.assert_close(out[..., :-1], img[..., 1:], rtol=0, atol=1e-12)
    assert out[..., -1].abs().sum() == 0


def test_gradcheck_spmc_image_and_flow():
    img, flow = random_case(n=1, c=2, h=3, w=4, flow_scale=1.3, seed=11)
    img.requires_grad_(True)
    flow.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda i, f: spmc_warp(i, f, 2), (img, flow))
    assert torch.autograd.gradcheck(lambda i, f: spmc_warp(i, f, 3, return_weights=True)[1], (img, flow))


def test_gradcheck_backward_warp_image_and_flow():
    img, flow = random_case(n=1, c=2, h=4, w=4, flow_scale=1.3, seed=12)
    img.requires_grad_(True)
    flow.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda i, f: backward_warp(i, f), (img, flow))


def test_shape_errors_name_the_problem():
    img = torch.zeros(1, 1, 4, 4)
    with pytest.raises(ValueError, match='spmc_warp'):
        spmc_warp(img, torch.zeros(1, 2, 4, 5), 2)
    with pytest.raises(ValueError, match='backward_warp'):
        backward_warp(img, torch.zeros(1, 3, 4, 4))
