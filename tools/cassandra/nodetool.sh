#!/usr/bin/env bash
# nodetool against the test Cassandra (JMX on 127.0.0.1:${CASSANDRA_JMX_PORT:-7199}), e.g.:
#   tools/cassandra/nodetool.sh status        tools/cassandra/nodetool.sh flush ks
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=${CASSANDRA_WORK:-$(cd "$HERE/../.." && pwd)/.cassandra}
JAVA=${CASSANDRA_JAVA:-/usr/lib/jvm/java-17-openjdk-amd64/bin/java}
exec "$JAVA" -Xmx256m @"$HERE/jvm17-server.args" \
  -Dlogback.configurationFile="$HERE/logback-tools.xml" -Dcassandra.logdir="${TMPDIR:-/tmp}" \
  -cp "$WORK/lib/*" org.apache.cassandra.tools.NodeTool -h 127.0.0.1 -p "${CASSANDRA_JMX_PORT:-7199}" "$@"
