"""A small ResNet for 1×28×28 lesion patches, with the dataset's standardisation inside.

The standardisation (the training split's per-channel mean and std from the dataset
manifest) is a pair of buffers in the module rather than a step of the data pipeline,
so the exported ONNX graph takes raw pixels in [0, 1], as `dxtrain predict` and the
native runtime's exports do, and a checkpoint carries the statistics it was trained
with.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    """Two 3×3 convolutions with BatchNorm and an identity (or 1×1 projection) shortcut:
    the block of He et al. 2016. The projection is used only where the shape changes."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class LesionResNet(nn.Module):
    """Stem convolution, three residual stages (width w, 2w, 4w at 28, 14 and 7 pixels),
    global average pooling and a linear layer to class logits.

    Three stages because the malignancy cues live at three scales: single-pixel
    globules, the lesion's few-pixel border, and its overall asymmetry."""

    def __init__(self, channels, classes, mean, std, width=16):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).reshape(1, channels, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).reshape(1, channels, 1, 1))
        self.stem = nn.Sequential(nn.Conv2d(channels, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU())
        self.stages = nn.Sequential(
            BasicBlock(width, width, 1),
            BasicBlock(width, 2 * width, 2),
            BasicBlock(2 * width, 4 * width, 2),
        )
        self.fc = nn.Linear(4 * width, classes)

    def forward(self, x):
        x = (x - self.mean) / self.std
        x = self.stages(self.stem(x))
        # Global average pooling as a mean: unlike AdaptiveAvgPool2d its CUDA
        # backward is deterministic, so --deterministic works on GPUs too.
        return self.fc(x.mean(dim=(2, 3)))
