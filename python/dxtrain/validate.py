"""Argument checks shared by report, checkpoint and the loader, done here so
that a mistake is a ValueError at the call that made it rather than an
agent refusal (or a failed attempt) later."""

from __future__ import annotations

import math
import operator
import re
from typing import Any, Dict, Mapping

# PROTOCOL.md: metric names match [A-Za-z0-9_.]{1,64}.
METRIC_NAME = re.compile(r"[A-Za-z0-9_.]{1,64}")


def count(value: Any, what: str, minimum: int = 0) -> int:
    """An integer ≥ minimum: ints and numpy integers, not bools or floats."""
    if isinstance(value, bool):
        raise ValueError(f"{what} must be an integer, not a bool")
    try:
        n = operator.index(value)
    except TypeError:
        raise ValueError(f"{what} must be an integer, not {type(value).__name__}") from None
    if n < minimum:
        raise ValueError(f"{what} {n} is below {minimum}")
    return n


def metrics(values: Mapping[str, Any]) -> Dict[str, float]:
    """Metric values as finite floats under valid names. Python numbers,
    numpy scalars and one-element tensors are accepted (float() of them)."""
    out: Dict[str, float] = {}
    for name, value in values.items():
        if not isinstance(name, str) or not METRIC_NAME.fullmatch(name):
            raise ValueError(f"metric name {name!r} must match [A-Za-z0-9_.]{{1,64}}")
        if isinstance(value, (str, bytes, bool)):
            raise ValueError(f"metric {name} must be a number, not {type(value).__name__}")
        try:
            f = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"metric {name} must be a number, not {type(value).__name__}") from None
        if not math.isfinite(f):
            raise ValueError(f"metric {name} is not finite")
        out[name] = f
    return out
