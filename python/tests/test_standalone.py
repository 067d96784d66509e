"""Standalone mode: no agent, the local disk stands in (PROTOCOL.md)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
import unittest
from typing import Dict
from unittest import mock

import dxtrain
from shardkit import row_dataset

try:
    import torch
except ImportError:
    torch = None  # type: ignore[assignment]


class StandaloneTest(unittest.TestCase):
    def setUp(self) -> None:
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.work = tmp.name

    def init(self, **env: str) -> dxtrain.Context:
        with mock.patch.dict(os.environ, {"DXTRAIN_WORK_DIR": self.work, **env}, clear=True):
            return dxtrain.init()

    def test_environment(self) -> None:
        ctx = self.init(RANK="2", WORLD_SIZE="4", LOCAL_RANK="0", DXTRAIN_SEED="7")
        self.assertTrue(ctx.standalone)
        self.assertEqual((ctx.rank, ctx.world_size, ctx.local_rank, ctx.seed, ctx.device), (2, 4, 0, 7, "cpu"))
        self.assertEqual(ctx.checkpoint_dir, os.path.join(self.work, "checkpoints"))
        with mock.patch.dict(os.environ, {}, clear=True), contextlib.chdir(self.work):
            ctx = dxtrain.init()
        self.assertEqual((ctx.rank, ctx.world_size, ctx.seed), (0, 1, 0))
        self.assertEqual(ctx.work_dir, os.path.join(os.path.realpath(self.work), "dxtrain-standalone"))
        bad: Dict[str, Dict[str, str]] = {"rank outside": {"RANK": "2", "WORLD_SIZE": "2"},
                                          "seed": {"DXTRAIN_SEED": str(1 << 64)}, "world": {"WORLD_SIZE": "x"}}
        for what, env in bad.items():
            with self.subTest(what), self.assertRaises(dxtrain.DxtrainError):
                self.init(**env)

    def test_report_goes_to_stderr(self) -> None:
        ctx = self.init()
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            ctx.report(12, loss=0.3125, accuracy=1)
        self.assertEqual(err.getvalue(), "dxtrain rank 0 step 12: loss=0.3125 accuracy=1\n")
        with self.assertRaises(ValueError):
            ctx.report(12, loss=float("nan"))

    def test_dataset(self) -> None:
        with self.assertRaisesRegex(dxtrain.DxtrainError, "DXTRAIN_DATASET_DIR"):
            self.init().dataset
        data = os.path.join(self.work, "data")
        row_dataset(data, 9, 2)
        ctx = self.init(DXTRAIN_DATASET_DIR=data, RANK="1", WORLD_SIZE="2", DXTRAIN_SEED="3")
        self.assertEqual((ctx.dataset.rank, ctx.dataset.world_size, ctx.dataset.seed), (1, 2, 3))
        self.assertEqual(sum(len(y) for _, y in ctx.dataset.batches(batch_size=4)), 4)

    @unittest.skipIf(torch is None, "torch is not installed")
    def test_checkpoint_resume_round_trip(self) -> None:
        ctx = self.init()
        self.assertIsNone(ctx.resume())
        model = torch.nn.Linear(3, 2)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        model(torch.ones(1, 3)).sum().backward()
        opt.step()
        ctx.checkpoint(5, {"model": model.state_dict(), "opt": opt.state_dict()}, loss=0.9)
        info = ctx.checkpoint(10, {"model": model.state_dict(), "opt": opt.state_dict()}, loss=0.4)
        self.assertEqual(info, dxtrain.CheckpointInfo("", "", 10))
        # A later step whose files were written but not committed (a crash
        # mid-write) is not resumed from.
        os.makedirs(os.path.join(ctx.checkpoint_dir, "step-15"))
        r = self.init().resume()
        assert r is not None
        self.assertEqual((r.step, r.checkpoint_id, r.metrics), (10, None, {"loss": 0.4}))
        self.assertEqual(r.dir, os.path.join(os.path.realpath(ctx.checkpoint_dir), "step-10"))
        state = r.load()
        fresh = torch.nn.Linear(3, 2)
        fresh.load_state_dict(state["model"])
        for a, b in zip(fresh.parameters(), model.parameters()):
            self.assertTrue(torch.equal(a, b))
        opt2 = torch.optim.SGD(fresh.parameters(), lr=0.1)
        opt2.load_state_dict(state["opt"])

    def test_checkpoint_of_a_directory(self) -> None:
        ctx = self.init()
        src = os.path.join(self.work, "mine")
        os.makedirs(src)
        with open(os.path.join(src, "weights.bin"), "wb") as f:
            f.write(b"W")
        ctx.checkpoint(3, src, auc=0.75)
        r = ctx.resume()
        assert r is not None
        self.assertEqual((r.step, r.metrics), (3, {"auc": 0.75}))
        with open(os.path.join(r.dir, "weights.bin"), "rb") as f:
            self.assertEqual(f.read(), b"W")
        self.assertTrue(os.path.isdir(src))

    def test_save_onnx_returns_the_hash(self) -> None:
        ctx = self.init()
        path = os.path.join(self.work, "m.onnx")
        with open(path, "wb") as f:
            f.write(b"model")
        self.assertEqual(ctx.save_onnx(path, None, None), hashlib.sha256(b"model").hexdigest())


if __name__ == "__main__":
    unittest.main()
