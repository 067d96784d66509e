"""Checkpoint staging and resume: how a state dict or a directory becomes
a directory under checkpoint_dir for the agent to upload, and how the
files come back on resume.

The agent uploads every regular file under the directory it is handed, so
a checkpoint is a directory, not a file. A state dict is written as
state.pt in it; Resume.load reads that file back.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Tuple, Union

from .errors import DxtrainError

STATE_FILE = "state.pt"

StateOrDir = Union[Mapping[str, Any], str, "os.PathLike[str]"]


@dataclass(frozen=True)
class CheckpointInfo:
    """A committed checkpoint. In standalone mode nothing is committed
    anywhere: checkpoint_id and manifest_sha256 are then empty."""

    checkpoint_id: str
    manifest_sha256: str
    step: int


@dataclass(frozen=True)
class Resume:
    """The checkpoint to continue from: its step, the directory holding its
    files exactly as they were handed over, and the metrics sent with it.
    checkpoint_id is None in standalone mode."""

    step: int
    dir: str
    checkpoint_id: Optional[str]
    metrics: Dict[str, float] = field(default_factory=dict)

    def load(self, map_location: Any = "cpu", **kwargs: Any) -> Any:
        """torch.load of the checkpoint's state.pt (written when a state
        dict was handed to checkpoint). kwargs go to torch.load as they
        are, e.g. weights_only."""
        path = os.path.join(self.dir, STATE_FILE)
        if not os.path.isfile(path):
            raise DxtrainError(f"resume: no {STATE_FILE} in {self.dir} (the checkpoint was handed over "
                               "as a directory: read its own files)")
        import torch

        return torch.load(path, map_location=map_location, **kwargs)


def _inside(path: str, root: str) -> bool:
    return os.path.commonpath([path, root]) == root and path != root


def _clear(path: str) -> None:
    """Removes what an earlier, uncommitted try left at path."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.remove(path)


def stage(checkpoint_dir: str, step: int, state: StateOrDir) -> Tuple[str, bool]:
    """Puts state into a directory under checkpoint_dir and returns it, with
    whether this function created it (and so may remove it later).

    A mapping is torch.save'd as step-<step>/state.pt. A directory already
    under checkpoint_dir is handed over where it is; any other directory is
    copied to step-<step> (symbolic links followed: the agent uploads
    regular files only)."""
    root = os.path.realpath(checkpoint_dir)
    target = os.path.join(root, f"step-{step}")
    if isinstance(state, Mapping):
        import torch

        _clear(target)
        os.makedirs(target)
        torch.save(state, os.path.join(target, STATE_FILE))
        return target, True
    if isinstance(state, (str, os.PathLike)):
        src = os.path.realpath(os.fspath(state))
        if not os.path.isdir(src):
            raise ValueError(f"checkpoint: {src} is not a directory")
        if src == root or _inside(root, src):
            raise ValueError(f"checkpoint: {src} holds checkpoint_dir {root}: hand over a directory inside it")
        if _inside(src, root):
            return src, False
        _clear(target)
        shutil.copytree(src, target)
        return target, True
    raise TypeError(f"checkpoint: want a state dict (a mapping) or a directory path, not {type(state).__name__}")


def barrier() -> None:
    """Waits for every rank when torch.distributed is in use, so that the
    other ranks do not run ahead while rank 0 uploads. torch is looked up,
    not imported: a script that never imported it has no process group."""
    dist = sys.modules.get("torch.distributed")
    if dist is not None and dist.is_available() and dist.is_initialized():
        dist.barrier()


# Standalone mode keeps checkpoints on the local disk. A checkpoint counts
# only once its marker, step-<step>.json beside the directory, is written,
# after the files: a run killed mid-write resumes from the one before.


def _marker(root: str, step: int) -> str:
    return os.path.join(root, f"step-{step}.json")


def commit_local(root: str, step: int, directory: str, metrics: Mapping[str, float]) -> None:
    tmp = _marker(root, step) + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump({"step": step, "dir": os.path.relpath(directory, root), "metrics": dict(metrics)}, f)
    os.replace(tmp, _marker(root, step))


def latest_local(root: str) -> Optional[Resume]:
    """The newest committed standalone checkpoint under root, or None."""
    best: Optional[Resume] = None
    try:
        names = os.listdir(root)
    except FileNotFoundError:
        return None
    for name in names:
        if not (name.startswith("step-") and name.endswith(".json")):
            continue
        path = os.path.join(root, name)
        try:
            with open(path, encoding="utf-8") as f:
                m = json.load(f)
            step, directory, metrics = int(m["step"]), os.path.join(root, m["dir"]), dict(m["metrics"])
        except (OSError, ValueError, KeyError, TypeError):
            raise DxtrainError(f"standalone checkpoint marker {path} is unreadable: remove it") from None
        if os.path.isdir(directory) and (best is None or step > best.step):
            best = Resume(step, directory, None, metrics)
    return best
