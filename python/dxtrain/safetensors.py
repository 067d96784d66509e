"""A strict safetensors reader over bytes already in memory, numpy only.

Shards are read whole anyway (their SHA-256 is checked first), so decoding
is a header parse plus zero-copy numpy views. The checks mirror the Go
decoder in safetensors/decode.go closely enough that a file it would refuse
is refused here too, rather than read as garbage.
"""

from __future__ import annotations

import json
import struct
from typing import Any, Dict, List, Tuple

import numpy as np
from numpy.typing import NDArray

from .errors import DxtrainError

# Bounds a corrupt header length, as the Go decoder and the reference
# implementation do.
MAX_HEADER_BYTES = 100_000_000

# safetensors dtype names and their little-endian numpy types.
DTYPES: Dict[str, str] = {
    "BOOL": "|b1", "U8": "|u1", "I8": "|i1",
    "I16": "<i2", "U16": "<u2", "F16": "<f2",
    "I32": "<i4", "U32": "<u4", "F32": "<f4",
    "I64": "<i8", "U64": "<u8", "F64": "<f8",
}

METADATA_KEY = "__metadata__"


def _no_duplicates(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r}")
        out[k] = v
    return out


def decode(data: bytes, where: str) -> Dict[str, NDArray[Any]]:
    """Returns the tensors of a safetensors file as read-only arrays that
    alias data. where names the file in error messages."""
    if len(data) < 8:
        raise DxtrainError(f"{where}: {len(data)} bytes, too short for a safetensors file")
    (n,) = struct.unpack("<Q", data[:8])
    if n > MAX_HEADER_BYTES or n > len(data) - 8:
        raise DxtrainError(f"{where}: header length {n} does not fit the {len(data)}-byte file")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, ValueError) as e:
        raise DxtrainError(f"{where}: bad safetensors header: {e}") from None
    if not isinstance(header, dict):
        raise DxtrainError(f"{where}: the safetensors header is not a JSON object")
    buffer = memoryview(data)[8 + n:]
    tensors: Dict[str, NDArray[Any]] = {}
    spans: List[Tuple[int, int]] = []
    for name, entry in header.items():
        if name == METADATA_KEY:
            continue
        tensors[name] = _tensor(name, entry, buffer, where, spans)
    spans.sort()
    end = 0
    for lo, hi in spans:
        if lo != end:
            raise DxtrainError(f"{where}: tensor data leave a gap or overlap at byte {min(lo, end)}")
        end = hi
    if end != len(buffer):
        raise DxtrainError(f"{where}: tensors cover {end} of {len(buffer)} data bytes")
    return tensors


def _tensor(name: str, entry: Any, buffer: memoryview, where: str, spans: List[Tuple[int, int]]) -> NDArray[Any]:
    bad = f"{where}: tensor {name!r}"
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise DxtrainError(f"{bad}: want exactly dtype, shape and data_offsets")
    dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if dtype not in DTYPES:
        raise DxtrainError(f"{bad}: unknown dtype {dtype!r}")
    if not (isinstance(shape, list) and all(type(d) is int and d >= 0 for d in shape)):
        raise DxtrainError(f"{bad}: bad shape")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(type(o) is int for o in offsets)):
        raise DxtrainError(f"{bad}: bad data_offsets")
    lo, hi = offsets
    dt = np.dtype(DTYPES[dtype])
    count = 1
    for d in shape:
        count *= d
    if not 0 <= lo <= hi <= len(buffer) or hi - lo != count * dt.itemsize:
        raise DxtrainError(f"{bad}: data_offsets [{lo}, {hi}) do not hold shape {shape} of {dtype}")
    spans.append((lo, hi))
    return np.frombuffer(buffer[lo:hi], dtype=dt).reshape(shape)
