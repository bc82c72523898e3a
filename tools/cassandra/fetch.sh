#!/usr/bin/env bash
# Assemble the Cassandra 5.0 runtime classpath from Maven Central (Central has no 5.0 server
# tarball). Idempotent: does nothing once "$CASSANDRA_WORK/lib/.ok" exists.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
WORK=${CASSANDRA_WORK:-$REPO/.cassandra}
LIB=$WORK/lib
[ -f "$LIB/.ok" ] && exit 0
command -v mvn >/dev/null || { echo "cassandra fetch: mvn not found" >&2; exit 1; }
mkdir -p "$LIB"
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
# Quiet on success (maven 3.8 prints ANSI resets even with -q); full output on failure.
if ! mvn -B -q -Dstyle.color=never -f "$HERE/pom.xml" \
    org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$LIB" >"$OUT" 2>&1; then
  cat "$OUT" >&2
  echo "cassandra fetch: mvn copy-dependencies failed" >&2
  exit 1
fi
ls "$LIB"/cassandra-all-*.jar >/dev/null 2>&1 || { echo "cassandra fetch: no cassandra-all jar in $LIB" >&2; exit 1; }
ls "$LIB"/jamm-*.jar >/dev/null 2>&1 || { echo "cassandra fetch: no jamm jar in $LIB" >&2; exit 1; }
touch "$LIB/.ok"
