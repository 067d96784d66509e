"""Test helper: writes safetensors files and dataset directories in the
format datasets/shards writes them (tensors sorted by name, sorted header
keys, header padded with spaces to a multiple of 8), so the reader is
tested on files shaped like the Go writer's. The Go test
datasets/shards/python_order_test.go checks the real writer's files."""

from __future__ import annotations

import hashlib
import json
import os
import struct
from typing import Dict, List, Sequence, Tuple

import numpy as np

_NAMES = {"<f4": "F32", "<i4": "I32", "<i8": "I64", "<f8": "F64", "|u1": "U8"}


def encode(tensors: Dict[str, np.ndarray], metadata: Dict[str, str]) -> bytes:
    header: Dict[str, object] = {}
    if metadata:
        header["__metadata__"] = metadata
    data = b""
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        raw = a.tobytes()
        header[name] = {"data_offsets": [len(data), len(data) + len(raw)], "dtype": _NAMES[a.dtype.str],
                        "shape": list(a.shape)}
        data += raw
    head = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    head += b" " * (-len(head) % 8)
    return struct.pack("<Q", len(head)) + head + data


def write_dataset(directory: str, parts: Dict[str, Tuple[np.ndarray, np.ndarray]], per_shard: int,
                  classes: int = 3, features: Sequence[str] = ("a", "b", "c")) -> Dict[str, List[str]]:
    """Writes a tabular dataset: parts maps a split to (x float32 [n, F],
    y int32 [n]); each split is cut into shards of per_shard records.
    Returns each split's shard hashes, in order."""
    os.makedirs(os.path.join(directory, "shards"), exist_ok=True)
    split: Dict[str, object] = {"seed": 1, "fractions": [0.8, 0.1, 0.1]}
    hashes: Dict[str, List[str]] = {}
    for name in ("train", "validation", "test"):
        x, y = parts.get(name, (np.zeros((0, len(features)), np.float32), np.zeros(0, np.int32)))
        refs = []
        for lo in range(0, len(y), per_shard):
            hi = min(lo + per_shard, len(y))
            blob = encode({"features": x[lo:hi].astype("<f4"), "labels": y[lo:hi].astype("<i4"),
                           "row_ids": np.arange(lo, hi, dtype="<i8")},
                          {"format": "dxtrain-shard-1", "records": str(hi - lo)})
            sha = hashlib.sha256(blob).hexdigest()
            with open(os.path.join(directory, "shards", sha + ".safetensors"), "wb") as f:
                f.write(blob)
            refs.append({"sha256": sha, "size": len(blob), "records": hi - lo, "first_row": lo,
                         "label_counts": np.bincount(y[lo:hi], minlength=classes).tolist()})
        split[name] = {"records": len(y), "label_counts": np.bincount(y, minlength=classes).tolist(), "shards": refs}
        hashes[name] = [r["sha256"] for r in refs]
    manifest = {
        "version": 1, "name": "test",
        "schema": {"kind": "tabular", "feature_shape": [len(features)], "features": list(features),
                   "classes": [f"c{i}" for i in range(classes)]},
        "split": split,
        "feature_stats": {"axis": "feature", "mean": [0.0] * len(features), "std": [1.0] * len(features)},
    }
    with open(os.path.join(directory, "manifest.json"), "w") as f:
        json.dump(manifest, f)
    return hashes


def row_dataset(directory: str, n: int, per_shard: int) -> Dict[str, List[str]]:
    """A training split of n records whose first feature is the record's
    row and label is row % 3, so batches can be checked from themselves."""
    rows = np.arange(n)
    x = np.stack([rows, np.full(n, 7), -rows], axis=1).astype(np.float32)
    return write_dataset(directory, {"train": (x, (rows % 3).astype(np.int32)),
                                     "validation": (x[:5] + 1000, np.zeros(5, np.int32))}, per_shard)
