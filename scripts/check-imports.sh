#!/usr/bin/env bash
# Enforces the import directions ARCHITECTURE.md lists, with `go list -deps`.
set -euo pipefail
cd "$(dirname "$0")/.."
mod=$(go list -m)
fail=0

deps() { go list -deps -f '{{.ImportPath}}' "$@" 2>/dev/null | sort -u; }

forbid() { # forbid PACKAGES-PATTERN REGEX WHY
  local bad
  bad=$(deps "$1" | grep -E "$2" || true)
  if [ -n "$bad" ]; then
    echo "import direction: $1 must not depend on: $(echo $bad)  ($3)"
    fail=1
  fi
}

forbid ./coordinator/... "^($mod/(trainer|models|kernels)|gorgonia.org/|github.com/NVIDIA/go-nvml|github.com/yalue/onnxruntime_go)" \
  "the coordinator holds metadata; training code stays on the workers"
for p in models datasets kernels storage experiments; do
  [ -d "$p" ] || continue
  forbid "./$p/..." "^$mod/(coordinator|trainer)" "$p sits below the coordinator and the trainer"
done
forbid ./trainer/runtime/... "^$mod/(coordinator|models|trainer/loop)" \
  "the torch runtime's launcher knows processes, bundles and the rank channel, not the control plane or the native engine"
forbid ./validator/... "^$mod/(trainer|trainer/device.*|coordinator|coordinator/(fsm|state|scheduler|benchmark))$" \
  "the validator consumes committed checkpoints: it reads the ledger through the client and replays with trainer/loop (native) or the torch runtime's launcher (bundle, channel, gang), never the agent or the server"
bad=$(go list -f '{{.ImportPath}}: {{join .Imports " "}}' ./... | grep -E " $mod/validator( |$)" | grep -v "^$mod/cmd/" || true)
if [ -n "$bad" ]; then echo "import direction: only cmd imports the validator: $bad"; fail=1; fi
for p in kernels storage experiments safetensors trainer/collective trainer/device models/metrics python pki console; do
  [ -d "$p" ] || continue
  bad=$(deps "./$p" | grep -E "^$mod/" | grep -vx "$mod/$p" | grep -v "^$mod/internal/" || true)
  if [ -n "$bad" ]; then echo "import direction: $p is a leaf package but imports $(echo $bad)"; fail=1; fi
done
bad=$(go list -f '{{.ImportPath}}: {{join .Imports " "}}' ./... | grep -E " $mod/cmd/" || true)
if [ -n "$bad" ]; then echo "import direction: nothing imports cmd/...: $bad"; fail=1; fi
bad=$(go list -f '{{.ImportPath}} {{join .Imports " "}}' ./internal/... | awk '{for(i=2;i<=NF;i++) print $1" -> "$i}' | grep -E " -> $mod/" | grep -v " -> $mod/internal/" || true)
if [ -n "$bad" ]; then echo "import direction: internal/... imports nothing of ours: $bad"; fail=1; fi
bad=$(go list -f '{{.ImportPath}}: {{join .Imports " "}}' ./... | grep -E " $mod/internal/testutil( |$)" || true)
if [ -n "$bad" ]; then echo "import direction: internal/testutil is for _test.go files only: $bad"; fail=1; fi
exit $fail
