#!/usr/bin/env bash
# Creates (or refreshes) the project-local Python venv `.venv-tools` with Scylla's python driver
# and cqlsh, used by the emulator's cross-client tests (test/sim/python-*.test.ts), and
# junitparser, the independent JUnit reader of the gate's tests (test/cli/gate.test.ts), and
# python-snappy (pure Python over cramjam's prebuilt wheels) so the driver can negotiate snappy.
# Idempotent: a venv whose pinned packages already import is left as it is; a venv missing one
# of them gets only what is missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${SB_VENV:-$ROOT/.venv-tools}"
PY="${PYTHON:-python3}"
DRIVER_VERSION="3.29.12"
CQLSH_VERSION="6.0.40"
JUNITPARSER_VERSION="5.0.3"
SNAPPY_VERSION="0.7.3"

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" - <<PYEOF 2>/dev/null
import importlib.metadata as m, sys
ok = (m.version('scylla-driver') == '$DRIVER_VERSION' and m.version('scylla-cqlsh') == '$CQLSH_VERSION'
      and m.version('junitparser') == '$JUNITPARSER_VERSION' and m.version('python-snappy') == '$SNAPPY_VERSION')
import cassandra.cluster  # the driver must import, not only be listed
import junitparser, snappy
sys.exit(0 if ok else 1)
PYEOF
then
  echo "tools/python/setup.sh: $VENV is up to date (scylla-driver $DRIVER_VERSION, scylla-cqlsh $CQLSH_VERSION, junitparser $JUNITPARSER_VERSION)"
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "tools/python/setup.sh: creating $VENV"
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
else
  echo "tools/python/setup.sh: updating $VENV"
fi
# Prefer prebuilt wheels; if a source build is unavoidable, skip the Cython extensions, which
# take many minutes on 2 cores and are not needed for correctness.
export CASS_DRIVER_NO_CYTHON=1
"$VENV/bin/python" -m pip install --quiet --prefer-binary \
  "scylla-driver==$DRIVER_VERSION" "scylla-cqlsh==$CQLSH_VERSION" "junitparser==$JUNITPARSER_VERSION" \
  "python-snappy==$SNAPPY_VERSION"
"$VENV/bin/python" -c 'import cassandra, cassandra.cluster; print("scylla-driver", cassandra.__version__)'
"$VENV/bin/python" -c 'import junitparser; print("junitparser", junitparser.version)'
"$VENV/bin/python" -c 'import snappy; assert snappy.decompress(snappy.compress(b"x" * 64)) == b"x" * 64; print("python-snappy ok")'
test -x "$VENV/bin/cqlsh"
echo "tools/python/setup.sh: ready ($VENV)"
