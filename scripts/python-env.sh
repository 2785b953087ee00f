#!/usr/bin/env bash
# Create the Python virtualenvs used for golden fixtures and interop tests.
#
#   scripts/python-env.sh           -> .venv/         openmsistream==1.8.8 (writes 10-field chunks)
#   scripts/python-env.sh legacy    -> .venv-legacy/  openmsistream==1.8.6 (writes and accepts only
#                                                      9 fields; 1.8.6.1 introduced file_mtime)
#   scripts/python-env.sh all       -> both
#
# Idempotent: a venv whose `import openmsistream` already reports the pinned version is left alone.
# Packages come from the ordinary pip index by name. If the import fails for a missing system
# library and we run as root, the matching Debian package is installed with apt-get (said so).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"

MAIN_VERSION="1.8.8"
LEGACY_VERSION="1.8.6"
# openmsistream 1.8.8 itself pins these to <3; older releases left them open, so pin the same
# ranges for the legacy venv to get a comparable dependency set.
COMPAT_PINS=("confluent-kafka>=2.0.2,<3" "kafka-python>=2.0.2,<3")

log() { echo "[python-env] $*"; }

# Debian packages for shared libraries the stack may dlopen (libsodium via pynacl/kafkacrypto,
# librdkafka normally ships inside the confluent-kafka wheel).
apt_for_missing_lib() {
  case "$1" in
    *sodium*) echo "libsodium23" ;;
    *rdkafka*) echo "librdkafka1" ;;
    *ssl*|*crypto.so*) echo "libssl3" ;;
    *lz4*) echo "liblz4-1" ;;
    *zstd*) echo "libzstd1" ;;
    *sasl*) echo "libsasl2-2" ;;
    *ffi*) echo "libffi8" ;;
    *) echo "" ;;
  esac
}

check_import() { # venv version -> 0 if `import openmsistream` works and version matches
  local venv="$1" want="$2"
  [ -x "$venv/bin/python" ] || return 1
  "$venv/bin/python" - "$want" <<'EOF' >/dev/null 2>&1
import sys
from importlib.metadata import version
import openmsistream  # noqa: F401  (the import itself pulls confluent_kafka, kafkacrypto, msgpack)
from openmsistream.kafka_wrapper.serialization import DataFileChunkSerializer  # noqa: F401
sys.exit(0 if version("openmsistream") == sys.argv[1] else 1)
EOF
}

ensure_venv() { # dir version
  local venv="$ROOT/$1" want="$2"
  if check_import "$venv" "$want"; then
    log "$1: openmsistream==$want already importable, nothing to do"
    return 0
  fi
  if [ ! -x "$venv/bin/python" ]; then
    log "$1: creating virtualenv with $PYTHON -m venv"
    "$PYTHON" -m venv "$venv"
  fi
  # keep the venv out of git even where .gitignore does not list it (e.g. .venv-legacy/)
  [ -f "$venv/.gitignore" ] || echo '*' >"$venv/.gitignore"
  log "$1: upgrading pip"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  log "$1: pip install openmsistream==$want ${COMPAT_PINS[*]}"
  "$venv/bin/python" -m pip install --quiet "openmsistream==$want" "${COMPAT_PINS[@]}"

  local err
  if ! err="$("$venv/bin/python" -c 'import openmsistream' 2>&1)"; then
    log "$1: import openmsistream failed:"
    echo "$err" | tail -5
    local lib pkg
    lib="$(echo "$err" | grep -oE "lib[A-Za-z0-9_+.-]*\.so[.0-9]*" | head -1 || true)"
    pkg="$(apt_for_missing_lib "${lib:-none}")"
    if [ -n "$pkg" ] && [ "$(id -u)" = "0" ]; then
      log "$1: missing system library $lib -> apt-get install -y $pkg (running as root)"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg"
    else
      log "$1: cannot fix automatically (library: ${lib:-unknown}; root: $(id -u))"
      return 1
    fi
  fi
  if check_import "$venv" "$want"; then
    log "$1: ready: $("$venv/bin/python" -c 'from importlib.metadata import version as v; print("openmsistream", v("openmsistream"), "msgpack", v("msgpack"), "confluent-kafka", v("confluent-kafka"))')"
  else
    log "$1: openmsistream==$want still not importable"
    return 1
  fi
}

case "${1:-main}" in
  main|"") ensure_venv .venv "$MAIN_VERSION" ;;
  legacy) ensure_venv .venv-legacy "$LEGACY_VERSION" ;;
  all) ensure_venv .venv "$MAIN_VERSION" && ensure_venv .venv-legacy "$LEGACY_VERSION" ;;
  -h|--help) sed -n '2,12p' "$0" ;;
  *) echo "usage: $0 [main|legacy|all]" >&2; exit 2 ;;
esac
