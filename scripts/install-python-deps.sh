#!/usr/bin/env bash
# The torch runtime's tests run researchers' PyTorch code on the CPU with gloo, and the
# Python side of dxtrain needs numpy, and models/onnx's TestONNXChecker runs the reference
# onnx.checker on exported models, and datasets/dicom reads pydicom's DICOM test files:
# all come from Debian (python3-torch, python3-numpy, python3-onnx, python3-pydicom)
# under /usr/bin/python3, which may not be the first python3 on PATH.
# Installed once, through the package manager; nothing is downloaded otherwise.
set -euo pipefail
py=/usr/bin/python3
if "$py" -c 'import torch, numpy, onnx.checker, pydicom.data' 2>/dev/null; then
  exit 0
fi
pkgs="python3 python3-torch python3-numpy python3-onnx python3-pydicom"
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "the torch runtime's tests and the ONNX checker test need Debian's $pkgs under $py: run as root: apt-get install -y $pkgs" >&2
  exit 1
fi
echo "installing Debian's $pkgs (once: the torch runtime's tests train real PyTorch code on the CPU; onnx.checker checks exported models)" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
"$py" -c 'import torch, numpy, onnx.checker; print("torch", torch.__version__, "numpy", numpy.__version__, "onnx", onnx.__version__)' >&2
