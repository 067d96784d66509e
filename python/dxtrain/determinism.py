"""Deterministic kernels for runs a validator must be able to replay.

The agent and the validator's replay set DXTRAIN_DETERMINISTIC=1 and the
rank's OMP_NUM_THREADS (which the checkpoints record): CPU kernels may sum
in another order with another thread count, and some CUDA kernels are
non-deterministic unless asked. An op with no deterministic implementation
warns instead of failing the run; a validator's replay then shows whether
the run reproduces.
"""

from __future__ import annotations

import sys
from typing import Mapping


def apply(env: Mapping[str, str]) -> bool:
    """Chooses deterministic kernels and the recorded thread count when
    env asks for them and the script has imported torch (import it before
    dxtrain.init(), as the examples do); returns whether it did. torch is
    not imported here: a script that does without it starts in a fraction
    of the time."""
    torch = sys.modules.get("torch")
    if env.get("DXTRAIN_DETERMINISTIC") != "1" or torch is None:
        return False

    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.benchmark = False
    threads = env.get("OMP_NUM_THREADS", "")
    if threads.isdigit() and int(threads) > 0:
        torch.set_num_threads(int(threads))
    return True
