#!/usr/bin/env bash
# fetch-onnxruntime.sh: make sure the ONNX Runtime shared library that models/onnx loads
# is in the per-user cache. Idempotent: if the library is already there, nothing is fetched.
#
# Source: the npm package onnxruntime-node@1.30.0, file
#   package/bin/napi-v6/linux/x64/libonnxruntime.so.1
# fetched with `npm pack` (npm checks the registry's integrity hash), then checked against
# the SHA-256 pinned below.
#
# Destination (the path models/onnx.LibraryPath looks at):
#   ${DXTRAIN_CACHE:-$HOME/.cache/dxtrain}/onnxruntime/1.30.0/libonnxruntime.so.1
# DXTRAIN_ONNXRUNTIME_LIB, when set, overrides the cache in the Go code; this script
# only checks that it exists.
#
# Prints the path of the library on stdout (last line). Needs npm and tar.
set -euo pipefail

ORT_VERSION="1.30.0"
ORT_MEMBER="package/bin/napi-v6/linux/x64/libonnxruntime.so.1"
ORT_SHA256="ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23"

if [[ -n "${DXTRAIN_ONNXRUNTIME_LIB:-}" ]]; then
	if [[ -f "${DXTRAIN_ONNXRUNTIME_LIB}" ]]; then
		echo "${DXTRAIN_ONNXRUNTIME_LIB}"
		exit 0
	fi
	echo "fetch-onnxruntime: DXTRAIN_ONNXRUNTIME_LIB=${DXTRAIN_ONNXRUNTIME_LIB} is not a file" >&2
	exit 1
fi

case "$(uname -s)/$(uname -m)" in
Linux/x86_64) ;;
*)
	echo "fetch-onnxruntime: only linux/x86_64 is supported, this is $(uname -s)/$(uname -m);" >&2
	echo "  set DXTRAIN_ONNXRUNTIME_LIB to a libonnxruntime ${ORT_VERSION} shared library" >&2
	exit 1
	;;
esac

dir="${DXTRAIN_CACHE:-$HOME/.cache/dxtrain}/onnxruntime/${ORT_VERSION}"
lib="${dir}/libonnxruntime.so.1"
if [[ -f "${lib}" ]]; then
	echo "${lib}"
	exit 0
fi

command -v npm >/dev/null 2>&1 || { echo "fetch-onnxruntime: npm not found in PATH (install Node.js and npm)" >&2; exit 1; }
mkdir -p "${dir}"
work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT

echo "fetch-onnxruntime: npm pack onnxruntime-node@${ORT_VERSION} (about 110 MB)" >&2
(cd "${work}" && npm pack --silent "onnxruntime-node@${ORT_VERSION}" >/dev/null)
tarball="${work}/onnxruntime-node-${ORT_VERSION}.tgz"
if [[ ! -f "${tarball}" ]]; then
	echo "fetch-onnxruntime: npm pack did not produce ${tarball}" >&2
	exit 1
fi
tar -xzf "${tarball}" -C "${work}" "${ORT_MEMBER}"

got="$(sha256sum "${work}/${ORT_MEMBER}" | cut -d' ' -f1)"
if [[ "${got}" != "${ORT_SHA256}" ]]; then
	echo "fetch-onnxruntime: ${ORT_MEMBER} has SHA-256 ${got}, want ${ORT_SHA256}" >&2
	exit 1
fi

# Atomic install: copy into the destination directory under a temporary name, fsync,
# then rename, so a concurrent reader never sees a half-written library.
tmp="$(mktemp "${dir}/.libonnxruntime.so.1.XXXXXX")"
cp "${work}/${ORT_MEMBER}" "${tmp}"
chmod 0644 "${tmp}"
sync "${tmp}" 2>/dev/null || sync
mv -f "${tmp}" "${lib}"
echo "fetch-onnxruntime: installed ${lib}" >&2
echo "${lib}"
