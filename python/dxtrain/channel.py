"""The rank's connection to the agent: one JSON object per line over the
Unix stream socket in DXTRAIN_SOCKET (PROTOCOL.md, "Framing")."""

from __future__ import annotations

import json
import socket
import threading
from typing import Any, Dict

from .errors import DxtrainError

# PROTOCOL.md: at most 1 MiB per line (not counting its newline), either way.
MAX_LINE = 1 << 20


class Channel:
    """A request/response client: each request waits for its one answer
    line before the next is sent. A lock keeps requests from two threads
    (a script's own watchdog pinging, say) from interleaving."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._sock.connect(path)
        except OSError as e:
            self._sock.close()
            raise DxtrainError(f"cannot connect to the agent at {path}: {e.strerror or e}") from None
        self._file = self._sock.makefile("rb")
        self._lock = threading.Lock()

    def request(self, msg: Dict[str, Any]) -> Dict[str, Any]:
        """Sends msg and returns the agent's answer; an answer with ok false
        raises DxtrainError with the agent's message and the op."""
        op = msg.get("op", "?")
        line = json.dumps(msg, separators=(",", ":"), allow_nan=False).encode("utf-8") + b"\n"
        if len(line) - 1 > MAX_LINE:
            raise DxtrainError(f"{op}: the request is {len(line) - 1} bytes, over the channel's {MAX_LINE}-byte limit")
        with self._lock:
            try:
                self._sock.sendall(line)
                answer = self._file.readline(MAX_LINE + 1)
            except OSError as e:
                raise DxtrainError(f"{op}: the connection to the agent failed: {e.strerror or e}") from None
        if not answer.endswith(b"\n"):
            what = "closed the connection" if len(answer) <= MAX_LINE else "sent an over-long line"
            raise DxtrainError(f"{op}: the agent {what} without an answer")
        try:
            resp = json.loads(answer.decode("utf-8"))
        except ValueError:
            raise DxtrainError(f"{op}: the agent's answer is not JSON") from None
        if not isinstance(resp, dict) or not isinstance(resp.get("ok"), bool):
            raise DxtrainError(f"{op}: the agent's answer has no ok field")
        if not resp["ok"]:
            raise DxtrainError(f"{op} refused by the agent: {resp.get('error') or 'no reason given'}")
        return resp

    def close(self) -> None:
        self._file.close()
        self._sock.close()
