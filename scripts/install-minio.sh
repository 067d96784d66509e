#!/usr/bin/env bash
# install-minio.sh: make sure a MinIO server binary is available for the storage/s3 tests.
# Idempotent: if $DXTRAIN_MINIO points at an executable, or
# ${DXTRAIN_CACHE:-$HOME/.cache/dxtrain}/bin/minio exists, nothing is built.
# Prints the path of the binary on stdout (last line).
set -euo pipefail

MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"

if [[ -n "${DXTRAIN_MINIO:-}" ]]; then
	if [[ -x "${DXTRAIN_MINIO}" ]]; then
		echo "${DXTRAIN_MINIO}"
		exit 0
	fi
	echo "install-minio: DXTRAIN_MINIO=${DXTRAIN_MINIO} is not an executable file" >&2
	exit 1
fi

bindir="${DXTRAIN_CACHE:-$HOME/.cache/dxtrain}/bin"
bin="${bindir}/minio"
if [[ -x "${bin}" ]]; then
	echo "${bin}"
	exit 0
fi

command -v go >/dev/null 2>&1 || { echo "install-minio: go toolchain not found in PATH" >&2; exit 1; }
mkdir -p "${bindir}"
echo "install-minio: building github.com/minio/minio@${MINIO_VERSION} into ${bindir} (takes minutes)" >&2
# Build outside the dxtrain module so its go.mod is never touched.
workdir="$(mktemp -d)"
trap 'rm -rf "${workdir}"' EXIT
cd "${workdir}"
GOBIN="${bindir}" go install "github.com/minio/minio@${MINIO_VERSION}"
if [[ ! -x "${bin}" ]]; then
	echo "install-minio: go install finished but ${bin} is missing" >&2
	exit 1
fi
echo "${bin}"
