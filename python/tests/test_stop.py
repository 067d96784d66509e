"""Stop requests (PROTOCOL.md, "Stop requests"): how a rank hears of one,
how the ranks agree on it, and the stopped message."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

import dxtrain
from fakeagent import FakeAgent

try:
    import torch
except ImportError:  # the torch-free parts still run
    torch = None  # type: ignore[assignment]

needs_torch = unittest.skipIf(torch is None, "torch is not installed")

PREEMPT = {"stop_reason": "preempt", "stop_detail": "for experiment exp-9 (urgent over batch)"}


class StopTest(unittest.TestCase):
    def setUp(self) -> None:
        self.agent = FakeAgent()
        self.addCleanup(self.agent.close)

    def connect(self, rank: int = 0) -> dxtrain.Context:
        with mock.patch.dict(os.environ, self.agent.env(rank), clear=True):
            ctx = dxtrain.init()
        self.addCleanup(ctx.close)
        return ctx

    def test_heard_in_the_answer_to_report_or_ping(self) -> None:
        for op in ("report", "ping"):
            with self.subTest(op):
                self.agent.stop = None
                ctx = self.connect()
                send = (lambda: ctx.report(1, loss=1.0)) if op == "report" else ctx.ping
                send()
                self.assertFalse(ctx.stop_requested)
                self.assertIsNone(ctx.stop_request)
                self.agent.stop = PREEMPT
                send()
                self.assertTrue(ctx.stop_requested)
                self.assertEqual(ctx.stop_request, dxtrain.StopRequest("preempt", "for experiment exp-9 (urgent over batch)"))

    def test_answers_with_unknown_fields_are_read_as_before(self) -> None:
        ctx = self.connect()
        self.agent.stop = {"stop_reason": "time_limit", "stop_detail": "ran 2h of its 2h", "stop_deadline": 17,
                           "something_newer": {"x": 1}}
        ctx.ping()
        self.assertEqual(ctx.stop_request, dxtrain.StopRequest("time_limit", "ran 2h of its 2h"))
        self.agent.stop = {"stop": False, "stop_reason": "preempt"}  # "stop" must be true to count
        self.assertFalse(self.connect(rank=1).should_stop())

    def test_should_stop_asks_a_quiet_agent_at_most_every_poll_interval(self) -> None:
        ctx = self.connect()
        self.agent.stop = PREEMPT
        ctx.stop_poll_every = 3600.0
        self.assertFalse(ctx.should_stop(), "should_stop pinged although the agent answered just now")
        self.assertEqual(self.agent.ops(), ["hello"])
        ctx.stop_poll_every = 0.0
        self.assertTrue(ctx.should_stop())
        self.assertEqual(self.agent.ops(), ["hello", "ping"])
        self.assertTrue(ctx.should_stop())
        self.assertEqual(self.agent.ops(), ["hello", "ping"], "should_stop kept pinging after it was told")

    def test_stopped_is_sent_after_should_stop(self) -> None:
        ctx = self.connect(rank=1)
        with self.assertRaisesRegex(dxtrain.DxtrainError, "no stop was requested"):
            ctx.stopped(12)
        self.agent.stop = PREEMPT
        ctx.report(12, loss=0.5)
        with self.assertRaisesRegex(dxtrain.DxtrainError, "no stop was requested"):
            ctx.stopped(12)  # told, but the ranks have not agreed yet
        self.assertTrue(ctx.should_stop())
        with self.assertRaises(ValueError):
            ctx.stopped(-1)
        ctx.stopped(12)
        self.assertEqual(self.agent.requests[-1], {"op": "stopped", "step": 12})
        self.agent.refuse["stopped"] = "the channel is closing"
        with self.assertRaisesRegex(dxtrain.DxtrainError, "stopped refused by the agent"):
            ctx.stopped(12)

    def test_standalone_never_stops(self) -> None:
        with tempfile.TemporaryDirectory() as work, mock.patch.dict(os.environ, {"DXTRAIN_WORK_DIR": work}, clear=True):
            ctx = dxtrain.init()
        self.assertFalse(ctx.should_stop())
        self.assertFalse(ctx.stop_requested)
        with self.assertRaisesRegex(dxtrain.DxtrainError, "no stop was requested"):
            ctx.stopped(3)
        ctx._agreed_stop = True  # as should_stop would leave it
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            ctx.stopped(3)
        self.assertEqual(err.getvalue(), "dxtrain rank 0: stopped on request at step 3\n")

    def test_replay_stops_at_the_step_it_replays_to(self) -> None:
        # A validator's replay says stop_at_step in hello; no answer carries a
        # stop, and no ping is needed: the step alone decides.
        self.agent.stop_at_step = 5
        ctx = self.connect()
        ctx.stop_poll_every = 3600.0
        self.assertEqual([ctx.should_stop(s) for s in (3, 4)], [False, False])
        self.assertFalse(ctx.stop_requested)
        self.assertTrue(ctx.should_stop(5))
        self.assertEqual(ctx.stop_request.reason, "replay")
        self.assertIn("step 5", ctx.stop_request.detail)
        ctx.stopped(5)
        self.assertEqual(self.agent.ops(), ["hello", "stopped"])
        with self.assertRaises(ValueError):
            ctx.should_stop(-1)
        with self.assertRaises(ValueError):
            ctx.should_stop(True)

    def test_replay_without_a_step_goes_by_the_latest_report(self) -> None:
        # A script that calls should_stop() bare, just after reporting the
        # step, stops at the target all the same; one that reported an
        # earlier step does not (its replay then says it ran past).
        self.agent.stop_at_step = 20
        ctx = self.connect()
        ctx.stop_poll_every = 3600.0
        self.assertFalse(ctx.should_stop(), "stopped with no step known")
        ctx.report(19, loss=1.0)
        self.assertFalse(ctx.should_stop())
        ctx.report(20, loss=1.0)
        self.assertTrue(ctx.should_stop())

    def test_a_training_run_never_stops_on_its_step(self) -> None:
        ctx = self.connect()  # the agent sends no stop_at_step
        ctx.stop_poll_every = 3600.0
        ctx.report(10**9, loss=1.0)
        self.assertFalse(ctx.should_stop(10**9))
        self.assertFalse(ctx.stop_requested)

    def test_malformed_stop_at_step_is_refused(self) -> None:
        for bad in ("5", -1, True, 1.5, [5]):
            with self.subTest(bad=bad):
                self.agent.stop_at_step = bad
                with self.assertRaisesRegex(dxtrain.DxtrainError, "stop_at_step"):
                    self.connect()

    @needs_torch
    def test_ranks_agree_when_one_is_told(self) -> None:
        # Two real ranks with a gloo process group; the agent tells rank 1
        # only, at its report of step 3. Both must stop after step 3: rank 0
        # checkpoints it, and both say stopped.
        self.agent.stop, self.agent.stop_ranks = PREEMPT, {1}
        script = (
            "import sys, torch.distributed as dist, dxtrain\n"
            "ctx = dxtrain.init()\n"
            "ctx.stop_poll_every = 3600.0  # hear of it from the report alone\n"
            "dist.init_process_group('gloo', init_method='file://' + sys.argv[1], rank=ctx.rank, world_size=2)\n"
            "for step in range(1, 100):\n"
            "    if step == 3 and ctx.rank == 1:\n"
            "        ctx.report(step, loss=1.0)\n"
            "    if ctx.should_stop():\n"
            "        ctx.checkpoint(step, {'step': step})\n"
            "        ctx.stopped(step)\n"
            "        print(step, ctx.stop_requested)\n"
            "        break\n"
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
        # Rank 0 stopped on the all-reduce without having been told itself.
        self.assertEqual([o.decode().split() for o, _ in outs], [["3", "False"], ["3", "True"]])
        checkpoints = [m["step"] for m in self.agent.requests if m["op"] == "checkpoint"]
        stopped = sorted(m["step"] for m in self.agent.requests if m["op"] == "stopped")
        self.assertEqual((checkpoints, stopped), ([3], [3, 3]))


if __name__ == "__main__":
    unittest.main()
