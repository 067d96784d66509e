#!/usr/bin/env python3
"""PyTorch side of bench/throughput: trains the reference shapes on the batches the Go
side wrote (the same bytes dxtrain trains on), cycling through them, and prints
  torch samples_per_s=<X>

The shapes are ../shared/bench/torch_reference.py's (SGD 0.01, momentum 0.9, float32).
--flush-denormal sets torch.set_flush_denormal(True), to measure what subnormal
arithmetic costs on a kind of data. OpenBLAS is pinned to one thread unless
OPENBLAS_NUM_THREADS is set, as the shared reference does.
"""
import argparse
import json
import os
import time
from typing import List, Tuple

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402


def build(kind: str) -> nn.Module:
    if kind == "logreg":
        return nn.Sequential(nn.Linear(30, 1))
    if kind == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                             nn.Linear(128, 10))
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


def load(meta_path: str) -> Tuple[dict, List[Tuple[torch.Tensor, torch.Tensor]]]:
    with open(meta_path) as f:
        meta = json.load(f)
    b, k = meta["batch"], meta["count"]
    x = torch.from_numpy(np.fromfile(meta["x"], dtype="<f4")).reshape(k, b, *meta["shape"])
    y = torch.from_numpy(np.fromfile(meta["y"], dtype="<i4")).long().reshape(k, b)
    return meta, [(x[i].contiguous(), y[i].contiguous()) for i in range(k)]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True, help="the JSON the Go side wrote beside the batches")
    p.add_argument("--model", choices=["logreg", "mlp", "cnn"], required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--flush-denormal", action="store_true")
    a = p.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(a.threads)
    torch.set_flush_denormal(a.flush_denormal)
    meta, batches = load(a.data)
    model = build(a.model)
    binary = a.model == "logreg"
    lossf = nn.BCEWithLogitsLoss() if binary else nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step(i: int) -> None:
        x, y = batches[i % len(batches)]
        out = model(x)
        loss = lossf(out.squeeze(1), y.float()) if binary else lossf(out, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for i in range(20):
        step(i)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < a.seconds:
        step(n)
        n += 1
    dt = time.perf_counter() - t0
    print(f"torch samples_per_s={n * meta['batch'] / dt:.0f}")


if __name__ == "__main__":
    main()
