"""dxtrain.compare: the validator's tensor-by-tensor check of a replay."""

from __future__ import annotations

import os
import tempfile
import unittest

from dxtrain import compare, determinism

try:
    import torch
except ImportError:
    torch = None  # type: ignore[assignment]


@unittest.skipIf(torch is None, "needs torch: make test installs Debian's python3-torch")
class CompareTest(unittest.TestCase):
    def setUp(self) -> None:
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.a, self.b = os.path.join(tmp.name, "a"), os.path.join(tmp.name, "b")
        os.makedirs(self.a)
        os.makedirs(self.b)

    def save(self, directory: str, state: object, extra: bytes = b"x") -> None:
        torch.save(state, os.path.join(directory, "state.pt"))
        with open(os.path.join(directory, "notes.bin"), "wb") as f:
            f.write(extra)

    def state(self) -> dict:
        g = torch.Generator().manual_seed(3)
        return {"model": {"w": torch.randn(4, 3, generator=g), "b": torch.zeros(4)},
                "optim": {"state": {0: {"step": torch.tensor(7.0), "exp_avg": torch.ones(3)}}, "param_groups": [{"lr": 0.1}]},
                "step": 7}

    def test_identical(self) -> None:
        self.save(self.a, self.state())
        self.save(self.b, self.state())
        r = compare.compare(self.a, self.b)
        self.assertTrue(r["identical"], r)
        self.assertEqual(r["tensors"], 4)
        self.assertIsNone(r["first_difference"])

    def test_first_difference_and_tolerance(self) -> None:
        s = self.state()
        self.save(self.b, s)
        s["model"]["w"][1, 2] += 1e-3
        self.save(self.a, s)
        r = compare.compare(self.a, self.b)
        self.assertFalse(r["identical"])
        self.assertEqual(r["first_difference"]["name"], "state.pt.model.w")
        self.assertAlmostEqual(r["max_abs_diff"], 1e-3, places=6)
        self.assertFalse(r["within_tolerance"])
        self.assertTrue(compare.compare(self.a, self.b, tolerance=1e-2)["within_tolerance"])

    def test_differences_no_tolerance_covers(self) -> None:
        s = self.state()
        self.save(self.b, s)
        s["step"] = 8
        self.save(self.a, s)
        r = compare.compare(self.a, self.b, tolerance=1.0)
        self.assertEqual(r["first_difference"]["name"], "state.pt.step")
        self.assertFalse(r["within_tolerance"])
        self.save(self.a, self.state(), extra=b"y")
        self.save(self.b, self.state())
        r = compare.compare(self.a, self.b, tolerance=1.0)
        self.assertEqual((r["first_difference"]["name"], r["within_tolerance"]), ("notes.bin", False))
        os.remove(os.path.join(self.a, "notes.bin"))
        self.assertEqual(compare.compare(self.a, self.b)["first_difference"]["reason"], "only in the recorded checkpoint")

    def test_shapes_and_nan(self) -> None:
        s = self.state()
        s["model"]["b"] = torch.tensor([float("nan")])
        self.save(self.a, s)
        self.save(self.b, s)
        self.assertTrue(compare.compare(self.a, self.b)["identical"], "NaN bits equal NaN bits")
        s["model"]["b"] = torch.zeros(2)
        self.save(self.a, s)
        r = compare.compare(self.a, self.b)
        self.assertIn("recorded torch.float32 (1,)", r["first_difference"]["reason"])


@unittest.skipIf(torch is None, "needs torch: make test installs Debian's python3-torch")
class DeterminismTest(unittest.TestCase):
    def test_apply(self) -> None:
        before = (torch.are_deterministic_algorithms_enabled(), torch.get_num_threads())
        self.addCleanup(lambda: (torch.use_deterministic_algorithms(before[0]), torch.set_num_threads(before[1])))
        self.assertFalse(determinism.apply({}))
        self.assertTrue(determinism.apply({"DXTRAIN_DETERMINISTIC": "1", "OMP_NUM_THREADS": "1"}))
        self.assertTrue(torch.are_deterministic_algorithms_enabled())
        self.assertEqual(torch.get_num_threads(), 1)


if __name__ == "__main__":
    unittest.main()
