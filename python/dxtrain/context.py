"""dxtrain.init() and the Context a training script works through."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import threading
import time
from typing import Any, Dict, Iterator, Optional

from . import checkpoint as cp
from . import onnxfile, stop, validate
from .channel import Channel
from .checkpoint import CheckpointInfo, Resume, StateOrDir
from .dataset import Dataset
from .errors import DxtrainError
from .stop import StopRequest


class Context:
    """One rank's handle on its run: who it is, its data, and the agent.

    Without an agent (standalone), the same calls work on the local disk so
    that a script runs unchanged on a laptop: see PROTOCOL.md."""

    def __init__(self, *, rank: int, world_size: int, local_rank: int, seed: int, experiment: str,
                 attempt: str, device: str, work_dir: str, checkpoint_dir: str, dataset_dir: Optional[str],
                 resume: Optional[Resume], channel: Optional[Channel], stop_at_step: Optional[int] = None) -> None:
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
        self._stop: Optional[StopRequest] = None  # from the agent's answers
        self._agreed_stop = False  # should_stop() has returned True
        # A validator's replay stops the script at the step it replays to
        # (hello's stop_at_step); None in a training run.
        self._stop_at_step = stop_at_step
        self._step: Optional[int] = None  # the step last given to report() or should_stop()
        self._last_answer = time.monotonic()

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
        self._step = step
        if self._channel is None:
            shown = " ".join(f"{k}={v:.6g}" for k, v in values.items())
            print(f"dxtrain rank {self.rank} step {step}: {shown}", file=sys.stderr, flush=True)
            return
        self._request({"op": "report", "step": step, "metrics": values})

    def ping(self) -> None:
        """Tells the agent the rank is alive, for long stretches without a
        report (the agent declares a rank silent for silence_timeout hung)."""
        if self._channel is not None:
            self._request({"op": "ping"})

    def _request(self, msg: Dict[str, Any]) -> Dict[str, Any]:
        """A request whose answer may carry the attempt's stop request."""
        assert self._channel is not None
        resp = self._channel.request(msg)
        self._last_answer = time.monotonic()
        if self._stop is None:
            self._stop = stop.from_answer(resp)
        return resp

    @property
    def stop_requested(self) -> bool:
        """True once the agent has told this rank that the attempt must
        checkpoint now and stop (in its answer to a report or ping), or, in
        a validator's replay, once should_stop() reached the step it replays
        to. This rank's own view: another rank may hear of it a step earlier
        or later. Decide with should_stop(), which makes the ranks agree."""
        return self._stop is not None

    @property
    def stop_request(self) -> Optional[StopRequest]:
        """Why the attempt must stop (reason "preempt" or "time_limit", or
        "replay" in a validator's replay, and a sentence), once
        stop_requested; None before."""
        return self._stop

    # stop_poll_every is how long should_stop() goes on the last answer before
    # it pings the agent for news, so a script that reports rarely still
    # hears of a stop request within about a second.
    stop_poll_every = 1.0

    def should_stop(self, step: Optional[int] = None) -> bool:
        """Whether to checkpoint now and stop, the same answer on every rank:
        True once any rank has been told of a stop request.

        step is the step this rank would checkpoint if the answer were True.
        Pass it: a validator replaying the run up to a checkpoint taken on a
        stop request makes should_stop(step) True at exactly that step
        (PROTOCOL.md, "Replays"). Without it the step of this rank's latest
        report() stands in, which is right only where the script reports
        that step just before asking.

        A collective when torch.distributed is initialised with more than
        one rank (an all-reduce of the flag): every rank must call it at the
        same point of the loop, as for any all-reduce, e.g. once per step
        after the optimizer step. Then, on every rank:

            if ctx.should_stop(step):
                ctx.checkpoint(step, state)  # rank 0 commits this step
                ctx.stopped(step)
                break  # and exit normally

        Standalone it is False (no agent asks)."""
        if step is not None:
            self._step = validate.count(step, "step")
        if (self._stop is None and self._stop_at_step is not None and self._step is not None
                and self._step >= self._stop_at_step):
            self._stop = StopRequest(stop.REPLAY, f"a validator's replay stops at step {self._stop_at_step}, "
                                     "the checkpoint it replays to")
        if (self._channel is not None and self._stop is None
                and time.monotonic() - self._last_answer >= self.stop_poll_every):
            self.ping()
        if stop.agree(self.stop_requested):
            self._agreed_stop = True
        return self._agreed_stop

    def stopped(self, step: int) -> None:
        """Tells the agent that this rank stopped on the stop request after
        checkpointing step; call it on every rank after ctx.checkpoint(step,
        ...) and before leaving the loop. The agent then ends the attempt
        as stopped, not succeeded (the run resumes from that checkpoint when
        it was preempted). Only after should_stop() returned True."""
        step = validate.count(step, "step")
        if not self._agreed_stop:
            raise DxtrainError("stopped: no stop was requested (call it once should_stop() returned True)")
        if self._channel is None:
            print(f"dxtrain rank {self.rank}: stopped on request at step {step}", file=sys.stderr, flush=True)
            return
        self._request({"op": "stopped", "step": step})

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
            resp = self._request({"op": "checkpoint", "step": step, "dir": directory, "metrics": metrics})
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
        resp = self._request({"op": "onnx", "path": path, "inputs": inputs, "outputs": outputs})
        return str(resp.get("sha256", ""))

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None

    def __enter__(self) -> Context:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
