"""Tile arithmetic, tiled == untiled for a conv net of known receptive field, margin probe."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from vsrkit.apis.tiling import Span, receptive_margin, tile_spans, tiled_forward

torch.set_num_threads(2)


def test_tile_spans_hand_computed():
    assert tile_spans(10, 4, 2) == [Span(0, 4, 0, 6), Span(4, 8, 2, 10), Span(8, 10, 6, 10)]
    # tile 5 -> 8 and overlap 3 -> 4 with align 4: every read start is a multiple of 4
    assert tile_spans(20, 5, 3, align=4) == [Span(0, 8, 0, 12), Span(8, 16, 4, 20),
                                            Span(16, 20, 12, 20)]
    assert tile_spans(3, 8, 2) == [Span(0, 3, 0, 3)]
    with pytest.raises(ValueError, match='tile'):
        tile_spans(10, 0, 2)


class ToySR(nn.Module):
    """(B, T, C, h, w) -> (B, C, s h, s w): convs of kernels 5, 3, 3 (margin 2 + 1 + 1 = 4 LR px)
    on the stacked frames, then pixel shuffle; with ``stride`` the first conv is strided and an
    extra shuffle restores the size (a stride phase the tiler must respect)."""

    def __init__(self, t=3, c=1, scale=2, stride=1):
        super().__init__()
        self.scale, self.stride = scale, stride
        self.net = nn.Sequential(
            nn.Conv2d(t * c, 8, 5, stride, 2), nn.ReLU(), nn.Conv2d(8, 8, 3, 1, 1), nn.ReLU(),
            nn.Conv2d(8, c * (scale * stride) ** 2, 3, 1, 1))

    def forward(self, x):
        b, t, c, h, w = x.shape
        return F.pixel_shuffle(self.net(x.reshape(b, t * c, h, w)), self.scale * self.stride)


@pytest.mark.parametrize('stride', [1, 2])
def test_tiled_equals_untiled_when_overlap_covers_margin(stride):
    torch.manual_seed(0)
    model = ToySR(stride=stride).eval()
    x = torch.rand(2, 3, 1, 37 - (stride - 1), 50)  # the strided toy needs even sizes
    with torch.no_grad():
        full = model(x)
        margin = receptive_margin(model, 3, 1, 2, align=stride)
        tiled = tiled_forward(model, x, 2, tile=8, overlap=margin, align=stride)
        short = tiled_forward(model, x, 2, tile=8, overlap=margin - 2, align=stride)
        # an odd read start puts the strided conv on the other sampling phase
        odd = tiled_forward(model, x, 2, tile=8, overlap=margin + 1 - margin % 2, align=1)
    assert tiled.shape == full.shape == (2, 1, 2 * x.shape[-2], 100)
    assert (tiled - full).abs().max().item() < 1e-5
    assert (short - full).abs().max().item() > 1e-3  # too little context shows seams
    assert ((odd - full).abs().max().item() > 1e-3) == (stride == 2)


def test_receptive_margin_matches_architecture():
    torch.manual_seed(0)
    # kernels 5, 3, 3 at stride 1: 2 + 1 + 1 LR pixels of context per side
    assert receptive_margin(ToySR(stride=1), 3, 1, 2) == 4
    # a single 9x9 conv: 4 pixels; wider than the first probe size forces growth
    conv = nn.Conv2d(3, 4, 41, padding=20)
    fn = lambda x: F.pixel_shuffle(conv(x.flatten(1, 2)), 2)  # noqa: E731
    assert receptive_margin(fn, 3, 1, 2, size=16) == 20
