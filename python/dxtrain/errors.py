"""The one exception type the dxtrain package raises on purpose."""

from __future__ import annotations


class DxtrainError(Exception):
    """A dxtrain operation failed: a refused request, a corrupt shard, a bad
    argument the agent would refuse anyway.

    Messages name what failed and where (the file, the op, the field) and
    never carry data values: the records are patient data, and a message may
    end up in a log that leaves the node.
    """
