"""Train a small ResNet to tell malignant from benign synthetic skin lesions,
data-parallel over the ranks dxtrain launches.

The dataset is `dxtrain datasets synth --images` ingested as `lesions` (see README.md).
Each rank trains a replica under DistributedDataParallel on its share of every global
batch; gradients are averaged over gloo (CPU) or NCCL (one GPU per rank). Progress is
checkpointed through the agent every --checkpoint-every steps, and a restarted attempt
resumes from the latest committed checkpoint at the exact batch it stopped after,
because the dataset's batch order is a function of (seed, epoch) alone. Asked to stop
(preempted, or past its time limit), it checkpoints the step it is at and exits; the
next attempt resumes there.

Standalone (no agent): DXTRAIN_DATASET_DIR=DIR python3 train.py; with torchrun's
variables set by hand for more than one rank.
"""

import argparse
import gc
import math
import os
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

import dxtrain
from export import export_onnx
from metrics import classification_metrics
from model import LesionResNet


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--batch-size", type=int, default=64, help="global batch, divided among the ranks")
    p.add_argument("--lr", type=float, default=2e-3, help="peak AdamW learning rate")
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--width", type=int, default=16, help="channels of the first stage (then 2×, 4×)")
    p.add_argument("--checkpoint-every", type=int, default=100, help="steps between checkpoints; 0: only at the end")
    p.add_argument("--report-every", type=int, default=20, help="steps between training-metric reports")
    p.add_argument("--deterministic", action="store_true",
                   help="deterministic kernels (on GPU also set CUBLAS_WORKSPACE_CONFIG=:4096:8)")
    p.add_argument("--onnx", default="", help="where to write the ONNX model (default: under DXTRAIN_WORK_DIR)")
    return p.parse_args()


def setup(ctx, deterministic):
    """Seeds, kernel choice, this rank's device and the process group. Every rank
    seeds the same, so replicas start identical even before DDP's broadcast."""
    torch.manual_seed(ctx.seed)
    np.random.seed(ctx.seed % 2**32)
    if deterministic:
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    else:
        torch.backends.cudnn.benchmark = True  # fixed input shapes: let cuDNN pick once
    device = torch.device("cpu")
    if ctx.device == "cuda":
        # The agent sets CUDA_VISIBLE_DEVICES to this rank's one GPU, so it is cuda:0
        # in every rank, whatever its index on the node.
        device = torch.device("cuda", 0)
        torch.cuda.set_device(device)
    if ctx.world_size > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if ctx.device == "cuda" else "gloo",
                                rank=ctx.rank, world_size=ctx.world_size)
    return device


def lr_at(step, total, peak):
    """Linear warm-up over the first 5% of steps, then cosine decay to zero: a
    fixed function of the step, so resuming needs no scheduler state."""
    warm = max(1, total // 20)
    if step < warm:
        return peak * (step + 1) / warm
    return peak * 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, total - warm)))


