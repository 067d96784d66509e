"""Test double of the agent's end of the channel (PROTOCOL.md): a Unix
socket server answering one JSON line per request line, recording what it
was sent and what it found on disk at that moment (the client removes a
checkpoint's directory once it is committed)."""

from __future__ import annotations

import hashlib
import json
import os
import socketserver
import tempfile
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Set

SECRET = "ab" * 32

Answer = Callable[[Dict[str, Any], Optional[int]], Optional[Dict[str, Any]]]


class _Handler(socketserver.StreamRequestHandler):
    server: "_Server"

    def handle(self) -> None:
        rank: Optional[int] = None
        for line in self.rfile:
            msg = json.loads(line)
            if msg.get("op") == "hello":
                rank = msg.get("rank")
            self.server.agent.requests.append(msg)
            resp = self.server.agent.answer(msg, rank)
            if resp is None:  # hang up without answering
                return
            self.wfile.write(json.dumps(resp).encode() + b"\n")
            if not resp["ok"] and msg.get("op") == "hello":
                return


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    agent: "FakeAgent"


class FakeAgent:
    """Serves on a socket in a fresh work directory. Override answer (or
    set refuse[op] to an error message) to change what it says."""

    def __init__(self, world_size: int = 2, resume: Optional[Dict[str, Any]] = None) -> None:
        self._tmp = tempfile.TemporaryDirectory()
        self.work_dir = self._tmp.name
        self.checkpoint_dir = os.path.join(self.work_dir, "checkpoints")
        os.makedirs(self.checkpoint_dir)
        self.socket = os.path.join(self.work_dir, "agent.sock")
        self.world_size = world_size
        self.resume = resume
        self.dataset_dir = os.path.join(self.work_dir, "data")
        self.requests: List[Dict[str, Any]] = []
        self.seen_files: Dict[str, bytes] = {}  # the last checkpoint's files, by relative path
        self.refuse: Dict[str, str] = {}
        self.hang_up_on: Optional[str] = None
        self.commit_seconds = 0.0  # how long a checkpoint takes to commit
        self.committed_at: Optional[float] = None  # time.time() of the last commit
        # stop, when set, is the stop request the answers to report and ping carry
        # (to the ranks in stop_ranks only, when that is set).
        self.stop: Optional[Dict[str, Any]] = None
        self.stop_ranks: Optional[Set[int]] = None
        # stop_at_step, when set, is the hello answer's stop_at_step, as a
        # validator's replay sends it (any JSON value, to test refusals).
        self.stop_at_step: Any = None
        self._server = _Server(self.socket, _Handler)
        self._server.agent = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def env(self, rank: int = 0, secret: str = SECRET) -> Dict[str, str]:
        return {"DXTRAIN_SOCKET": self.socket, "DXTRAIN_SECRET": secret, "RANK": str(rank),
                "WORLD_SIZE": str(self.world_size), "DXTRAIN_DEVICE": "gpu", "DXTRAIN_WORK_DIR": self.work_dir}

    def ops(self) -> List[str]:
        return [m["op"] for m in self.requests]

    def answer(self, msg: Dict[str, Any], rank: Optional[int] = None) -> Optional[Dict[str, Any]]:
        """The answer to msg from the connection of rank (None before hello)."""
        op = msg["op"]
        if op == self.hang_up_on:
            return None
        if op in self.refuse:
            return {"ok": False, "error": self.refuse[op]}
        if op == "hello":
            if msg["secret"] != SECRET:
                return {"ok": False, "error": "wrong secret"}
            info = {
                "experiment": "exp-1", "attempt": "att-1", "rank": msg["rank"], "world_size": self.world_size,
                "local_rank": msg["rank"], "seed": 18446744073709551557, "dataset": {"dir": self.dataset_dir},
                "resume": self.resume, "checkpoint_dir": self.checkpoint_dir, "max_checkpoint_bytes": 1 << 30}
            if self.stop_at_step is not None:
                info["stop_at_step"] = self.stop_at_step
            return {"ok": True, "info": info}
        if op == "checkpoint":
            d = msg["dir"]
            if os.path.commonpath([d, self.checkpoint_dir]) != self.checkpoint_dir:
                return {"ok": False, "error": "dir is not under checkpoint_dir"}
            self.seen_files = {}
            for root, _, names in os.walk(d):
                for n in names:
                    with open(os.path.join(root, n), "rb") as f:
                        self.seen_files[os.path.relpath(os.path.join(root, n), d)] = f.read()
            time.sleep(self.commit_seconds)
            self.committed_at = time.time()
            return {"ok": True, "checkpoint_id": f"cp-{msg['step']}", "manifest_sha256": "f" * 64}
        if op == "onnx":
            with open(msg["path"], "rb") as f:
                return {"ok": True, "sha256": hashlib.sha256(f.read()).hexdigest(), "max_abs_diff": 0.0}
        if op in ("report", "ping") and self.stop is not None and (self.stop_ranks is None or rank in self.stop_ranks):
            return {"ok": True, "stop": True, **self.stop}
        return {"ok": True}

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._tmp.cleanup()
