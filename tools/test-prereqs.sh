#!/usr/bin/env bash
# `npm test` runs this first: it makes what the suite needs (the Cassandra jars from Maven
# Central, the Python venv with Scylla's driver and cqlsh, the Rust CDC consumer from crates.io)
# and, when a system prerequisite is
# missing, stops with ONE line naming what to install. Idempotent and quiet when all is there.
# SB_NO_CASSANDRA=1 / SB_NO_PYTHON=1 / SB_NO_RUST=1 (local iterations only, never in CI) skip those parts.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
missing=()

want_cassandra=1
want_python=1
want_rust=1
if [ "${CI:-}" != "true" ]; then
  [ "${SB_NO_CASSANDRA:-}" = "1" ] && want_cassandra=0
  [ "${SB_NO_PYTHON:-}" = "1" ] && want_python=0
  [ "${SB_NO_RUST:-}" = "1" ] && want_rust=0
fi

if [ $want_cassandra = 1 ]; then
  java17=""
  for j in "${CASSANDRA_JAVA:-}" /usr/lib/jvm/java-17-openjdk-amd64/bin/java /usr/lib/jvm/java-17-openjdk-arm64/bin/java /usr/lib/jvm/*17*/bin/java; do
    if [ -n "$j" ] && [ -x "$j" ]; then java17="$j"; break; fi
  done
  [ -n "$java17" ] || missing+=("Java 17 (Debian: openjdk-17-jdk-headless)")
  if [ ! -f "${CASSANDRA_WORK:-$ROOT/.cassandra}/lib/.ok" ] && ! command -v mvn >/dev/null; then
    missing+=("Maven, to fetch the Cassandra jars once (Debian: maven)")
  fi
fi
if [ $want_python = 1 ] && [ ! -x "${SB_VENV:-$ROOT/.venv-tools}/bin/python" ]; then
  command -v python3 >/dev/null || missing+=("Python 3 (Debian: python3)")
  python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=("python3-venv (Debian: python3-venv)")
fi

if [ $want_rust = 1 ]; then
  command -v cargo >/dev/null || missing+=("Rust's cargo, for tools/cdc-consumer (Debian: cargo)")
fi

if [ ${#missing[@]} -gt 0 ]; then
  joined=$(printf '%s; ' "${missing[@]}")
  echo "npm test: install first: ${joined%; } (or see README, Tests)" >&2
  exit 1
fi

[ $want_cassandra = 1 ] && bash "$ROOT/tools/cassandra/fetch.sh"
[ $want_python = 1 ] && bash "$ROOT/tools/python/setup.sh" >/dev/null
[ $want_rust = 1 ] && cargo build --quiet --locked --manifest-path "$ROOT/tools/cdc-consumer/Cargo.toml"
exit 0
