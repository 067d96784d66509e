#!/usr/bin/env bash
# Runs the SGEMM benchmark table (dxtrain vs OpenBLAS through numpy vs the fp32 peak).
# Idempotently installs what the OpenBLAS side needs first: Debian's numpy and OpenBLAS. Without
# libopenblas0-pthread, numpy (and Debian's torch) fall back to the reference BLAS (libblas3),
# which is some 30x slower and would make every ratio meaningless.
# Usage: scripts/bench-sgemm.sh [flags of go run ./bench/sgemm, e.g. -rounds 5 -threads 1,2]
set -euo pipefail
need=()
for pkg in python3-numpy libopenblas0-pthread; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need+=("$pkg")
done
if ((${#need[@]})); then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
cd "$(dirname "$0")/.."
exec go run ./bench/sgemm "$@"
