"""Reading one dataset shard: hash check, decode, checks against the
manifest (as datasets/shards/fetch.go's decodeShard does)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Tuple

import numpy as np
from numpy.typing import NDArray

from .errors import DxtrainError
from .manifest import ShardRef
from .safetensors import decode

# Tensor names inside a shard (datasets/shards/writer.go).
FEATURES = "features"
LABELS = "labels"
ROW_IDS = "row_ids"


@dataclass(frozen=True)
class Shard:
    """One shard's records, in row order; read-only views of the file."""

    x: NDArray[np.float32]  # [n, *feature_shape]
    y: NDArray[np.int32]  # [n]


def read(path: str, ref: ShardRef, feature_shape: Tuple[int, ...], classes: int, where: str) -> Shard:
    """Reads the shard at path and checks it: its SHA-256 against its name
    (a shard is named by its content, so a mismatch means corruption or the
    wrong file), then its tensors against the manifest entry. where names
    the shard (split, index, hash) in error messages."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise DxtrainError(f"{where}: cannot read {path}: {e.strerror or e}") from None
    if hashlib.sha256(data).hexdigest() != ref.sha256:
        raise DxtrainError(f"{where}: {path} does not hash to its name (corrupt or wrong file)")
    if len(data) != ref.size:
        raise DxtrainError(f"{where}: {len(data)} bytes, the manifest says {ref.size}")
    tensors = decode(data, path)
    n = ref.records

    def get(name: str, dtype: str, shape: Tuple[int, ...]) -> NDArray[Any]:
        t = tensors.get(name)
        if t is None:
            raise DxtrainError(f"{where}: no {name} tensor")
        if t.dtype != np.dtype(dtype) or t.shape != shape:
            raise DxtrainError(f"{where}: {name} is {t.dtype} {list(t.shape)}, want {np.dtype(dtype)} {list(shape)}")
        return t

    x = get(FEATURES, "<f4", (n,) + tuple(feature_shape))
    y = get(LABELS, "<i4", (n,))
    rows = get(ROW_IDS, "<i8", (n,))
    if not np.array_equal(rows, np.arange(ref.first_row, ref.first_row + n, dtype=np.int64)):
        raise DxtrainError(f"{where}: row ids are not {ref.first_row}..{ref.first_row + n - 1}")
    if n and (int(y.min()) < 0 or int(y.max()) >= classes):
        raise DxtrainError(f"{where}: a label is outside 0..{classes - 1}")
    if np.bincount(y, minlength=classes).tolist() != ref.label_counts:
        raise DxtrainError(f"{where}: label counts differ from the manifest's")
    return Shard(x, y)
