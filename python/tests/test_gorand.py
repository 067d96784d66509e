"""The Go rand/v2 transcription against values printed by Go 1.26 itself
(a throwaway program calling rand.NewPCG, Uint64, Uint64N and Perm)."""

from __future__ import annotations

import unittest

from dxtrain.gorand import PCG, Rand, perm


class GoRandTest(unittest.TestCase):
    def test_pcg_uint64(self) -> None:
        p = PCG(1, 2)
        self.assertEqual([p.uint64() for _ in range(4)],
                         [14192431797130687760, 11371241257079532652, 14470142590855381128, 14694613213362438554])
        p = PCG(18446744073709551557, 7 << 32 | 3)
        self.assertEqual([p.uint64() for _ in range(3)],
                         [1161873128665855878, 5196090307213359749, 17468489969276854425])

    def test_uint64n(self) -> None:
        # n = 2^63+1 rejects about half the draws: the retry loop must
        # consume the same draws as Go's.
        r = Rand(PCG(5, 6))
        ns = [(1 << 63) + 1] * 4 + [3, 1 << 40, (1 << 64) - 1]
        self.assertEqual([r.uint64n(n) for n in ns],
                         [4899435374594806361, 6800093336010973575, 3928017732211277347, 8203537509303795731,
                          1, 544653209305, 1432865255312352209])

    def test_perm(self) -> None:
        cases = [
            (0, 0, 0, []),
            (0, 0, 1, [0]),
            (0, 0, 10, [4, 5, 8, 1, 0, 9, 7, 3, 6, 2]),
            (9, 1 << 32, 16, [11, 5, 4, 7, 13, 6, 0, 10, 8, 14, 15, 12, 2, 9, 1, 3]),
            (42, 2 << 32 | 5, 23, [17, 3, 4, 7, 14, 10, 20, 22, 1, 13, 18, 6, 9, 19, 5, 15, 12, 8, 0, 21, 16, 11, 2]),
            (18446744073709551557, 0, 7, [3, 5, 6, 1, 4, 0, 2]),
        ]
        for s1, s2, n, want in cases:
            with self.subTest(seed=s1, stream=s2, n=n):
                self.assertEqual(perm(s1, s2, n), want)
        p = perm(3, 4, 1000)
        self.assertEqual(sum(i * v for i, v in enumerate(p)), 246728266)
        self.assertEqual(p[:5] + p[995:], [503, 282, 77, 689, 997, 931, 609, 464, 913, 881])

    def test_bad_seed(self) -> None:
        with self.assertRaises(ValueError):
            PCG(1 << 64, 0)
        with self.assertRaises(ValueError):
            PCG(0, -1)


if __name__ == "__main__":
    unittest.main()