@torch.no_grad()
def predict(net, x, device, ctx, ddp, batch=256):
    """Logits [len(x), classes] of net in eval mode for the raw images x, as numpy
    on every rank. Each rank scores rows rank, rank+world, …; an all_gather
    (padded to equal sizes, as gloo needs) puts them back in row order."""
    if ddp:
        # DDP gave every replica rank 0's BatchNorm statistics at the start of the
        # last forward, which then updated each with its own batch: align them.
        for b in net.buffers():
            dist.broadcast(b, 0)
    net.eval()
    mine = x[ctx.rank::ctx.world_size]
    out = [net(torch.as_tensor(mine[i:i + batch]).to(device)).float() for i in range(0, len(mine), batch)]
    net.train()
    logits = torch.cat(out) if out else torch.zeros((0, net.fc.out_features), device=device)
    if not ddp:
        return logits.cpu().numpy()
    rows = -(-len(x) // ctx.world_size)  # the most any rank has
    padded = torch.zeros((rows, logits.shape[1]), device=device)
    padded[:len(logits)] = logits
    parts = [torch.empty_like(padded) for _ in range(ctx.world_size)]
    dist.all_gather(parts, padded)
    full = torch.empty((len(x), logits.shape[1]))
    for r, part in enumerate(parts):
        n = len(range(r, len(x), ctx.world_size))
        full[r::ctx.world_size] = part[:n].cpu()
    return full.numpy()


def finite(metrics):
    """The finite metrics: the agent takes finite numbers only, and an AUROC is
    undefined (NaN) when a split holds one class."""
    return {k: float(v) for k, v in metrics.items() if math.isfinite(v)}


class Meter:
    """Training loss, accuracy and speed since the last read. The sums stay on
    the device, so a step never waits for the GPU; read() sums them over the
    ranks (a collective: every rank calls it at the same step)."""

    def __init__(self, device, ddp):
        self.device, self.ddp = device, ddp
        self.reset()

    def reset(self):
        self.sums = torch.zeros(2, dtype=torch.float64, device=self.device)  # loss, correct
        self.samples, self.steps = 0, 0
        self.start = time.perf_counter()

    def add(self, loss_sum, logits, y):
        self.sums += torch.stack([loss_sum.detach().double(), (logits.argmax(1) == y).sum().double()])
        self.samples += len(y)
        self.steps += 1

    def read(self):
        t = torch.cat([self.sums, torch.tensor([float(self.samples)], dtype=torch.float64, device=self.device)])
        if self.ddp:
            dist.all_reduce(t)
        loss, correct, n = t.tolist()  # waits for the device
        elapsed = time.perf_counter() - self.start
        n = max(n, 1.0)
        return {"loss": loss / n, "accuracy": correct / n, "step_time_ms": 1000 * elapsed / max(self.steps, 1),
                "samples_per_sec": n / elapsed}


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
    device = setup(ctx, args.deterministic)
    ddp = ctx.world_size > 1
    ds = ctx.dataset
    channels = ds.feature_shape[0]
    net = LesionResNet(channels, len(ds.classes), ds.stats.mean, ds.stats.std, width=args.width).to(device)
    # BatchNorm statistics stay per rank during the step (SyncBatchNorm needs CUDA on
    # torch 1.13); DDP broadcasts rank 0's running statistics at every forward, so the
    # replicas evaluate and checkpoint the same model.
    model = DistributedDataParallel(net, device_ids=[0] if ctx.device == "cuda" else None) if ddp else net
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=args.weight_decay)

    spe = ds.steps_per_epoch(args.batch_size)
    print(f"rank {ctx.rank} of {ctx.world_size} on {device}: {ds.records('train')} training images, "
          f"{spe} steps per epoch", flush=True)
    total = args.epochs * spe
    n_train = ds.records("train")
    step = 0
    resumed = ctx.resume()
    if resumed is not None:
        state = resumed.load(map_location=device)
        net.load_state_dict(state["model"])
        opt.load_state_dict(state["optim"])
        step = state["step"]
        if ctx.rank == 0:
            print(f"resumed at step {step} (epoch {state['epoch']})", flush=True)
    val = ds.arrays("validation")

    def validate_and_checkpoint(epoch, force_checkpoint=False):
        metrics = finite(classification_metrics(predict(net, val[0], device, ctx, ddp), val[1], "val"))
        ctx.report(step, **metrics)
        if force_checkpoint or (args.checkpoint_every and step % args.checkpoint_every == 0):
            # The validation metrics go with the checkpoint, for keep_best.
            ctx.checkpoint(step, {"model": net.state_dict(), "optim": opt.state_dict(),
                                  "step": step, "epoch": epoch, "args": vars(args)}, **metrics)

    meter = Meter(device, ddp)
    start_time = time.perf_counter()
    stopped = False
    for epoch in range(step // spe, args.epochs):
        done = step - epoch * spe  # batches of this epoch before the checkpoint resumed from
        for i, (x, y) in enumerate(ds.batches(split="train", batch_size=args.batch_size, epoch=epoch)):
            if i < done:
                continue
            for group in opt.param_groups:
                group["lr"] = lr_at(step, total, args.lr)
            x = torch.as_tensor(x).to(device, non_blocking=True)
            y = torch.as_tensor(y).to(device, non_blocking=True)
            logits = model(x)
            loss_sum = F.cross_entropy(logits, y, reduction="sum")
            # Weight each rank's summed loss by world/global count: DDP's gradient
            # average is then the mean over the global batch, even when the last
            # batch leaves some rank fewer (or no) samples.
            n_global = min(args.batch_size, n_train - i * args.batch_size)
            opt.zero_grad(set_to_none=True)
            (loss_sum * ctx.world_size / n_global).backward()
            opt.step()
            step += 1
            meter.add(loss_sum, logits, y)
            if step == 1 or step % args.report_every == 0:  # step 1: when training really began
                # Every rank reports the same (summed) metrics: the agent records rank
                # 0's, and each report tells it that the rank is alive.
                ctx.report(step, lr=lr_at(step - 1, total, args.lr), epoch=step / spe, **meter.read())
                meter.reset()
                # Asked to stop? A collective that waits for the device, so it is asked
                # where the report already waited, not at every step; on the last step
                # there is nothing left to stop. The step lets a validator's replay
                # stop here too.
                stopped = step != total and ctx.should_stop(step)
            if stopped or step % spe == 0 or (args.checkpoint_every and step % args.checkpoint_every == 0):
                validate_and_checkpoint(epoch, force_checkpoint=stopped or step == total)
                meter.reset()  # keep validation and checkpointing out of step_time_ms
            if stopped:
                ctx.stopped(step)
                break
        if stopped:
            break

    if stopped:
        if ctx.rank == 0:
            print(f"stopped on request at step {step}", flush=True)
        if ddp:
            del model  # see leave()
            leave()
        return

    x_test, y_test = ds.arrays("test")
    test = classification_metrics(predict(net, x_test, device, ctx, ddp), y_test, "test")
    test["train_seconds"] = time.perf_counter() - start_time
    ctx.report(step, **finite(test))
    if ctx.rank == 0:
        print(" ".join(f"{k}={v:.4f}" for k, v in test.items()), flush=True)
        path = args.onnx or os.path.join(os.environ.get("DXTRAIN_WORK_DIR", "dxtrain-standalone"), "export", "lesions_resnet.onnx")
        export_onnx(ctx, net, x_test[:16], os.path.abspath(path), features=ds.features or ["image"], classes=ds.classes,
                    meta={"dxtrain.architecture": f"lesion-resnet-w{args.width}",
                          "dxtrain.test_accuracy": f"{test['test_accuracy']:.6f}",
                          "dxtrain.test_auroc": f"{test.get('test_auroc', float('nan')):.6f}"})
    if ddp:
        del model  # see leave()
        leave()


if __name__ == "__main__":
    main()
