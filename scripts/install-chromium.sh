#!/usr/bin/env bash
# The web console's tests drive Debian's Chromium headless (cmd/dxtrain console tests,
# make screenshots). Installed once through the package manager.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "the console's browser tests need Debian's chromium: run as root: apt-get install -y chromium" >&2
  exit 1
fi
echo "installing Debian's chromium (once: the console's tests run it headless)" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
/usr/bin/chromium --version >&2
