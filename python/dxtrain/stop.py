"""Stop requests: the leader asks a running attempt to checkpoint now and
stop, to give its devices to a more urgent run (preempt) or because it ran
past its time limit (time_limit). The agent passes the request on in its
answers to report and ping (PROTOCOL.md, "Stop requests"); the ranks agree
on it among themselves, so that all of them stop after the same step."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, Mapping, Optional


# REPLAY is the reason of the stop a validator's replay makes at the step it
# replays to (PROTOCOL.md, "Replays"); the agent never sends it.
REPLAY = "replay"


@dataclass(frozen=True)
class StopRequest:
    """Why the attempt must stop: reason is "preempt" or "time_limit" (an
    agent newer than this package may send others), or "replay" in a
    validator's replay; detail a sentence for people."""

    reason: str
    detail: str


def from_answer(resp: Mapping[str, Any]) -> Optional[StopRequest]:
    """The stop request an agent's answer carries, or None."""
    if resp.get("stop") is not True:
        return None
    return StopRequest(str(resp.get("stop_reason") or ""), str(resp.get("stop_detail") or ""))


def agree(flag: bool) -> bool:
    """True on every rank when flag is true on any: an all-reduce (MAX) of
    it when torch.distributed is initialised with more than one rank, the
    flag itself otherwise. torch is looked up, not imported: a script that
    never imported it has no process group."""
    dist = sys.modules.get("torch.distributed")
    if dist is None or not dist.is_available() or not dist.is_initialized() or dist.get_world_size() <= 1:
        return flag
    import torch

    device = torch.device("cpu")
    if dist.get_backend() == "nccl":  # NCCL reduces device tensors only
        device = torch.device("cuda", torch.cuda.current_device())
    t = torch.tensor([1 if flag else 0], dtype=torch.int32, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())
