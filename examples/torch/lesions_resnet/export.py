"""ONNX export in the form dxtrain's models take: input "input" (raw, unstandardised
values, dynamic batch), output "probabilities" (softmax over the classes), opset 17,
and the feature and class names as metadata so `dxtrain predict` can label its output.

(This file is the same in every example under examples/torch: each example directory
is shipped alone as its experiment's code bundle.)
"""

import copy
import inspect
import json
import os

import torch

OPSET = 17  # the opset dxtrain's own exporter writes (models/onnx)


class Probabilities(torch.nn.Module):
    """A logits model followed by a softmax over the classes."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return torch.softmax(self.model(x), dim=1)


def export_onnx(ctx, model, sample_x, path, features, classes, meta=None):
    """Export a CPU copy of model (eval mode) to path with dxtrain's metadata
    (features, classes, positive class, raw input, plus meta), and hand it to the
    agent with sample inputs and the outputs torch computed for them; the agent
    refuses the file unless ONNX Runtime reproduces them within 1e-4. Call it on
    rank 0 only. Returns what ctx.save_onnx returns."""
    net = Probabilities(copy.deepcopy(model).cpu().float()).eval()
    x = torch.as_tensor(sample_x, dtype=torch.float32)
    with torch.no_grad():
        y = net(x)
    kwargs = {}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        # torch ≥ 2.9 defaults to the torch.export-based exporter, which needs
        # onnxscript and reads dynamic_axes only partly; the TorchScript exporter
        # gives the same graph on 1.13 and 2.x.
        kwargs["dynamo"] = False
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    torch.onnx.export(
        net, (x,), path,
        input_names=["input"], output_names=["probabilities"],
        dynamic_axes={"input": {0: "batch"}, "probabilities": {0: "batch"}},
        opset_version=OPSET, do_constant_folding=True, **kwargs,
    )
    props = {
        "dxtrain.features": json.dumps(list(features)),
        "dxtrain.classes": json.dumps(list(classes)),
        "dxtrain.positive_class": classes[-1],
        "dxtrain.input_is_raw": "true",
    }
    props.update(meta or {})
    add_metadata(path, props)
    return ctx.save_onnx(path, x.numpy(), y.numpy())


def add_metadata(path, props):
    """Write props into the model's metadata_props when the onnx package is
    installed; without it the model is still valid, only unlabelled."""
    try:
        import onnx
    except ImportError:
        return
    m = onnx.load(path)
    for key, value in props.items():
        entry = m.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(m, path)
