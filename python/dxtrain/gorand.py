"""Go's math/rand/v2 PCG source and Rand.Perm, bit for bit.

The Go agent and its loader (datasets/shards) define every epoch's record
order with rand.New(rand.NewPCG(seed, stream)).Perm(n). A rank reading the
same dataset from Python must produce exactly the same order, so this is a
transcription of Go 1.26's pcg.go and rand.go (the 64-bit code path), not a
PCG written from the paper: any deviation would silently give ranks
different, overlapping parts of an epoch.
"""

from __future__ import annotations

from typing import List

_MASK64 = (1 << 64) - 1
_MASK128 = (1 << 128) - 1

# The 128-bit LCG multiplier and increment, as hi/lo halves in pcg.go.
_MUL = (2549297995355413924 << 64) | 4865540595714422341
_INC = (6364136223846793005 << 64) | 1442695040888963407
_CHEAP_MUL = 0xDA942042E4DD58B5


class PCG:
    """Go's rand.PCG: a 128-bit LCG with the DXSM output function."""

    __slots__ = ("_state",)

    def __init__(self, seed1: int, seed2: int) -> None:
        if not (0 <= seed1 <= _MASK64 and 0 <= seed2 <= _MASK64):
            raise ValueError("PCG seeds must be uint64 values")
        self._state = (seed1 << 64) | seed2

    def uint64(self) -> int:
        """The next value, as PCG.Uint64 returns it."""
        state = (self._state * _MUL + _INC) & _MASK128
        self._state = state
        hi, lo = state >> 64, state & _MASK64
        hi ^= hi >> 32
        hi = (hi * _CHEAP_MUL) & _MASK64
        hi ^= hi >> 48
        return (hi * (lo | 1)) & _MASK64


class Rand:
    """The part of Go's rand.Rand the loader's order uses."""

    __slots__ = ("_src",)

    def __init__(self, src: PCG) -> None:
        self._src = src

    def uint64n(self, n: int) -> int:
        """A uniform value in [0, n), with Go's Lemire reduction and its
        exact rejection rule, so that the number of draws matches too."""
        if n & (n - 1) == 0:
            return self._src.uint64() & (n - 1)
        product = self._src.uint64() * n
        if product & _MASK64 < n:
            thresh = (-n & _MASK64) % n
            while product & _MASK64 < thresh:
                product = self._src.uint64() * n
        return product >> 64

    def perm(self, n: int) -> List[int]:
        """Rand.Perm(n): Fisher-Yates from the top, as Rand.Shuffle does."""
        if n < 0:
            raise ValueError("perm of a negative length")
        p = list(range(n))
        for i in range(n - 1, 0, -1):
            j = self.uint64n(i + 1)
            p[i], p[j] = p[j], p[i]
        return p


def perm(seed: int, stream: int, n: int) -> List[int]:
    """rand.New(rand.NewPCG(seed, stream)).Perm(n)."""
    return Rand(PCG(seed, stream)).perm(n)
