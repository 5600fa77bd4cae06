"""Flow colour wheel against hand values and a literal per-pixel port of the Middlebury code."""
import math

import numpy as np
import pytest
import torch

from vsrkit.visualization import color_wheel_legend, flow_image, flow_to_color


def _reference_pixel(u, v):
    """Per-pixel port of Baker et al.'s computeColor (flow already divided by max flow)."""
    wheel = []
    for n, kind in ((15, 'RY'), (6, 'YG'), (4, 'GC'), (11, 'CB'), (13, 'BM'), (6, 'MR')):
        for i in range(n):
            ramp = math.floor(255 * i / n)
            wheel.append({'RY': (255, ramp, 0), 'YG': (255 - ramp, 255, 0),
                          'GC': (0, 255, ramp), 'CB': (0, 255 - ramp, 255),
                          'BM': (ramp, 0, 255), 'MR': (255, 0, 255 - ramp)}[kind])
    ncols = len(wheel)
    rad = math.sqrt(u * u + v * v)
    a = math.atan2(-v, -u) / math.pi
    fk = (a + 1) / 2 * (ncols - 1)
    k0 = int(math.floor(fk))
    k1 = 0 if k0 + 1 == ncols else k0 + 1
    f = fk - k0
    out = []
    for ch in range(3):
        col = ((1 - f) * wheel[k0][ch] + f * wheel[k1][ch]) / 255
        col = 1 - rad * (1 - col) if rad <= 1 else col * 0.75
        out.append(math.floor(255 * col))
    return tuple(out)


def test_hand_values():
    flow = np.zeros((2, 1, 5))
    flow[:, 0, 0] = (1, 0)    # right: red
    flow[:, 0, 1] = (-1, 0)   # left: wheel entry 27 = (0, 255 - floor(255*2/11), 255)
    flow[:, 0, 2] = (0, 1)    # down: halfway between entries 13 and 14
    flow[:, 0, 3] = (0.5, 0)  # half magnitude: half-saturated red
    img = flow_to_color(flow, max_flow=1.0)
    assert tuple(img[0, 0]) == (255, 0, 0)
    assert tuple(img[0, 1]) == (0, 209, 255)
    assert tuple(img[0, 2]) == (255, 229, 0)
    assert tuple(img[0, 3]) == (255, 127, 127)
    assert tuple(img[0, 4]) == (255, 255, 255)  # no motion: white


def test_matches_reference_loop_and_layouts():
    rng = np.random.default_rng(0)
    flow = rng.normal(0, 3, (2, 9, 11))
    flow[:, 0, 0] = 0
    img = flow_to_color(flow)  # normalised by the largest magnitude
    norm = np.sqrt((flow ** 2).sum(0)).max()
    for y in range(9):
        for x in range(11):
            assert tuple(img[y, x]) == _reference_pixel(flow[0, y, x] / norm, flow[1, y, x] / norm)
    np.testing.assert_array_equal(flow_to_color(flow.transpose(1, 2, 0)), img)
    np.testing.assert_array_equal(flow_to_color(torch.from_numpy(flow).float()),
                                  flow_to_color(flow.astype(np.float32)))
    # beyond max_flow: the wheel colour dimmed by 0.75
    far = flow_to_color(np.array([[[4.0]], [[0.0]]]), max_flow=2.0)
    assert tuple(far[0, 0]) == (191, 0, 0)


def test_legend_and_errors():
    key = color_wheel_legend(33)
    assert tuple(key[16, 16]) == (255, 255, 255) and tuple(key[16, 32]) == (255, 0, 0)
    img = flow_image(np.zeros((2, 64, 80)))
    assert img.shape == (64, 80, 3)
    np.testing.assert_array_equal(img[2:18, -18:-2], color_wheel_legend(16))  # key in the corner
    assert (img[20:] == 255).all()  # zero flow elsewhere: white
    bad = np.full((2, 2, 2), np.nan)
    assert (flow_to_color(bad) == 0).all()
    with pytest.raises(ValueError, match='expected a flow'):
        flow_to_color(np.zeros((3, 4, 4)))
