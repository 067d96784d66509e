"""A dataset directory as the agent lays it out: manifest.json plus
shards/<sha256>.safetensors, read in the Go loader's order."""

from __future__ import annotations

import os
from typing import Dict, Iterator, List, Optional, Tuple

import numpy as np
from numpy.typing import NDArray

from . import order
from .manifest import SPLITS, FeatureStats, Manifest, ShardRef, load, shard_path
from .shard import Shard, read
from .validate import count

# Like the Go loader: a split whose shards total at most this many bytes
# is kept decoded across epochs; a larger one is read window by window.
DEFAULT_CACHE_BYTES = 512 << 20

Batch = Tuple[NDArray[np.float32], NDArray[np.int64]]


class Dataset:
    """One rank's view of a dataset: its schema and its part of every
    epoch (see batches)."""

    def __init__(self, directory: str, *, rank: int = 0, world_size: int = 1, seed: int = 0,
                 cache_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        world_size, rank, seed = count(world_size, "world size", 1), count(rank, "rank"), count(seed, "seed")
        if rank >= world_size:
            raise ValueError(f"rank {rank} is outside world size {world_size}")
        if seed >= 1 << 64:
            raise ValueError("seed does not fit a uint64")
        self.dir = os.path.abspath(directory)
        self.rank, self.world_size, self.seed = rank, world_size, seed
        self._m: Manifest = load(os.path.join(self.dir, "manifest.json"))
        self._cache_bytes = cache_bytes
        self._cache: Dict[Tuple[str, int], Shard] = {}

    @property
    def kind(self) -> str:
        """Either "tabular" or "image"."""
        return self._m.kind

    @property
    def feature_shape(self) -> Tuple[int, ...]:
        """One record's feature shape: (F,) tabular, (C, H, W) images."""
        return self._m.feature_shape

    @property
    def features(self) -> List[str]:
        """The tabular feature names, in column order (empty for images)."""
        return list(self._m.features)

    @property
    def classes(self) -> List[str]:
        """Class names; label i means classes[i]."""
        return list(self._m.classes)

    @property
    def stats(self) -> FeatureStats:
        return self._m.stats

    def records(self, split: str = "train") -> int:
        return sum(s.records for s in self._part(split))

    def steps_per_epoch(self, batch_size: int, split: str = "train") -> int:
        """How many batches batches() yields per epoch, the same on every rank."""
        return order.steps(self.records(split), _check_batch(batch_size))

    def batches(self, split: str = "train", *, batch_size: int, epoch: int = 0, seed: Optional[int] = None,
                shuffle_window: int = order.DEFAULT_SHUFFLE_WINDOW) -> Iterator[Batch]:
        """Yields this rank's (x, y) for every step of the epoch: x float32
        [n, *feature_shape], y int64 [n].

        batch_size is the global batch G (all ranks together); this rank
        gets about G/world_size records a step. The order is the Go loader's
        (datasets/shards Loader): the same records, in the same order, for
        the same (seed, epoch, shuffle_window, G, rank, world). Every rank
        yields steps_per_epoch(G) batches; in the last step some ranks may
        get n = 0 and must still take the step (weight by n in the
        all-reduce), or the collectives of the ranks fall out of step.
        """
        batch_size = _check_batch(batch_size)
        shuffle_window = count(shuffle_window, "shuffle window", 1)
        epoch = count(epoch, "epoch")
        seed = self.seed if seed is None else count(seed, "seed")
        refs = self._part(split)
        # Checked here, not in the generator, so bad arguments fail at the call.
        order.check_epoch(epoch)
        return self._epoch(split, refs, batch_size, epoch, seed, shuffle_window)

    def _epoch(self, split: str, refs: List[ShardRef], batch_size: int, epoch: int, seed: int,
               shuffle_window: int) -> Iterator[Batch]:
        plan = order.windows([s.records for s in refs], seed, epoch, shuffle_window)
        total = sum(s.records for s in refs)
        px, py = self._empty()
        pk = np.zeros(0, dtype=np.int64)
        k = 0
        for w in plan:
            pos = order.rank_positions(w.offset, w.offset + w.records, batch_size, self.rank, self.world_size)
            if len(pos):
                idx = order.window_perm(seed, epoch, w)[pos - w.offset]
                x, y = self._gather(split, refs, w.shards, idx)
                px, py, pk = np.concatenate([px, x]), np.concatenate([py, y]), np.concatenate([pk, pos // batch_size])
            # Batches that end by the window's end are complete.
            while k < (w.offset + w.records) // batch_size:
                (bx, by), (px, py, pk) = _pop(px, py, pk, k)
                yield bx, by
                k += 1
            self._evict(split, refs)
        while k < order.steps(total, batch_size):
            (bx, by), (px, py, pk) = _pop(px, py, pk, k)
            yield bx, by
            k += 1

    def arrays(self, split: str) -> Batch:
        """The whole split in row (manifest) order, for evaluation: the same
        on every rank."""
        refs = self._part(split)
        px, py = self._empty()
        xs, ys = [px], [py]
        for i in range(len(refs)):
            s = self._shard(split, refs, i)
            xs.append(s.x)
            ys.append(s.y.astype(np.int64))
        self._evict(split, refs)
        return np.concatenate(xs), np.concatenate(ys)

    def _part(self, split: str) -> List[ShardRef]:
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r} (want train, validation or test)")
        return self._m.parts[split]

    def _empty(self) -> Batch:
        return np.zeros((0,) + self.feature_shape, dtype=np.float32), np.zeros(0, dtype=np.int64)

    def _shard(self, split: str, refs: List[ShardRef], i: int) -> Shard:
        s = self._cache.get((split, i))
        if s is None:
            ref = refs[i]
            s = read(shard_path(self.dir, ref.sha256), ref, self.feature_shape, len(self._m.classes),
                     f"split {split} shard {i} ({ref.sha256})")
            self._cache[(split, i)] = s
        return s

    def _evict(self, split: str, refs: List[ShardRef]) -> None:
        """Drops the split's decoded shards unless the whole split fits the
        cache, so that memory holds about one window at a time."""
        if sum(r.size for r in refs) > self._cache_bytes:
            for i in range(len(refs)):
                self._cache.pop((split, i), None)

    def _gather(self, split: str, refs: List[ShardRef], shards: List[int], idx: NDArray[np.int64]) -> Batch:
        """The records at indices idx of the concatenation of shards."""
        counts = [refs[s].records for s in shards]
        cum = np.cumsum([0] + counts)
        which = np.searchsorted(cum, idx, side="right") - 1
        x = np.empty((len(idx),) + self.feature_shape, dtype=np.float32)
        y = np.empty(len(idx), dtype=np.int64)
        for i, s in enumerate(shards):
            m = which == i
            if m.any():
                sh = self._shard(split, refs, s)
                j = idx[m] - cum[i]
                x[m] = sh.x[j]
                y[m] = sh.y[j]
        return x, y


def _pop(px: NDArray[np.float32], py: NDArray[np.int64], pk: NDArray[np.int64],
         k: int) -> Tuple[Batch, Tuple[NDArray[np.float32], NDArray[np.int64], NDArray[np.int64]]]:
    """Splits batch k (the leading entries of pk equal to k) off the
    pending records."""
    n = int(np.searchsorted(pk, k, side="right"))
    return (px[:n], py[:n]), (px[n:], py[n:], pk[n:])


def _check_batch(batch_size: int) -> int:
    return count(batch_size, "batch size", 1)
