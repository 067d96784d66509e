"""dxtrain.init(): from the environment the agent set (PROTOCOL.md) and
its answer to hello, or from a laptop's environment, to a Context."""

from __future__ import annotations

import os
from typing import Any, Mapping, Optional

from . import determinism, validate
from .channel import Channel
from .checkpoint import Resume
from .context import Context
from .errors import DxtrainError

STANDALONE_WORK_DIR = "dxtrain-standalone"


def _env_int(env: Mapping[str, str], name: str, default: Optional[int] = None) -> int:
    raw = env.get(name, "")
    if raw == "":
        if default is None:
            raise DxtrainError(f"environment variable {name} is not set")
        return default
    try:
        return int(raw, 10)
    except ValueError:
        raise DxtrainError(f"environment variable {name} is not a decimal integer") from None


def init() -> Context:
    """Reads the environment the agent set (PROTOCOL.md) and, when
    DXTRAIN_SOCKET is set, connects and says hello; without it, runs
    standalone. Call once per process."""
    env = os.environ
    device = "cuda" if env.get("DXTRAIN_DEVICE") == "gpu" else "cpu"
    determinism.apply(env)
    if env.get("DXTRAIN_SOCKET"):
        return _connect(env, device)
    rank, world = _env_int(env, "RANK", 0), _env_int(env, "WORLD_SIZE", 1)
    if world < 1 or not 0 <= rank < world:
        raise DxtrainError(f"RANK {rank} is outside WORLD_SIZE {world}")
    seed = _env_int(env, "DXTRAIN_SEED", 0)
    if not 0 <= seed < 1 << 64:
        raise DxtrainError("DXTRAIN_SEED is not a uint64")
    work = os.path.abspath(env.get("DXTRAIN_WORK_DIR") or STANDALONE_WORK_DIR)
    return Context(rank=rank, world_size=world, local_rank=_env_int(env, "LOCAL_RANK", 0), seed=seed,
                   experiment=env.get("DXTRAIN_EXPERIMENT_ID") or "standalone",
                   attempt=env.get("DXTRAIN_ATTEMPT_ID") or "standalone", device=device, work_dir=work,
                   checkpoint_dir=os.path.join(work, "checkpoints"),
                   dataset_dir=env.get("DXTRAIN_DATASET_DIR") or None, resume=None, channel=None)


def _connect(env: Mapping[str, str], device: str) -> Context:
    secret = env.get("DXTRAIN_SECRET")
    if not secret:
        raise DxtrainError("DXTRAIN_SOCKET is set but DXTRAIN_SECRET is not: was the process launched by the agent?")
    rank = _env_int(env, "RANK")
    channel = Channel(env["DXTRAIN_SOCKET"])
    try:
        info = channel.request({"op": "hello", "secret": secret, "rank": rank, "pid": os.getpid()}).get("info")
        ctx = _from_info(info, rank, env, device, channel)
    except BaseException:
        channel.close()
        raise
    return ctx


def _from_info(info: Any, rank: int, env: Mapping[str, str], device: str, channel: Channel) -> Context:
    def get(key: str, typ: type) -> Any:
        if not isinstance(info, dict) or not isinstance(info.get(key), typ) or isinstance(info.get(key), bool):
            raise DxtrainError(f"hello: the agent's info has no valid {key!r}")
        return info[key]

    if get("rank", int) != rank:
        raise DxtrainError(f"hello: the agent says rank {info['rank']}, RANK says {rank}")
    dataset = info.get("dataset")
    resume = info.get("resume")
    r: Optional[Resume] = None
    if resume is not None:
        try:
            r = Resume(int(resume["step"]), str(resume["dir"]), str(resume["checkpoint_id"]),
                       validate.metrics(resume.get("metrics") or {}))
        except (KeyError, TypeError, ValueError):
            raise DxtrainError("hello: the agent's resume info is malformed") from None
    stop_at = info.get("stop_at_step")  # a validator's replay only
    if stop_at is not None and (not isinstance(stop_at, int) or isinstance(stop_at, bool) or stop_at < 0):
        raise DxtrainError(f"hello: the agent's stop_at_step {stop_at!r} is not a step")
    return Context(rank=rank, world_size=get("world_size", int), local_rank=get("local_rank", int),
                   seed=get("seed", int), experiment=get("experiment", str), attempt=get("attempt", str),
                   device=device, work_dir=env.get("DXTRAIN_WORK_DIR", ""),
                   checkpoint_dir=get("checkpoint_dir", str),
                   dataset_dir=str(dataset["dir"]) if isinstance(dataset, dict) and dataset.get("dir") else None,
                   resume=r, channel=channel, stop_at_step=stop_at)
