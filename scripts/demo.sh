#!/usr/bin/env bash
# The main job, end to end on one machine: train the WDBC MLP, checkpoint it, export
# it to ONNX, check it against ONNX Runtime, then predict a few biopsies with it.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=.dxtrain/demo
rm -rf "$dir"
bin/dxtrain train experiments/wdbc-mlp.yaml --data-dir "$dir"
echo
echo "predictions for datasets/testdata/wdbc-sample.csv through ONNX Runtime (true diagnosis in the file):"
bin/dxtrain predict --model "$dir/runs/wdbc-mlp/model.onnx" --input datasets/testdata/wdbc-sample.csv
