"""The epoch order of a split, as datasets/shards defines it (Loader's doc
comment, steps 1-5; order.go).

Every rank computes the same order from (seed, epoch, shuffle window) alone
and takes its own positions of each global batch, so the ranks' parts are
disjoint and cover the split once per epoch, and a run resumed on another
world size continues the same sequence. Go's own loader and this module
must agree record for record; datasets/shards/python_order_test.go checks
that they do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Sequence

import numpy as np
from numpy.typing import NDArray

from .gorand import perm

DEFAULT_SHUFFLE_WINDOW = 4


def stream(epoch: int, draw: int) -> int:
    """The PCG stream of the epoch's draw (0: shard order; w+1: window w)."""
    return (epoch << 32) | (draw & 0xFFFFFFFF)


@dataclass(frozen=True)
class Window:
    """Consecutive shards of the epoch's shard order, shuffled together."""

    index: int
    shards: List[int]  # shard indices, in the epoch's shard order
    offset: int  # position of the window's first record in the epoch
    records: int


def check_epoch(epoch: int) -> None:
    if not 0 <= epoch < 1 << 31:
        raise ValueError(f"epoch {epoch} out of [0, 2^31)")


def windows(counts: Sequence[int], seed: int, epoch: int, window: int) -> List[Window]:
    """Step 1 and 2's cut: the shard order σ = Perm(K) on stream (epoch, 0),
    cut into windows of `window` consecutive shards."""
    check_epoch(epoch)
    order = perm(seed, stream(epoch, 0), len(counts))
    out: List[Window] = []
    offset = 0
    for first in range(0, len(order), window):
        shards = order[first:first + window]
        records = sum(counts[s] for s in shards)
        out.append(Window(len(out), shards, offset, records))
        offset += records
    return out


def window_perm(seed: int, epoch: int, w: Window) -> NDArray[np.int64]:
    """Step 2's shuffle: entry j is the index, within the concatenation of
    the window's shards in σ order, of the record at position offset+j."""
    return np.asarray(perm(seed, stream(epoch, w.index + 1), w.records), dtype=np.int64)


def steps(records: int, batch_size: int) -> int:
    """Step 4: ⌈N/G⌉ global batches per epoch."""
    return -(-records // batch_size)


def rank_positions(lo: int, hi: int, batch_size: int, rank: int, world: int) -> NDArray[np.int64]:
    """Step 5 over the epoch positions [lo, hi): those rank takes, i.e.
    positions r, r+W, … of each global batch. Returned ascending."""
    pos: NDArray[np.int64] = np.arange(lo, hi, dtype=np.int64)
    mine: NDArray[np.int64] = pos[(pos % batch_size) % world == rank]
    return mine
