"""The connected mode against a test double of the agent."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import tempfile
import unittest
from typing import Any, Dict
from unittest import mock

import numpy as np

import dxtrain
from fakeagent import SECRET, FakeAgent
from shardkit import row_dataset

try:
    import torch
except ImportError:  # the torch-free parts still run
    torch = None  # type: ignore[assignment]

needs_torch = unittest.skipIf(torch is None, "torch is not installed")


class ChannelTest(unittest.TestCase):
    def setUp(self) -> None:
        self.agent = FakeAgent()
        self.addCleanup(self.agent.close)

    def connect(self, rank: int = 0, **env: str) -> dxtrain.Context:
        e = self.agent.env(rank)
        e.update(env)
        with mock.patch.dict(os.environ, e, clear=True):
            ctx = dxtrain.init()
        self.addCleanup(ctx.close)
        return ctx

    def test_hello(self) -> None:
        ctx = self.connect(rank=1)
        hello = self.agent.requests[0]
        self.assertEqual(hello, {"op": "hello", "secret": SECRET, "rank": 1, "pid": os.getpid()})
        self.assertFalse(ctx.standalone)
        self.assertEqual((ctx.rank, ctx.world_size, ctx.local_rank, ctx.seed, ctx.experiment, ctx.attempt, ctx.device),
                         (1, 2, 1, 18446744073709551557, "exp-1", "att-1", "cuda"))
        self.assertIsNone(ctx.resume())
        self.assertEqual(ctx.checkpoint_dir, self.agent.checkpoint_dir)

    def test_refused_hello(self) -> None:
        with mock.patch.dict(os.environ, self.agent.env(secret="cd" * 32), clear=True):
            with self.assertRaisesRegex(dxtrain.DxtrainError, "hello refused by the agent: wrong secret"):
                dxtrain.init()
        with mock.patch.dict(os.environ, {**self.agent.env(), "DXTRAIN_SECRET": ""}, clear=True):
            with self.assertRaisesRegex(dxtrain.DxtrainError, "DXTRAIN_SECRET"):
                dxtrain.init()
        with mock.patch.dict(os.environ, {**self.agent.env(), "RANK": "one"}, clear=True):
            with self.assertRaisesRegex(dxtrain.DxtrainError, "RANK is not a decimal integer"):
                dxtrain.init()
        with mock.patch.dict(os.environ, {**self.agent.env(), "DXTRAIN_SOCKET": self.agent.socket + ".gone"},
                             clear=True):
            with self.assertRaisesRegex(dxtrain.DxtrainError, "cannot connect to the agent"):
                dxtrain.init()

    def test_report_and_ping(self) -> None:
        ctx = self.connect()
        ctx.report(3, loss=0.25, accuracy=np.float32(0.5), **{"val.auc": 1})
        ctx.ping()
        self.assertEqual(self.agent.requests[1:], [
            {"op": "report", "step": 3, "metrics": {"loss": 0.25, "accuracy": 0.5, "val.auc": 1.0}},
            {"op": "ping"}])

    def test_bad_reports_are_not_sent(self) -> None:
        ctx = self.connect()
        bad: Dict[str, Any] = {"nan": {"loss": float("nan")}, "inf": {"loss": float("-inf")},
                               "name": {"bad-name": 1.0}, "long name": {"x" * 65: 1.0},
                               "string": {"loss": "0.3"}, "bool": {"ok": True}, "none": {"loss": None}}
        for what, metrics in bad.items():
            with self.subTest(what), self.assertRaises(ValueError):
                ctx.report(1, **metrics)
        for step in (-1, 1.5, True, "2"):
            with self.subTest(step=step), self.assertRaises(ValueError):
                ctx.report(step, loss=1.0)  # type: ignore[arg-type]
        self.assertEqual(self.agent.ops(), ["hello"])

    def test_refusal_and_hang_up_raise(self) -> None:
        ctx = self.connect()
        self.agent.refuse["report"] = "steps must increase"
        with self.assertRaisesRegex(dxtrain.DxtrainError, "report refused by the agent: steps must increase"):
            ctx.report(1, loss=1.0)
        self.agent.hang_up_on = "ping"
        with self.assertRaisesRegex(dxtrain.DxtrainError, "ping: the agent closed the connection"):
            ctx.ping()

    @needs_torch
    def test_checkpoint_state_dict(self) -> None:
        ctx = self.connect()
        w = torch.arange(4.0)
        state = {"w": w, "epoch": 2}
        info = ctx.checkpoint(10, state, loss=0.5)
        self.assertEqual(info, dxtrain.CheckpointInfo("cp-10", "f" * 64, 10))
        sent = self.agent.requests[-1]
        staged = os.path.join(self.agent.checkpoint_dir, "step-10")
        self.assertEqual(sent, {"op": "checkpoint", "step": 10, "dir": staged, "metrics": {"loss": 0.5}})
        self.assertEqual(list(self.agent.seen_files), ["state.pt"])
        got = torch.load(io.BytesIO(self.agent.seen_files["state.pt"]))
        self.assertTrue(torch.equal(got["w"], w))
        self.assertFalse(os.path.exists(staged), "the staged directory outlived the commit")

    def test_checkpoint_directory_outside_is_copied_in(self) -> None:
        ctx = self.connect()
        with tempfile.TemporaryDirectory() as src:
            os.makedirs(os.path.join(src, "sub"))
            for name, data in (("a.bin", b"A"), ("sub/b.bin", b"B")):
                with open(os.path.join(src, name), "wb") as f:
                    f.write(data)
            ctx.checkpoint(4, src)
            self.assertEqual(self.agent.requests[-1]["dir"], os.path.join(self.agent.checkpoint_dir, "step-4"))
            self.assertEqual(self.agent.seen_files, {"a.bin": b"A", os.path.join("sub", "b.bin"): b"B"})
            self.assertTrue(os.path.isfile(os.path.join(src, "sub", "b.bin")), "the script's own files were touched")
        self.assertEqual(os.listdir(self.agent.checkpoint_dir), [])

    def test_checkpoint_directory_inside_is_handed_over(self) -> None:
        ctx = self.connect()
        mine = os.path.join(self.agent.checkpoint_dir, "mine")
        os.makedirs(mine)
        with open(os.path.join(mine, "model.safetensors"), "wb") as f:
            f.write(b"M")
        ctx.checkpoint(5, mine)
        self.assertEqual(self.agent.requests[-1]["dir"], mine)
        self.assertEqual(self.agent.seen_files, {"model.safetensors": b"M"})
        self.assertFalse(os.path.exists(mine))
        with self.assertRaisesRegex(ValueError, "holds checkpoint_dir"):
            ctx.checkpoint(6, self.agent.work_dir)
        with self.assertRaisesRegex(ValueError, "not a directory"):
            ctx.checkpoint(6, os.path.join(self.agent.work_dir, "nothing"))
        with self.assertRaises(TypeError):
            ctx.checkpoint(6, 42)  # type: ignore[arg-type]

    def test_checkpoint_refused(self) -> None:
        ctx = self.connect()
        self.agent.refuse["checkpoint"] = "checkpoint of 2 GiB exceeds max_checkpoint_bytes"
        with tempfile.TemporaryDirectory() as src:
            with self.assertRaisesRegex(dxtrain.DxtrainError, "checkpoint refused by the agent: .*exceeds"):
                ctx.checkpoint(7, src)
        self.assertEqual(os.listdir(self.agent.checkpoint_dir), [], "a refused staging copy was left behind")

    def test_other_ranks_send_no_checkpoint(self) -> None:
        ctx = self.connect(rank=1)
        self.assertIsNone(ctx.checkpoint(3, {"w": 1}))
        self.assertIsNone(ctx.save_onnx("missing.onnx", np.zeros(1), np.zeros(1)))
        self.assertEqual(self.agent.ops(), ["hello"])

    @needs_torch
    def test_waiting_ranks_keep_the_agent_informed(self) -> None:
        """A rank waiting in the checkpoint barrier pings, so a long upload by
        rank 0 does not get it declared silent; it stops once the barrier ends."""
        import time

        import torch.distributed as dist

        ctx = self.connect(rank=1)
        ctx.keepalive_every = 0.1
        with mock.patch.object(dist, "is_initialized", return_value=True), \
                mock.patch.object(dist, "barrier", side_effect=lambda: time.sleep(0.35)):
            ctx.checkpoint(3, {"w": 1})
        pings = self.agent.ops().count("ping")
        self.assertGreaterEqual(pings, 2, self.agent.ops())
        time.sleep(0.3)
        self.assertEqual(self.agent.ops().count("ping"), pings, "the pinger outlived the barrier")

    @needs_torch
    def test_ranks_meet_after_the_checkpoint(self) -> None:
        import torch.distributed as dist

        ctx = self.connect(rank=1)
        with mock.patch.object(dist, "is_initialized", return_value=True), \
                mock.patch.object(dist, "barrier") as barrier:
            ctx.checkpoint(3, {"w": 1})
            self.agent.refuse["checkpoint"] = "coordinator unavailable"
            ctx0 = self.connect(rank=0)
            with self.assertRaises(dxtrain.DxtrainError):
                ctx0.checkpoint(3, {"w": 1})
        self.assertEqual(barrier.call_count, 2, "a rank left checkpoint without the barrier")

    @needs_torch
    def test_ranks_wait_for_the_commit(self) -> None:
        # Two real ranks with a gloo process group: rank 1 must not leave
        # checkpoint before the agent has committed rank 0's.
        self.agent.commit_seconds = 1.0
        script = (
            "import sys, time, torch.distributed as dist, dxtrain\n"
            "ctx = dxtrain.init()\n"
            "dist.init_process_group('gloo', init_method='file://' + sys.argv[1], rank=ctx.rank, world_size=2)\n"
            "ctx.checkpoint(1, {'w': 1})\n"
            "print(time.time())\n"
            "dist.destroy_process_group()\n")
        rendezvous = os.path.join(self.agent.work_dir, "rendezvous")
        procs = [subprocess.Popen([sys.executable, "-c", script, rendezvous], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, cwd=self.agent.work_dir,
                                  env={**self.agent.env(rank), "GLOO_SOCKET_IFNAME": "lo",
                                       "PYTHONPATH": os.path.dirname(os.path.dirname(dxtrain.__file__))})
                 for rank in (0, 1)]
        outs = [p.communicate(timeout=120) for p in procs]
        for rank, (p, (out, err)) in enumerate(zip(procs, outs)):
            self.assertEqual(p.returncode, 0, f"rank {rank}: {err.decode()}")
        assert self.agent.committed_at is not None
        self.assertGreaterEqual(float(outs[1][0]), self.agent.committed_at)

    @needs_torch
    def test_resume(self) -> None:
        rdir = os.path.join(self.agent.work_dir, "resume")
        os.makedirs(rdir)
        torch.save({"w": torch.ones(2)}, os.path.join(rdir, "state.pt"))
        self.agent.resume = {"step": 120, "dir": rdir, "checkpoint_id": "cp-9", "metrics": {"loss": 0.3}}
        r = self.connect().resume()
        assert r is not None
        self.assertEqual((r.step, r.dir, r.checkpoint_id, r.metrics), (120, rdir, "cp-9", {"loss": 0.3}))
        self.assertTrue(torch.equal(r.load()["w"], torch.ones(2)))
        os.remove(os.path.join(rdir, "state.pt"))
        with self.assertRaisesRegex(dxtrain.DxtrainError, "no state.pt"):
            r.load()

    def test_save_onnx(self) -> None:
        ctx = self.connect()
        path = os.path.join(self.agent.work_dir, "model.onnx")
        with open(path, "wb") as f:
            f.write(b"onnx bytes")
        x = np.ones((2, 3), np.float32)
        y = x if torch is None else torch.ones(2, 1, requires_grad=True) * 2
        sha = ctx.save_onnx(path, x, y)
        sent = self.agent.requests[-1]
        base = os.path.join(self.agent.work_dir, "model")
        self.assertEqual(sent, {"op": "onnx", "path": path, "inputs": base + ".inputs.npy",
                                "outputs": base + ".outputs.npy"})
        self.assertEqual(sha, hashlib.sha256(b"onnx bytes").hexdigest())
        np.testing.assert_array_equal(np.load(base + ".inputs.npy"), x)
        self.assertEqual(np.load(base + ".outputs.npy").shape, (2, 3) if torch is None else (2, 1))
        self.agent.refuse["onnx"] = "max |diff| 0.3 exceeds 1e-4"
        with self.assertRaisesRegex(dxtrain.DxtrainError, "onnx refused by the agent: max"):
            ctx.save_onnx(path, x, x)
        with self.assertRaisesRegex(dxtrain.DxtrainError, "is not a file"):
            ctx.save_onnx(path + ".gone", x, x)

    def test_dataset_from_info(self) -> None:
        row_dataset(self.agent.dataset_dir, 10, 4)
        ctx = self.connect(rank=1)
        ds = ctx.dataset
        self.assertEqual((ds.rank, ds.world_size, ds.seed), (1, 2, 18446744073709551557))
        self.assertEqual(len(list(ds.batches(batch_size=4))), 3)


if __name__ == "__main__":
    unittest.main()
