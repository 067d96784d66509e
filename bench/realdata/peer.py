#!/usr/bin/env python3
"""PyTorch peer of bench/realdata: the workload dxtrain trains, on the splits it exported.

  peer.py run   DATA --model M --epochs E   one JSON line per epoch, then the test accuracy
  peer.py sweep DATA --model M --steps N    training-step rate of the same loop, in JSON

Each epoch draws a permutation, indexes the standardised training tensor batch by batch
(Adam 1e-3, batch 128), then validates in batches of 256 under no_grad and saves the model
and optimizer state, as dxtrain checkpoints each epoch. Thread settings come from
OPENBLAS_NUM_THREADS and OMP_NUM_THREADS in the environment and --threads
(torch.set_num_threads); bench/realdata sweeps them and keeps the fastest. With
--flush-denormal, subnormal floats are flushed to zero: on Fashion-MNIST, Adam's moments
of the MLP held no subnormal value after one epoch and 19,512 after two, and arithmetic on
them can be many times slower on x86, so both settings are run and the faster is kept.
"""
import argparse
import json
import os
import tempfile
import time
from typing import Dict, List, Tuple

import torch  # before numpy: imported after it, torch's MLP ran several times slower here
from torch import nn
import numpy as np  # noqa: E402


def load(data: str) -> Tuple[dict, Dict[str, Tuple[torch.Tensor, torch.Tensor]]]:
    with open(os.path.join(data, "meta.json")) as f:
        meta = json.load(f)
    splits = {}
    for name, (xf, yf) in meta["files"].items():
        x = torch.from_numpy(np.fromfile(xf, dtype="<f4")).reshape(-1, *meta["shape"])
        if meta["mean"]:  # per-feature standardisation with the training split's statistics
            mean = torch.tensor(meta["mean"]).reshape(meta["shape"])
            x = (x - mean) / torch.tensor(meta["std"]).reshape(meta["shape"])
        splits[name] = (x.contiguous(), torch.from_numpy(np.fromfile(yf, dtype="<i4")).long())
    return meta, splits


def build(kind: str, shape: List[int], outputs: int) -> nn.Module:
    if kind == "cnn":
        return nn.Sequential(nn.Conv2d(shape[0], 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Linear(64 * (shape[1] // 4) * (shape[2] // 4), 128), nn.ReLU(),
                             nn.Linear(128, outputs))
    return nn.Sequential(nn.Flatten(), nn.Linear(int(np.prod(shape)), 256), nn.ReLU(),
                         nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, outputs))


class Trainer:
    def __init__(self, kind: str, meta: dict, batch: int):
        self.binary = meta["classes"] == 2  # dxtrain's sigmoid head: one logit
        self.model = build(kind, meta["shape"], 1 if self.binary else meta["classes"])
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        self.lossf = nn.BCEWithLogitsLoss() if self.binary else nn.CrossEntropyLoss()
        self.batch = batch

    def step(self, xb: torch.Tensor, yb: torch.Tensor) -> None:
        out = self.model(xb)
        loss = self.lossf(out.squeeze(1), yb.float()) if self.binary else self.lossf(out, yb)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()

    def batches(self, x: torch.Tensor, y: torch.Tensor, gen: torch.Generator):
        perm = torch.randperm(x.shape[0], generator=gen)
        for lo in range(0, x.shape[0], self.batch):
            idx = perm[lo:lo + self.batch]
            yield x.index_select(0, idx), y.index_select(0, idx)

    def accuracy(self, x: torch.Tensor, y: torch.Tensor) -> float:
        self.model.eval()
        right = 0
        with torch.no_grad():
            for lo in range(0, x.shape[0], 256):
                out = self.model(x[lo:lo + 256])
                pred = (out.squeeze(1) > 0).long() if self.binary else out.argmax(1)
                right += int((pred == y[lo:lo + 256]).sum())
        self.model.train()
        return right / x.shape[0]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["run", "sweep"])
    p.add_argument("data")
    p.add_argument("--model", choices=["cnn", "mlp"], required=True)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--flush-denormal", action="store_true", help="torch.set_flush_denormal(True)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_flush_denormal(a.flush_denormal)
    torch.manual_seed(1)
    start = time.perf_counter()
    meta, s = load(a.data)
    t = Trainer(a.model, meta, a.batch)
    gen = torch.Generator().manual_seed(1)
    (x, y), (vx, vy) = s["train"], s["validation"]
    if a.mode == "sweep":
        timed, n, rows, seen, last = 0.0, 0, 0, 0, time.perf_counter()
        while n < a.steps:
            for xb, yb in t.batches(x, y, gen):
                t.step(xb, yb)
                now = time.perf_counter()
                if seen >= 5:  # the first steps warm the allocator and caches
                    timed, n, rows = timed + now - last, n + 1, rows + xb.shape[0]
                seen, last = seen + 1, now
                if n == a.steps:
                    break
        print(json.dumps({"train_rate": rows / timed}))
        return
    ckpt = os.path.join(tempfile.mkdtemp(prefix="realdata-peer-"), "state.pt")
    for epoch in range(1, a.epochs + 1):
        t0 = time.perf_counter()
        for xb, yb in t.batches(x, y, gen):
            t.step(xb, yb)
        t1 = time.perf_counter()
        acc = t.accuracy(vx, vy)
        t2 = time.perf_counter()
        torch.save({"model": t.model.state_dict(), "optimizer": t.opt.state_dict()}, ckpt)
        t3 = time.perf_counter()
        print(json.dumps({"epoch": epoch, "train_s": t1 - t0, "train_n": x.shape[0], "val_s": t2 - t1,
                          "val_n": vx.shape[0], "ckpt_s": t3 - t2, "val_acc": acc, "elapsed_s": t3 - start}), flush=True)
    os.remove(ckpt)
    print(json.dumps({"test_acc": t.accuracy(*s["test"])}))


if __name__ == "__main__":
    main()
