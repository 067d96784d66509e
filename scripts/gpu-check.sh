#!/usr/bin/env bash
# GPU check of the torch runtime (issue 13), for a machine with an NVIDIA GPU and no
# network: `dxtrain dev` with the real NVML collector (--devices auto), the example
# lesion ResNet (examples/torch/lesions_resnet) trained on one GPU with NCCL's device
# placement, exported to ONNX and checked in ONNX Runtime, then the same script bare
# against under dxtrain on that GPU. It prints what it measured; about 3-4 minutes.
#
# Needs, prebuilt (no Go there): bin/dxtrain and bin/bench-torchrun
#   make build && go build -o bin/bench-torchrun ./bench/torchrun
# a python3 with CUDA torch and numpy ($PYTHON), and the ONNX Runtime library
# ($DXTRAIN_ONNXRUNTIME_LIB, or the cache `make onnxruntime` fills).
# GPU_CHECK_DEVICE=cpu runs the same flow on the CPU, to try the script without a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${DXTRAIN_BIN:-bin/dxtrain}
bench=${DXTRAIN_BENCH_BIN:-bin/bench-torchrun}
py=$(command -v "${PYTHON:-python3}")
device=${GPU_CHECK_DEVICE:-gpu}
rows=${GPU_CHECK_ROWS:-20000}
epochs=${GPU_CHECK_EPOCHS:-10}
work=$(mktemp -d)
dev_pid="" smi_pid=""
cleanup() {
  [ -n "$smi_pid" ] && kill "$smi_pid" 2>/dev/null
  [ -n "$dev_pid" ] && kill "$dev_pid" 2>/dev/null
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== machine"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,uuid,driver_version,memory.total --format=csv,noheader
else
  echo "nvidia-smi: not found"
fi
"$py" -c 'import torch, numpy; print("python", __import__("sys").version.split()[0], "torch", torch.__version__, "numpy", numpy.__version__, "cuda available", torch.cuda.is_available(), "nccl", torch.cuda.nccl.version() if torch.cuda.is_available() else "-")'

devices=auto
[ "$device" = cpu ] && devices=cpu
port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" dev --data-dir "$work/dev" --agents 1 --devices "$devices" --http-addr "127.0.0.1:$port" --python "$py" >"$work/dev.log" 2>&1 &
dev_pid=$!
for _ in $(seq 300); do [ -s "$work/dev/token" ] && break; sleep 0.1; done
export DXTRAIN_ADDR=http://127.0.0.1:$port DXTRAIN_TOKEN=$(cat "$work/dev/token") DXTRAIN_STORE=file://$work/dev/store
sleep 1
echo
echo "== the agent's devices, as NVML reported them"
"$bin" nodes ls
"$bin" nodes show dev-agent-1 || true

echo
echo "== dataset: $rows synthetic lesion images"
"$bin" datasets synth --images --out "$work/lesions" --rows "$rows" >/dev/null
"$bin" datasets ingest "$work/lesions/lesions-ingest.yaml" | tail -4

cat >"$work/lesions-gpu.yaml" <<SPEC
name: lesions-gpu-check
runtime: torch
code:
  path: $PWD/examples/torch/lesions_resnet
  entrypoint: train.py
  args: ["--epochs", "$epochs", "--batch-size", "256", "--lr", "0.004", "--checkpoint-every", "100"]
dataset:
  id: lesions
workers: {min: 1, max: 1, device: $device, devices_per_worker: 1}
seed: 42
max_restarts: 0
checkpoint:
  keep_last: 3
SPEC

echo
echo "== training on $device under dxtrain (dxtrain run --export)"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=utilization.gpu,memory.used,temperature.gpu,power.draw --format=csv,noheader,nounits -l 1 >"$work/smi.csv" 2>/dev/null &
  smi_pid=$!
fi
start=$(date +%s.%N)
"$bin" run "$work/lesions-gpu.yaml" --export "$work/model" | tee "$work/run.log"
end=$(date +%s.%N)
[ -n "$smi_pid" ] && { kill "$smi_pid" 2>/dev/null || true; smi_pid=""; }
id=$(awk '/ submitted /{print $2; exit}' "$work/run.log")

echo
echo "== figures"
"$bin" experiments show "$id" --json >"$work/exp.json"
"$py" - "$work/exp.json" "$start" "$end" "$work/smi.csv" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1])); e = doc["experiment"]; start, end = float(sys.argv[2]), float(sys.argv[3])
series = e.get("series") or []
first = next((p for p in series if p["step"] == 1), None)
steps = [p["metrics"]["step_time_ms"] for p in series if p["step"] > 1 and "step_time_ms" in p["metrics"]]
rates = [p["metrics"]["samples_per_sec"] for p in series if p["step"] > 1 and "samples_per_sec" in p["metrics"]]
m = e["progress"]["metrics"]
print(f"status {e['status']}, {len(doc['attempts'])} attempt(s), {e['progress']['step']} steps")
print(f"test accuracy {m.get('test_accuracy', float('nan')):.4f}  test AUROC {m.get('test_auroc', float('nan')):.4f}")
if steps:
    s = sorted(steps)
    print(f"step time {s[len(s)//2]:.2f} ms median of {len(s)} windows; {sorted(rates)[len(rates)//2]:.0f} samples/s")
print(f"train_seconds {m.get('train_seconds', float('nan')):.2f} s; whole run (submit to end) {end - start:.1f} s")
if first:
    print(f"submit -> first step {first['reported_at'] / 1e9 - start:.2f} s")
for a in e.get("artifacts") or []:
    print(f"ONNX {a['name']} {a['size']} bytes, ONNX Runtime vs PyTorch max |diff| {a['max_abs_diff']:.2e}")
try:
    rows = [[float(x) for x in l.split(",")] for l in open(sys.argv[4]) if l.strip()]
    if rows:
        print(f"nvidia-smi during the run: GPU utilisation max {max(r[0] for r in rows):.0f}%, memory max {max(r[1] for r in rows):.0f} MiB, "
              f"temperature max {max(r[2] for r in rows):.0f} C, power max {max(r[3] for r in rows):.0f} W")
except (OSError, ValueError, IndexError):
    pass
PY
"$bin" checkpoints ls "$id"
"$bin" checkpoints verify "$id" | tail -2

if [ -x "$bench" ]; then
  echo
  echo "== the same script bare vs under dxtrain on this $device (bench/torchrun)"
  kill "$dev_pid" 2>/dev/null; wait "$dev_pid" 2>/dev/null || true; dev_pid=""
  "$bench" -bin "$bin" -python "$py" -device "$device" -world 1 -rows "$rows" -epochs 6 -rounds 1 2>&1 | grep -v '^rank \|^test_loss'
fi
