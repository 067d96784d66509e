"""dxtrain.init() and the Context a training script works through."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import threading
from typing import Any, Dict, Iterator, Optional

from . import checkpoint as cp
from . import onnxfile, validate
from .channel import Channel
from .checkpoint import CheckpointInfo, Resume, StateOrDir
from .dataset import Dataset
from .errors import DxtrainError


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
            with self._keepalive():
                cp.barrier()

    # keepalive_every is how often a rank waiting in the checkpoint barrier pings.
    keepalive_every = 1.0

    @contextlib.contextmanager
    def _keepalive(self) -> Iterator[None]:
        """Pings the agent from a thread while this rank waits in the
        checkpoint barrier: rank 0's upload may outlast silence_timeout, and
        a rank waiting on it is not hung. Only here: a pinger running all the
        time would hide a hung main thread."""
        if self._channel is None or self.rank == 0:
            yield
            return
        done = threading.Event()

        def ping() -> None:
            while not done.wait(self.keepalive_every):
                try:
                    self.ping()
                except DxtrainError:
                    return  # the barrier fails too, and says why

        t = threading.Thread(target=ping, name="dxtrain-keepalive", daemon=True)
        t.start()
        try:
            yield
        finally:
            done.set()
            t.join()

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
            return onnxfile.sha256_file(path)
        inputs, outputs = onnxfile.write_samples(path, sample_inputs, sample_outputs)
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
