"""dxtrain.init() and the Context a training script works through."""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from typing import Any, Dict, Mapping, Optional

import numpy as np

from . import checkpoint as cp
from . import validate
from .channel import Channel
from .checkpoint import CheckpointInfo, Resume, StateOrDir
from .dataset import Dataset
from .errors import DxtrainError

STANDALONE_WORK_DIR = "dxtrain-standalone"


class Context:
    """One rank's handle on its run: who it is, its data, and the agent.

    Without an agent (standalone), the same calls work on the local disk so
    that a script runs unchanged on a laptop: see PROTOCOL.md."""

    def __init__(self, *, rank: int, world_size: int, local_rank: int, seed: int, experiment: str,
                 attempt: str, device: str, work_dir: str, checkpoint_dir: str, dataset_dir: Optional[str],
                 resume: Optional[Resume], channel: Optional[Channel]) -> None:
        self.rank = rank
        self.world_size = world_size
        self.local_rank = local_rank
        self.seed = seed
        self.experiment = experiment
        self.attempt = attempt
        self.device = device
        self.work_dir = work_dir
        self.checkpoint_dir = checkpoint_dir
        self._dataset_dir = dataset_dir
        self._dataset: Optional[Dataset] = None
        self._resume = resume
        self._channel = channel

    @property
    def standalone(self) -> bool:
        return self._channel is None

    @property
    def dataset(self) -> Dataset:
        """The run's dataset, opened on first use, for this rank and seed."""
        if self._dataset is None:
            if self._dataset_dir is None:
                raise DxtrainError("no dataset: the run has none (standalone: set DXTRAIN_DATASET_DIR)")
            self._dataset = Dataset(self._dataset_dir, rank=self.rank, world_size=self.world_size, seed=self.seed)
        return self._dataset

    def report(self, step: int, **metrics: Any) -> None:
        """Records metrics for a step: finite numbers under names matching
        [A-Za-z0-9_.]{1,64}. Each report also tells the agent the rank is alive."""
        step = validate.count(step, "step")
        values = validate.metrics(metrics)
        if self._channel is None:
            shown = " ".join(f"{k}={v:.6g}" for k, v in values.items())
            print(f"dxtrain rank {self.rank} step {step}: {shown}", file=sys.stderr, flush=True)
            return
        self._channel.request({"op": "report", "step": step, "metrics": values})

    def ping(self) -> None:
        """Tells the agent the rank is alive, for long stretches without a
        report (the agent declares a rank silent for silence_timeout hung)."""
        if self._channel is not None:
            self._channel.request({"op": "ping"})

    def checkpoint(self, step: int, state: StateOrDir, **metrics: Any) -> Optional[CheckpointInfo]:
        """Saves a checkpoint and, on rank 0, returns once the agent has
        committed it; other ranks return None and send nothing (the ranks
        of a data-parallel run are replicas). state is a state dict (saved
        as state.pt) or a directory whose files are the checkpoint. Every
        rank must call it: with torch.distributed initialised, the ranks
        wait for rank 0 here.

        With an agent, checkpoint_dir is a staging area: the directory
        handed over is removed once committed (and one this call made is
        removed on refusal too). Standalone, it is the checkpoint store and
        is kept."""
        step = validate.count(step, "step")
        values = validate.metrics(metrics)
        try:
            return self._checkpoint(step, state, values) if self.rank == 0 else None
        finally:
            cp.barrier()

    def _checkpoint(self, step: int, state: StateOrDir, metrics: Dict[str, float]) -> CheckpointInfo:
        directory, created = cp.stage(self.checkpoint_dir, step, state)
        if self._channel is None:
            cp.commit_local(self.checkpoint_dir, step, directory, metrics)
            return CheckpointInfo("", "", step)
        try:
            resp = self._channel.request({"op": "checkpoint", "step": step, "dir": directory, "metrics": metrics})
        except DxtrainError:
            if created:
                shutil.rmtree(directory, ignore_errors=True)
            raise
        # checkpoint_dir is a staging area: once committed, the upload is
        # the checkpoint and the local copy only takes disk.
        shutil.rmtree(directory, ignore_errors=True)
        return CheckpointInfo(str(resp.get("checkpoint_id", "")), str(resp.get("manifest_sha256", "")), step)

    def resume(self) -> Optional[Resume]:
        """The checkpoint to continue from, or None for a fresh start."""
        if self._channel is None:
            return cp.latest_local(self.checkpoint_dir)
        return self._resume

    def save_onnx(self, path: str, sample_inputs: Any, sample_outputs: Any) -> Optional[str]:
        """Hands over a model the script exported with torch.onnx.export.
        On rank 0 the agent runs it on sample_inputs, compares the result
        with sample_outputs (the script's own model's outputs), and records
        it; returns its SHA-256. Other ranks: no-op, None. Standalone: only
        the file's SHA-256."""
        if self.rank != 0:
            return None
        path = os.path.abspath(path)
        if not os.path.isfile(path):
            raise DxtrainError(f"save_onnx: {path} is not a file")
        if self._channel is None:
            return _sha256_file(path)
        base = path[:-len(".onnx")] if path.endswith(".onnx") else path
        inputs, outputs = base + ".inputs.npy", base + ".outputs.npy"
        np.save(inputs, _numpy(sample_inputs, "sample_inputs"), allow_pickle=False)
        np.save(outputs, _numpy(sample_outputs, "sample_outputs"), allow_pickle=False)
        resp = self._channel.request({"op": "onnx", "path": path, "inputs": inputs, "outputs": outputs})
        return str(resp.get("sha256", ""))

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None

    def __enter__(self) -> Context:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _numpy(value: Any, what: str) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor, without importing torch
        value = value.detach().cpu().numpy()
    a = np.asarray(value)
    if a.dtype == object:
        raise ValueError(f"save_onnx: {what} is not a numeric array")
    return a


def _sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


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
    return Context(rank=rank, world_size=get("world_size", int), local_rank=get("local_rank", int),
                   seed=get("seed", int), experiment=get("experiment", str), attempt=get("attempt", str),
                   device=device, work_dir=env.get("DXTRAIN_WORK_DIR", ""),
                   checkpoint_dir=get("checkpoint_dir", str),
                   dataset_dir=str(dataset["dir"]) if isinstance(dataset, dict) and dataset.get("dir") else None,
                   resume=r, channel=channel)
