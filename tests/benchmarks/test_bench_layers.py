"""bench_layers: the fusion net's layers in their training shapes, and their FLOP counts."""
import os

import torch.nn as nn

from tools.benchmarks import bench_layers


def test_layer_shapes_of_the_demo_training_step():
    layers = {name: shape for name, _, shape in bench_layers.layer_shapes(os.path.join(bench_layers.ROOT, 'configs/spmc/spmc_x4_demo.py'))}
    # batch 8 x 3 frames, 96x96 GT crops; Y + the SPMC weight map into enc0; the LSTM per step
    assert layers['enc0.0'] == (24, 2, 96, 96) and layers['enc3.0'] == (24, 16, 48, 48)
    assert layers['dec4.0'] == (24, 8, 96, 96) and layers['out'] == (24, 8, 96, 96)
    assert layers['temporal.gates (x and h)'] == (8, 64, 24, 24)
    assert len(layers) == 11


def test_flops_of_a_conv_and_a_transposed_conv():
    conv = bench_layers.time_layer(nn.Conv2d(3, 4, 3, 2, 1), (2, 3, 8, 10), reps=1)
    assert conv['flops'] == 2 * (2 * 4 * 5) * 3 * 4 * 9  # output 4x5 per image
    deconv = bench_layers.time_layer(nn.ConvTranspose2d(4, 2, 4, 2, 1), (1, 4, 3, 5), reps=1)
    assert deconv['flops'] == 2 * (3 * 5) * 4 * 2 * 16  # every input pixel meets 16 taps
    assert min(conv['forward'], conv['grad_input'], conv['grad_weight']) > 0
