"""Compares a replayed checkpoint with the recorded one, tensor by tensor.

    python3 -m dxtrain.compare REPLAYED_DIR RECORDED_DIR [--tolerance T]

prints one JSON object: whether every file and every tensor is bit-identical,
how many tensors were compared, the first difference (by file, then by the
path of the tensor inside a state dict) with its max |diff|, the largest
|diff| of any floating-point tensor, and whether every difference is a
floating-point one within the tolerance. The validator runs it on its own
machine; nothing it prints holds a tensor value.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

STATE_SUFFIXES = (".pt", ".pth")


@dataclass
class Comparison:
    tensors: int = 0
    first: Optional[Dict[str, Any]] = None
    max_abs_diff: float = 0.0
    exact_mismatch: bool = False  # a difference no tolerance covers (shape, dtype, structure, bytes)
    differs: bool = False
    notes: List[str] = field(default_factory=list)

    def differ(self, name: str, reason: str, diff: Optional[float] = None) -> None:
        self.differs = True
        if diff is None:
            self.exact_mismatch = True
        else:
            self.max_abs_diff = max(self.max_abs_diff, diff)
        if self.first is None:
            self.first = {"name": name, "reason": reason, "max_abs_diff": diff}

    def report(self, tolerance: float) -> Dict[str, Any]:
        return {"identical": not self.differs, "tensors": self.tensors, "first_difference": self.first,
                "max_abs_diff": self.max_abs_diff, "tolerance": tolerance,
                "within_tolerance": not self.exact_mismatch and self.max_abs_diff <= tolerance}


def _files(root: str) -> List[str]:
    out = []
    for dirpath, _, names in os.walk(root):
        for n in names:
            out.append(os.path.relpath(os.path.join(dirpath, n), root).replace(os.sep, "/"))
    return sorted(out)


def _tensor(c: Comparison, name: str, a: Any, b: Any) -> None:
    import torch

    c.tensors += 1
    if not isinstance(b, torch.Tensor):
        c.differ(name, "a tensor replayed, something else recorded")
        return
    if a.dtype != b.dtype or tuple(a.shape) != tuple(b.shape):
        c.differ(name, f"replayed {a.dtype} {tuple(a.shape)}, recorded {b.dtype} {tuple(b.shape)}")
        return
    x, y = a.detach().cpu().contiguous().reshape(-1), b.detach().cpu().contiguous().reshape(-1)
    if torch.equal(x.view(torch.uint8), y.view(torch.uint8)):
        return
    if x.is_floating_point() or x.is_complex():
        diff = (x.double() - y.double()).abs()
        worst = float(diff.max()) if diff.numel() else 0.0
        c.differ(name, "values differ", worst if math.isfinite(worst) else None)
    else:
        c.differ(name, "values differ")


def _walk(c: Comparison, name: str, a: Any, b: Any) -> None:
    import torch

    if isinstance(a, torch.Tensor):
        _tensor(c, name, a, b)
    elif isinstance(a, dict):
        if not isinstance(b, dict) or list(a.keys()) != list(b.keys()):
            c.differ(name or "/", "the keys differ")
            return
        for k in a:
            _walk(c, f"{name}.{k}" if name else str(k), a[k], b[k])
    elif isinstance(a, (list, tuple)):
        if type(a) is not type(b) or len(a) != len(b):
            c.differ(name or "/", "the sequences differ")
            return
        for i, (x, y) in enumerate(zip(a, b)):
            _walk(c, f"{name}.{i}" if name else str(i), x, y)
    elif a != b and not (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)):
        c.differ(name or "/", "values differ")


def compare(replayed: str, recorded: str, tolerance: float = 0.0) -> Dict[str, Any]:
    """Compares two checkpoint directories as the script handed them over."""
    c = Comparison()
    a_files, b_files = _files(replayed), _files(recorded)
    for missing in sorted(set(a_files) ^ set(b_files)):
        c.differ(missing, "only in the replayed checkpoint" if missing in a_files else "only in the recorded checkpoint")
    for rel in a_files:
        if rel not in b_files:
            continue
        pa, pb = os.path.join(replayed, rel), os.path.join(recorded, rel)
        if rel.endswith(STATE_SUFFIXES):
            import torch

            # The checkpoints are the run's own (verified by hash); weights_only
            # would refuse the optimizer's and the script's plain objects.
            _walk(c, rel, torch.load(pa, map_location="cpu"), torch.load(pb, map_location="cpu"))
        else:
            with open(pa, "rb") as fa, open(pb, "rb") as fb:
                if fa.read() != fb.read():
                    c.differ(rel, "bytes differ")
    return c.report(tolerance)


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m dxtrain.compare", description=__doc__.split("\n")[0])
    p.add_argument("replayed")
    p.add_argument("recorded")
    p.add_argument("--tolerance", type=float, default=0.0)
    args = p.parse_args(argv)
    json.dump(compare(args.replayed, args.recorded, args.tolerance), sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
