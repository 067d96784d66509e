"""The files save_onnx hands the agent beside the model: sample inputs and
the script's own outputs for them, as .npy, so that the agent can check
the exported graph computes what the trained model does."""

from __future__ import annotations

import hashlib
from typing import Any, Tuple

import numpy as np
from numpy.typing import NDArray


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_samples(path: str, inputs: Any, outputs: Any) -> Tuple[str, str]:
    """Writes <model>.inputs.npy and <model>.outputs.npy beside the .onnx
    file at path and returns their paths."""
    base = path[:-len(".onnx")] if path.endswith(".onnx") else path
    paths = base + ".inputs.npy", base + ".outputs.npy"
    np.save(paths[0], _numpy(inputs, "sample_inputs"), allow_pickle=False)
    np.save(paths[1], _numpy(outputs, "sample_outputs"), allow_pickle=False)
    return paths


def _numpy(value: Any, what: str) -> NDArray[Any]:
    if hasattr(value, "detach"):  # a torch tensor, without importing torch
        value = value.detach().cpu().numpy()
    a = np.asarray(value)
    if a.dtype == object:
        raise ValueError(f"save_onnx: {what} is not a numeric array")
    return a
