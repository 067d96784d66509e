from __future__ import annotations

import json
import os
import tempfile
import unittest
from typing import List

import numpy as np

from dxtrain import Dataset, DxtrainError
from shardkit import row_dataset


def rows_of(ds: Dataset, **kw: object) -> List[List[int]]:
    """Each batch's rows, after checking its records are whole: the
    features and label of one record, in the promised dtypes and shapes."""
    out = []
    for x, y in ds.batches(**kw):  # type: ignore[arg-type]
        assert x.dtype == np.float32 and y.dtype == np.int64 and x.shape == (len(y), 3), (x.dtype, y.dtype, x.shape)
        r = x[:, 0].astype(np.int64)
        np.testing.assert_array_equal(y, r % 3)
        np.testing.assert_array_equal(x[:, 2], -x[:, 0])
        out.append(r.tolist())
    return out


class DatasetTest(unittest.TestCase):
    def setUp(self) -> None:
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name

    def test_schema(self) -> None:
        row_dataset(self.dir, 10, 4)
        ds = Dataset(self.dir)
        self.assertEqual((ds.kind, ds.feature_shape, ds.features), ("tabular", (3,), ["a", "b", "c"]))
        self.assertEqual(ds.classes, ["c0", "c1", "c2"])
        self.assertEqual((ds.stats.axis, ds.stats.mean, ds.stats.std), ("feature", [0.0] * 3, [1.0] * 3))
        self.assertEqual((ds.records("train"), ds.records("validation"), ds.records("test")), (10, 5, 0))

    def test_every_record_once_per_epoch(self) -> None:
        for n, per_shard in ((1, 1), (10, 4), (53, 3)):
            row_dataset(self.dir, n, per_shard)
            for world in (1, 2, 3, 5):
                for g in (1, 4, 7):
                    with self.subTest(n=n, world=world, batch=g):
                        seen: List[int] = []
                        per_rank = [rows_of(Dataset(self.dir, rank=r, world_size=world, seed=9),
                                            batch_size=g, epoch=2) for r in range(world)]
                        steps = -(-n // g)
                        for r, batches in enumerate(per_rank):
                            self.assertEqual(len(batches), steps, f"rank {r}")
                            seen += [row for b in batches for row in b]
                        self.assertEqual(sorted(seen), list(range(n)))
                        self.assertEqual(Dataset(self.dir).steps_per_epoch(g), steps)

    def test_ranks_interleave_the_single_rank_batches(self) -> None:
        # W ranks see exactly the global batches one rank sees, rank r at
        # positions r, r+W, …: a run resumed on another world size goes on.
        row_dataset(self.dir, 50, 4)
        whole = rows_of(Dataset(self.dir, seed=3), batch_size=8, epoch=1)
        self.assertEqual(len(whole[-1]), 2)  # a short last batch
        parts = [rows_of(Dataset(self.dir, rank=r, world_size=3, seed=3), batch_size=8, epoch=1) for r in range(3)]
        self.assertEqual(parts[2][-1], [])  # one record short of this rank: n = 0, yielded anyway
        for k, batch in enumerate(whole):
            for r in range(3):
                self.assertEqual(parts[r][k], batch[r::3])

    def test_order_is_deterministic_and_shuffled(self) -> None:
        row_dataset(self.dir, 60, 5)
        ds = Dataset(self.dir, rank=1, world_size=2, seed=11)
        a = rows_of(ds, batch_size=6, epoch=0)
        self.assertEqual(a, rows_of(Dataset(self.dir, rank=1, world_size=2, seed=11), batch_size=6, epoch=0))
        self.assertNotEqual(a, rows_of(ds, batch_size=6, epoch=1))
        self.assertNotEqual(a, rows_of(ds, batch_size=6, epoch=0, seed=12))
        self.assertEqual(a, rows_of(Dataset(self.dir, rank=1, world_size=2), batch_size=6, epoch=0, seed=11))
        flat = [r for b in a for r in b]
        self.assertNotEqual(flat, sorted(flat))
        # Shuffle windows bound how far records travel: with one window
        # holding every shard, the order differs from windows of one shard.
        self.assertNotEqual(rows_of(ds, batch_size=6, shuffle_window=1), rows_of(ds, batch_size=6, shuffle_window=12))

    def test_uncached_reads_match(self) -> None:
        row_dataset(self.dir, 40, 3)
        cached = rows_of(Dataset(self.dir, seed=5), batch_size=7, epoch=4)
        self.assertEqual(rows_of(Dataset(self.dir, seed=5, cache_bytes=0), batch_size=7, epoch=4), cached)

    def test_arrays_in_row_order(self) -> None:
        row_dataset(self.dir, 10, 4)
        x, y = Dataset(self.dir, rank=1, world_size=2).arrays("validation")
        self.assertEqual((x.shape, x.dtype, y.dtype), ((5, 3), np.float32, np.int64))
        np.testing.assert_array_equal(x[:, 0], 1000 + np.arange(5))
        x, y = Dataset(self.dir).arrays("test")
        self.assertEqual((x.shape, y.shape), ((0, 3), (0,)))
        self.assertEqual(list(Dataset(self.dir).batches("test", batch_size=4)), [])

    def test_bad_arguments_fail_at_the_call(self) -> None:
        row_dataset(self.dir, 10, 4)
        ds = Dataset(self.dir)
        for kw in ({"batch_size": 0}, {"batch_size": 2.0}, {"batch_size": 2, "epoch": -1},
                   {"batch_size": 2, "epoch": 1 << 31}, {"batch_size": 2, "shuffle_window": 0},
                   {"split": "training", "batch_size": 2}):
            with self.subTest(kw), self.assertRaises(ValueError):
                ds.batches(**kw)  # type: ignore[arg-type]
        with self.assertRaises(ValueError):
            Dataset(self.dir, rank=2, world_size=2)

    def test_corrupt_shard_is_named(self) -> None:
        hashes = row_dataset(self.dir, 10, 4)
        path = os.path.join(self.dir, "shards", hashes["train"][1] + ".safetensors")
        with open(path, "r+b") as f:
            f.seek(-1, os.SEEK_END)
            f.write(b"\x7f")
        with self.assertRaises(DxtrainError) as cm:
            Dataset(self.dir).arrays("train")
        msg = str(cm.exception)
        self.assertIn("split train shard 1", msg)
        self.assertIn(hashes["train"][1], msg)
        self.assertIn("does not hash to its name", msg)
        os.remove(path)
        with self.assertRaisesRegex(DxtrainError, "split train shard 1 .*cannot read"):
            list(Dataset(self.dir).batches(batch_size=10))

    def test_shard_not_matching_manifest(self) -> None:
        row_dataset(self.dir, 10, 4)
        mpath = os.path.join(self.dir, "manifest.json")
        with open(mpath) as f:
            m = json.load(f)
        # Same file, but the manifest says its first record has another class.
        m["split"]["train"]["shards"][0]["label_counts"] = [1, 2, 1]
        with open(mpath, "w") as f:
            json.dump(m, f)
        with self.assertRaisesRegex(DxtrainError, "split train shard 0 .*label counts"):
            Dataset(self.dir).arrays("train")

    def test_bad_manifest(self) -> None:
        with self.assertRaisesRegex(DxtrainError, "manifest.json"):
            Dataset(self.dir)
        row_dataset(self.dir, 10, 4)
        mpath = os.path.join(self.dir, "manifest.json")
        with open(mpath) as f:
            m = json.load(f)
        m["split"]["train"]["shards"][1]["sha256"] = "../../etc/passwd"
        with open(mpath, "w") as f:
            json.dump(m, f)
        with self.assertRaisesRegex(DxtrainError, "split train shard 1: sha256"):
            Dataset(self.dir)


if __name__ == "__main__":
    unittest.main()
