"""PyTorch's own inference of the example lesion ResNet, the peer of dxtrain's
evaluation through ONNX Runtime (bench/torcheval). It builds the model with a fixed
seed, exports it to ONNX for the Go side (the same weights), then times eval-mode
inference over the images in batches, and prints one JSON line.

    python3 peer.py MODEL_DIR IMAGES.npy OUT.onnx BATCH ROUNDS

It also writes OUT.onnx.inputs.npy and OUT.onnx.outputs.npy, the first batch and
PyTorch's probabilities for it, so the Go side checks ONNX Runtime's before timing.
"""

import json
import os
import sys
import time

import numpy as np
import torch

model_dir, images_path, onnx_path, batch, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
sys.path.insert(0, model_dir)
from model import LesionResNet  # noqa: E402  (the example's own model)

# Every core, as ONNX Runtime's default pool uses: the peer in its best configuration
# (Debian's torch may start with one thread when OMP_NUM_THREADS is unset).
torch.set_num_threads(os.cpu_count() or 1)
torch.manual_seed(1)
x = np.load(images_path)
net = LesionResNet(1, 2, [0.5], [0.25]).eval()
probs = torch.nn.Sequential(net, torch.nn.Softmax(dim=1)).eval()
with torch.no_grad():
    torch.onnx.export(probs, (torch.as_tensor(x[:2]),), onnx_path, input_names=["input"], output_names=["probabilities"],
                      dynamic_axes={"input": {0: "batch"}, "probabilities": {0: "batch"}}, opset_version=17)
    first = torch.as_tensor(x[:batch])
    np.save(onnx_path + ".inputs.npy", first.numpy())
    np.save(onnx_path + ".outputs.npy", probs(first).numpy())
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for i in range(0, len(x), batch):
            probs(torch.as_tensor(x[i:i + batch]))
        best = min(best, time.perf_counter() - start)
print(json.dumps({"images": len(x), "seconds": best, "threads": torch.get_num_threads(), "torch": torch.__version__}))
