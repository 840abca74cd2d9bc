#!/usr/bin/env python3
"""Exports small torchvision-style networks to ONNX for the importer test (test/import.test.ts).

  /usr/bin/python3 export_feature_net.py <out dir>

Writes, with random weights from a fixed seed, at opset 17 (what Debian's onnx checker knows):
  features.onnx    input normalisation (Sub, Div by buffers) and a VGG-like `features` stack
                   (Conv-ReLU-Conv-ReLU-MaxPool-Conv-ReLU-AvgPool), exported with dynamic N, H, W as a
                   torchvision VGG-19 `features` module would be. Its outputs are feature taps:
                   `relu1_2`, `pool1`, `feat`.
  classifier.onnx  a fixed-size network over the other ops the importer maps: strided, dilated and
                   grouped convs, LeakyReLU, BatchNorm (inference, kept apart from the conv so the
                   exporter cannot fold it), Sigmoid, Tanh, Concat, Mul/Add by constants,
                   GlobalAveragePool, Flatten, MatMul and a Gemm head; input [2, 3, 8, 8], output `logits`.
"""
import os
import sys

import torch
import torch.nn as nn


class Features(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer('mean', torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer('std', torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(2, 2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(inplace=True),
            nn.AvgPool2d(2, 2),
        )

    def forward(self, x):
        h = (x - self.mean) / self.std
        taps = []
        for i, layer in enumerate(self.features):
            h = layer(h)
            if i in (3, 4):
                taps.append(h)
        return taps[0], taps[1], h


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.act = nn.LeakyReLU(0.1)
        self.bn = nn.BatchNorm2d(8)
        self.dilated = nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=2, bias=False)
        self.pool = nn.AvgPool2d(3, stride=2, padding=1)  # count_include_pad=True
        self.register_buffer('shift', torch.tensor([0.1, -0.1] * 4).view(1, 8, 1, 1))
        self.proj = nn.Parameter(torch.randn(16, 6))
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(6, 4)
        with torch.no_grad():  # non-trivial running statistics
            self.bn.running_mean.uniform_(-0.5, 0.5)
            self.bn.running_var.uniform_(0.5, 2.0)
            self.bn.weight.uniform_(0.5, 1.5)
            self.bn.bias.uniform_(-0.2, 0.2)

    def forward(self, x):
        h = self.bn(self.act(self.stem(x)))
        d = self.dilated(h)
        # Centred branches keep the sums a finite-difference check takes small next to the input's
        # gradient, so float32 noise does not hide a wrong gradient.
        h = torch.cat([torch.sigmoid(d) * 2 - 1, torch.tanh(h) * 0.5 + self.shift], dim=1)
        h = self.pool(h)
        g = nn.functional.adaptive_avg_pool2d(h, 1)  # GlobalAveragePool
        g = torch.flatten(g, 1)
        return self.fc(self.drop(g @ self.proj))


def main():
    out = sys.argv[1]
    torch.manual_seed(0)
    features = Features().eval()
    torch.onnx.export(
        features, torch.rand(1, 3, 16, 16), os.path.join(out, 'features.onnx'), opset_version=17,
        input_names=['image'], output_names=['relu1_2', 'pool1', 'feat'],
        dynamic_axes={name: {0: 'N', 2: 'H', 3: 'W'} for name in ['image', 'relu1_2', 'pool1', 'feat']},
    )
    classifier = Classifier().eval()
    torch.onnx.export(
        classifier, torch.rand(2, 3, 8, 8), os.path.join(out, 'classifier.onnx'), opset_version=17,
        input_names=['image'], output_names=['logits'],
    )


if __name__ == '__main__':
    main()
