"""dxtrain's Python side for `runtime: torch`: a training script's link to
the agent that launched it (python/PROTOCOL.md).

    import dxtrain
    ctx = dxtrain.init()
    for epoch in range(epochs):
        for x, y in ctx.dataset.batches(batch_size=256, epoch=epoch):
            ...  # one step
            if ctx.should_stop(step):  # preempted, or past the time limit
                ctx.checkpoint(step, {"model": model.state_dict()})
                ctx.stopped(step)
                return
        ctx.report(step, loss=loss)
        ctx.checkpoint(step, {"model": model.state_dict()})

Only numpy is needed at import; torch is imported where a state dict is
saved or loaded.
"""

from __future__ import annotations

from .checkpoint import CheckpointInfo, Resume
from .context import Context
from .dataset import Dataset
from .errors import DxtrainError
from .launch import init
from .manifest import FeatureStats
from .stop import StopRequest

__all__ = ["CheckpointInfo", "Context", "Dataset", "DxtrainError", "FeatureStats", "Resume", "StopRequest", "init"]
