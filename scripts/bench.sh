#!/usr/bin/env bash
# Benchmarks with ratios against the peers measured in the same run.
# The peers need Debian's python3-torch and python3-numpy; this script installs them
# when it can (root with apt-get) and says so when it cannot.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${DXTRAIN_SHARED:-../shared}

# Debian's numpy and torch link libblas.so.3: without OpenBLAS installed that is the slow
# reference BLAS, which would make the peers look 30x slower than they are.
if ! /usr/bin/python3 -c 'import torch, numpy' 2>/dev/null || ! dpkg -s libopenblas0-pthread >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing the peers' packages: python3-torch python3-numpy libopenblas0-pthread"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch python3-numpy libopenblas0-pthread >/dev/null
  else
    echo "note: python3-torch, python3-numpy or libopenblas0-pthread is missing; the peer figures will be empty or wrong (apt-get install -y python3-torch python3-numpy libopenblas0-pthread)"
  fi
fi

# The end-to-end benchmark trains on Fashion-MNIST from Debian's package.
if [ ! -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Fashion-MNIST: dataset-fashion-mnist"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null
  else
    echo "note: dataset-fashion-mnist is missing; the real-data figures will fail (apt-get install -y dataset-fashion-mnist)"
  fi
fi

echo "== end-to-end training on real data (dxtrain train's code path vs PyTorch, each in its best thread settings)"
go run ./bench/realdata "$@"
echo
echo "== training step, batch 128, 2 threads, on random, learnable synthetic and real batches (dxtrain vs PyTorch CPU)"
go run ./bench/throughput
if [ -d bench/sgemm ]; then
  echo
  echo "== SGEMM (dxtrain kernels vs OpenBLAS through numpy)"
  go run ./bench/sgemm -reference "$shared/bench/gemm_reference.py" -rounds 3
fi
if [ -d bench/allreduce ]; then
  echo
  echo "== all-reduce bus bandwidth (dxtrain ring vs PyTorch gloo, loopback)"
  go run ./bench/allreduce -gloo-script "$shared/bench/gloo_allreduce.py" --rounds 3
fi
echo
echo "== data-parallel step time: compute vs all-reduce (MLP 784-256-128-10, global batch 128)"
go run ./bench/dataparallel
echo
echo "== torch runtime: the same PyTorch script under dxtrain vs bare torchrun-style ranks (2 ranks, gloo)"
go run ./bench/torchrun -bin bin/dxtrain
echo
echo "== validator: a torch run's evaluation through ONNX Runtime vs PyTorch's own inference (lesion ResNet, 28x28 images)"
go run ./bench/torcheval
echo
echo "== coordinator: failover, heartbeat load, submit latency (in-process cluster on loopback)"
DXTRAIN_BENCH=1 go test -count=1 -run TestReport -v ./coordinator/benchmark | grep -v '^=== RUN'
echo
echo "== scheduler: 1,000 agents x 8 GPUs, 20 projects, 10,000 gangs (in-process simulation, no training)"
go run ./bench/schedsim
