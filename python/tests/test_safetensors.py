from __future__ import annotations

import struct
import unittest

import numpy as np

from dxtrain import DxtrainError
from dxtrain.safetensors import decode
from shardkit import encode


class DecodeTest(unittest.TestCase):
    def test_round_trip(self) -> None:
        x = np.arange(12, dtype="<f4").reshape(4, 3) / 7
        ids = np.array([-1, 2**40, 3], dtype="<i8")
        empty = np.zeros((0, 5), dtype="<f4")
        t = decode(encode({"x": x, "ids": ids, "empty": empty}, {"format": "f"}), "f.safetensors")
        self.assertEqual(sorted(t), ["empty", "ids", "x"])
        np.testing.assert_array_equal(t["x"], x)
        np.testing.assert_array_equal(t["ids"], ids)
        self.assertEqual(t["empty"].shape, (0, 5))
        self.assertEqual(t["x"].dtype, np.dtype("<f4"))

    def test_refuses(self) -> None:
        good = encode({"x": np.zeros(4, "<f4")}, {})
        (n,) = struct.unpack("<Q", good[:8])
        head = good[8:8 + n]
        bad = {
            "short": b"\x01\x00",
            "header past the end": struct.pack("<Q", len(good)) + good[8:],
            "truncated data": good[:-1],
            "trailing data": good + b"\0\0\0\0",
            "not json": struct.pack("<Q", 8) + b"{nope}  ",
            "unknown dtype": good[:8] + head.replace(b'"F32"', b'"F33"') + good[8 + n:],
            "wrong size": good[:8] + head.replace(b'"shape":[4]', b'"shape":[5]') + good[8 + n:],
            "duplicate key": _with_header(b'{"x":{"data_offsets":[0,0],"dtype":"F32","shape":[0]},'
                                          b'"x":{"data_offsets":[0,0],"dtype":"F32","shape":[0]}}'),
            "overlap": _with_header(b'{"a":{"data_offsets":[0,4],"dtype":"F32","shape":[1]},'
                                    b'"b":{"data_offsets":[0,4],"dtype":"F32","shape":[1]}}', b"\0" * 4),
        }
        for name, data in bad.items():
            with self.subTest(name), self.assertRaises(DxtrainError) as cm:
                decode(data, "where.safetensors")
            self.assertIn("where.safetensors", str(cm.exception))


def _with_header(head: bytes, data: bytes = b"") -> bytes:
    head += b" " * (-len(head) % 8)
    return struct.pack("<Q", len(head)) + head + data


if __name__ == "__main__":
    unittest.main()
