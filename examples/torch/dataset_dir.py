#!/usr/bin/env python3
"""Lay out a dataset from a local file store as the dataset directory a rank reads.

Under dxtrain the agent fetches and verifies a dataset's shards itself and hands the
rank a directory holding manifest.json and shards/<sha256>.safetensors (see
python/PROTOCOL.md). To run an example standalone, without an agent, that directory
has to be made by hand from a store that `dxtrain datasets ingest --local --store
file:///STORE` wrote; this script does it, hashing every file it copies so a
corrupted store is caught here rather than as a wrong accuracy later.

    python3 dataset_dir.py /tmp/st lesions /tmp/lesions-dir
    DXTRAIN_DATASET_DIR=/tmp/lesions-dir python3 lesions_resnet/train.py

Standard library only: it runs before torch is installed.
"""

import argparse
import hashlib
import json
import os
import shutil
import sys


def blob_path(store, sha):
    """The file store keeps content-addressed blobs at blobs/sha256/<first two>/<sha>."""
    return os.path.join(store, "blobs", "sha256", sha[:2], sha)


def copy_verified(src, dst, sha):
    h = hashlib.sha256()
    with open(src, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    if h.hexdigest() != sha:
        sys.exit(f"{src}: content hashes to {h.hexdigest()}, not {sha}")
    shutil.copyfile(src, dst)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("store", help="directory of a file:// store (the path after file://)")
    ap.add_argument("name", help="dataset name, as registered with --local")
    ap.add_argument("out", help="directory to create")
    args = ap.parse_args()

    with open(os.path.join(args.store, "datasets", args.name + ".json")) as f:
        manifest_sha = json.load(f)["manifest_sha256"]
    os.makedirs(os.path.join(args.out, "shards"), exist_ok=True)
    copy_verified(blob_path(args.store, manifest_sha), os.path.join(args.out, "manifest.json"), manifest_sha)
    with open(os.path.join(args.out, "manifest.json")) as f:
        manifest = json.load(f)
    n = 0
    for part in ("train", "validation", "test"):
        for shard in manifest["split"][part]["shards"]:
            sha = shard["sha256"]
            copy_verified(blob_path(args.store, sha), os.path.join(args.out, "shards", sha + ".safetensors"), sha)
            n += 1
    print(f"dataset {args.name} (manifest {manifest_sha[:12]}…): manifest.json and {n} shards in {args.out}")


if __name__ == "__main__":
    main()
