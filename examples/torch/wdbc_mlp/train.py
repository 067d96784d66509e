"""Train a small MLP on the Wisconsin diagnostic breast cancer data (WDBC) under dxtrain.

The dataset is datasets/testdata/wdbc.csv ingested as `wdbc` by
datasets/specs/wdbc-ingest.yaml: 30 measurements of cell nuclei per biopsy, the label
benign (B) or malignant (M). The network is 30 → 32 → 16 → 2 with the training
split's standardisation inside it, so checkpoints and the exported ONNX model take raw
measurements. With more than one rank it trains data-parallel (DistributedDataParallel
over gloo, or NCCL on GPUs); it checkpoints every --checkpoint-every steps and resumes
from the latest committed checkpoint at the batch it stopped after. Asked to stop
(preempted, or past its time limit), it checkpoints the step it is at and exits; the
next attempt resumes there.

Standalone (no agent): DXTRAIN_DATASET_DIR=DIR python3 train.py (see README.md).
"""

import argparse
import gc
import math
import os
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

import dxtrain
from export import export_onnx
from metrics import classification_metrics


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    # The defaults are the recipe of the native runtime's experiments/wdbc-ingested-mlp.yaml,
    # so the two runtimes can be compared on the same dataset.
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--batch-size", type=int, default=32, help="global batch, divided among the ranks")
    p.add_argument("--lr", type=float, default=2e-3, help="peak Adam learning rate (cosine decay to zero)")
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--checkpoint-every", type=int, default=200, help="steps between checkpoints; 0: only at the end")
    p.add_argument("--eval-every", type=int, default=5, help="epochs between validation reports")
    p.add_argument("--onnx", default="", help="where to write the ONNX model (default: under DXTRAIN_WORK_DIR)")
    return p.parse_args()


class MLP(nn.Module):
    """Standardise with the training split's statistics, then 30 → 32 → 16 → classes.
    The statistics are buffers, so they travel with checkpoints and into the ONNX
    graph, whose input is then the raw measurements."""

    def __init__(self, features, classes, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32))
        self.net = nn.Sequential(nn.Linear(features, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, classes))

    def forward(self, x):
        return self.net((x - self.mean) / self.std)


def setup(ctx):
    """Seed (every rank alike, so the replicas start identical), pick the device
    (the agent leaves each GPU rank exactly one visible GPU: cuda:0) and join the
    process group."""
    torch.manual_seed(ctx.seed)
    np.random.seed(ctx.seed % 2**32)
    device = torch.device("cuda", 0) if ctx.device == "cuda" else torch.device("cpu")
    if ctx.device == "cuda":
        torch.cuda.set_device(device)
    if ctx.world_size > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if ctx.device == "cuda" else "gloo", rank=ctx.rank, world_size=ctx.world_size)
    return device


def lr_at(step, total, peak):
    """Cosine decay from peak to zero over the run: a function of the step alone,
    so a resumed run needs no scheduler state."""
    return peak * 0.5 * (1 + math.cos(math.pi * step / max(1, total)))


@torch.no_grad()
def evaluate(net, arrays, device, prefix):
    """Metrics of net on a whole split. Every rank scores all of it: it is a few
    hundred rows, and the replicas hold the same weights."""
    x, y = arrays
    net.eval()
    logits = net(torch.as_tensor(x).to(device)).cpu().numpy()
    net.train()
    return {k: v for k, v in classification_metrics(logits, y, prefix).items() if math.isfinite(v)}


def leave():
    """Leave the process group once every rank is done (so no rank exits while rank 0
    still exports). The caller first drops its DistributedDataParallel wrapper: were
    DDP's reducer the group's last holder, freeing it would join gloo's worker threads
    with the GIL held while a worker may need the GIL to free a tensor, a deadlock that
    hung about one run in ten on torch 1.13. Destroyed through the registry, the group
    releases the GIL first."""
    gc.collect()  # DDP may sit in reference cycles: free it now, while the group lives
    dist.barrier()
    dist.destroy_process_group()


