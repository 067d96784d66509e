"""The parts of a dataset manifest (datasets/shards.Manifest) a rank needs.

The agent has already validated the manifest and verified every shard, so
this reads only what training uses and checks types enough that a wrong
directory fails here with the field's name instead of deep in a batch.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Dict, List, Tuple

from .errors import DxtrainError

MANIFEST_VERSION = 1
SPLITS = ("train", "validation", "test")


@dataclass(frozen=True)
class FeatureStats:
    """The training split's feature mean and population std, for
    standardisation: one per feature (axis "feature") or per image channel
    (axis "channel"). A constant feature has std 1."""

    axis: str
    mean: List[float]
    std: List[float]


@dataclass(frozen=True)
class ShardRef:
    """One shard of a split: records first_row … first_row+records-1."""

    sha256: str
    size: int
    records: int
    first_row: int
    label_counts: List[int]


@dataclass(frozen=True)
class Manifest:
    name: str
    kind: str
    feature_shape: Tuple[int, ...]
    features: List[str]
    classes: List[str]
    stats: FeatureStats
    parts: Dict[str, List[ShardRef]]


def _field(obj: Any, key: str, typ: type, where: str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise DxtrainError(f"{where}: missing field {key!r}")
    v = obj[key]
    if typ is int and type(v) is not int or typ is not int and not isinstance(v, typ):
        raise DxtrainError(f"{where}: field {key!r} is not a {typ.__name__}")
    return v


def _ints(v: Any, key: str, where: str) -> List[int]:
    if not isinstance(v, list) or not all(type(x) is int for x in v):
        raise DxtrainError(f"{where}: field {key!r} is not a list of integers")
    return list(v)


def _floats(v: Any, key: str, where: str) -> List[float]:
    if not isinstance(v, list) or not all(type(x) in (int, float) for x in v):
        raise DxtrainError(f"{where}: field {key!r} is not a list of numbers")
    return [float(x) for x in v]


def load(path: str) -> Manifest:
    """Reads and checks manifest.json."""
    where = path
    try:
        with open(path, "rb") as f:
            m = json.loads(f.read().decode("utf-8"))
    except OSError as e:
        raise DxtrainError(f"dataset manifest {path}: {e.strerror or e}") from None
    except ValueError:
        raise DxtrainError(f"dataset manifest {path}: not valid UTF-8 JSON") from None
    version = _field(m, "version", int, where)
    if version != MANIFEST_VERSION:
        raise DxtrainError(f"{where}: manifest version {version}, want {MANIFEST_VERSION}")
    schema = _field(m, "schema", dict, where)
    kind = _field(schema, "kind", str, where + " schema")
    if kind not in ("tabular", "image"):
        raise DxtrainError(f"{where}: schema kind {kind!r}, want tabular or image")
    shape = tuple(_ints(_field(schema, "feature_shape", list, where + " schema"), "feature_shape", where))
    if not shape or any(d < 1 for d in shape):
        raise DxtrainError(f"{where}: bad feature_shape")
    features = schema.get("features") or []
    classes = _field(schema, "classes", list, where + " schema")
    if len(classes) < 2 or not all(isinstance(c, str) for c in features + classes):
        raise DxtrainError(f"{where}: schema features/classes are not lists of names, or fewer than 2 classes")
    st = _field(m, "feature_stats", dict, where)
    stats = FeatureStats(_field(st, "axis", str, where + " feature_stats"),
                         _floats(st.get("mean"), "mean", where), _floats(st.get("std"), "std", where))
    split = _field(m, "split", dict, where)
    parts = {name: _part(_field(split, name, dict, where + " split"), f"{where} split {name}") for name in SPLITS}
    return Manifest(str(m.get("name", "")), kind, shape, list(features), list(classes), stats, parts)


def _part(p: Dict[str, Any], where: str) -> List[ShardRef]:
    refs: List[ShardRef] = []
    row = 0
    for i, s in enumerate(_field(p, "shards", list, where)):
        w = f"{where} shard {i}"
        ref = ShardRef(_field(s, "sha256", str, w), _field(s, "size", int, w), _field(s, "records", int, w),
                       _field(s, "first_row", int, w), _ints(_field(s, "label_counts", list, w), "label_counts", w))
        if len(ref.sha256) != 64 or not all(c in "0123456789abcdef" for c in ref.sha256):
            raise DxtrainError(f"{w}: sha256 is not 64 lowercase hex digits")
        if ref.first_row != row or ref.records < 1:
            raise DxtrainError(f"{w}: first_row {ref.first_row}, records {ref.records}; want first_row {row}")
        row += ref.records
        refs.append(ref)
    return refs


def shard_path(dataset_dir: str, sha256: str) -> str:
    return os.path.join(dataset_dir, "shards", sha256 + ".safetensors")
