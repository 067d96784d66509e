#!/usr/bin/env bash
# The main job, end to end: start the embedded cluster (`dxtrain dev`: a coordinator,
# two worker agents, a local object store), submit the WDBC MLP experiment, follow it,
# export the final checkpoint to ONNX checked against ONNX Runtime, replay the retained
# checkpoints as a validator would, and predict a few biopsies with the model.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=.dxtrain/demo
addr=127.0.0.1:${DXTRAIN_DEMO_PORT:-4646}
rm -rf "$dir"
mkdir -p "$dir"
bin/dxtrain dev --data-dir "$dir" --http-addr "$addr" >"$dir/dev.log" 2>&1 &
dev=$!
trap 'kill $dev 2>/dev/null; wait $dev 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$dir/env" ] && break; sleep 0.1; done
[ -s "$dir/env" ] || { echo "dxtrain dev did not start; see $dir/dev.log" >&2; cat "$dir/dev.log" >&2; exit 1; }
# DXTRAIN_ADDR, DXTRAIN_TOKEN, the user's certificate from the dev cluster's own CA,
# and DXTRAIN_STORE_KEK_FILE, the key the object store is encrypted under.
. "$dir/env"
echo "== embedded cluster up (log: $dir/dev.log)"
bin/dxtrain status | sed -n 's/^tls: /== transport security: /p'
echo "== encryption at rest: on (object store $dir/store, key-encryption key $dir/store.kek, $(sed -n 's/.*kek \([0-9a-f]*\)).*/kek id \1/p' "$dir/dev.log" | head -1))"
bin/dxtrain nodes ls
echo
echo "== dxtrain run experiments/wdbc-mlp.yaml"
bin/dxtrain run experiments/wdbc-mlp.yaml --export "$dir/model" --store "file://$PWD/$dir/store" | tee "$dir/run.log"
id=$(sed -n 's/^experiment \([0-9a-f-]*\) succeeded.*/\1/p' "$dir/run.log")
echo
echo "== the validator: replay every retained checkpoint of the run, bit for bit"
bin/dxtrain checkpoints ls "$id"
bin/dxtrain checkpoints replay "$id" --all --store "file://$PWD/$dir/store"
echo
echo "== predictions for datasets/testdata/wdbc-sample.csv through ONNX Runtime (true diagnosis in the file's last column)"
bin/dxtrain predict --model "$dir/model/model.onnx" --input datasets/testdata/wdbc-sample.csv