def main():
    args = parse_args()
    ctx = dxtrain.init()
    device = setup(ctx)
    ds = ctx.dataset
    ddp = ctx.world_size > 1
    net = MLP(ds.feature_shape[0], len(ds.classes), ds.stats.mean, ds.stats.std).to(device)
    model = DistributedDataParallel(net, device_ids=[0] if ctx.device == "cuda" else None) if ddp else net
    opt = torch.optim.Adam(net.parameters(), lr=args.lr, weight_decay=args.weight_decay)

    spe = ds.steps_per_epoch(args.batch_size)
    total = args.epochs * spe
    n_train = ds.records("train")
    val = ds.arrays("validation")
    step = 0
    resumed = ctx.resume()
    if resumed is not None:
        state = resumed.load(map_location=device)
        net.load_state_dict(state["model"])
        opt.load_state_dict(state["optim"])
        step = state["step"]
        if ctx.rank == 0:
            print(f"resumed at step {step} (epoch {state['epoch']})", flush=True)

    def state(epoch):
        return {"model": net.state_dict(), "optim": opt.state_dict(), "step": step, "epoch": epoch, "args": vars(args)}

    start = time.perf_counter()
    val_metrics = {}
    stopped = False
    for epoch in range(step // spe, args.epochs):
        done = step - epoch * spe  # batches of this epoch before the checkpoint resumed from
        loss_sum_epoch, seen = 0.0, 0
        for i, (x, y) in enumerate(ds.batches(split="train", batch_size=args.batch_size, epoch=epoch)):
            if i < done:
                continue
            for group in opt.param_groups:
                group["lr"] = lr_at(step, total, args.lr)
            x, y = torch.as_tensor(x).to(device), torch.as_tensor(y).to(device)
            loss_sum = F.cross_entropy(model(x), y, reduction="sum")
            # DDP averages gradients over the ranks; scaling each rank's summed loss
            # by world/global count makes that the global batch's mean, even when the
            # last batch leaves a rank fewer (or no) rows.
            n_global = min(args.batch_size, n_train - i * args.batch_size)
            opt.zero_grad(set_to_none=True)
            (loss_sum * ctx.world_size / n_global).backward()
            opt.step()
            step += 1
            loss_sum_epoch += loss_sum.item()
            seen += len(y)
            due = args.checkpoint_every and step % args.checkpoint_every == 0 and step != total
            # Every rank asks at every step (a collective), naming the step it would
            # checkpoint (a validator's replay stops there); on the last step there is
            # nothing left to stop, the run finishes.
            stopped = step != total and ctx.should_stop(step)
            if due or stopped:
                val_metrics = evaluate(net, val, device, "val")
                ctx.checkpoint(step, state(epoch), **val_metrics)
            if stopped:
                ctx.stopped(step)
                break
        if stopped:
            break
        if (epoch + 1) % args.eval_every == 0 or epoch + 1 == args.epochs:
            val_metrics = evaluate(net, val, device, "val")
            # Every rank reports (the agent records rank 0's; any report tells it the
            # rank is alive). loss is the rank's own share of the epoch: they are alike.
            ctx.report(step, epoch=epoch + 1, loss=loss_sum_epoch / max(seen, 1), **val_metrics)

    if stopped:
        if ctx.rank == 0:
            print(f"stopped on request at step {step}", flush=True)
        if ddp:
            del model  # see leave()
            leave()
        return

    # The final checkpoint, also when resumed after it (then it is skipped).
    if resumed is None or resumed.step < total:
        ctx.checkpoint(total, state(args.epochs - 1), **val_metrics)
    test_x, test_y = ds.arrays("test")
    test = evaluate(net, (test_x, test_y), device, "test")
    test["train_seconds"] = time.perf_counter() - start
    ctx.report(total, **test)
    if ctx.rank == 0:
        print(" ".join(f"{k}={v:.4f}" for k, v in test.items()), flush=True)
        path = args.onnx or os.path.join(os.environ.get("DXTRAIN_WORK_DIR", "dxtrain-standalone"), "export", "wdbc_mlp.onnx")
        export_onnx(ctx, net, test_x[:16], os.path.abspath(path), features=ds.features, classes=ds.classes,
                    meta={"dxtrain.architecture": "mlp-30-32-16-2",
                          "dxtrain.test_accuracy": f"{test['test_accuracy']:.6f}",
                          "dxtrain.test_auroc": f"{test.get('test_auroc', float('nan')):.6f}"})
    if ddp:
        del model  # see leave()
        leave()


if __name__ == "__main__":
    main()
