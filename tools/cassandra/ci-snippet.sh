# --- real Cassandra 5.0 for the test-suite (tools/cassandra; merge into .ci/run) ---
# Needs a JDK 17 java + keytool, openssl, maven. Idempotent and quiet.
cassandra_pkgs=()
[ -x /usr/lib/jvm/java-17-openjdk-amd64/bin/java ] || [ -x /usr/lib/jvm/java-17-openjdk-arm64/bin/java ] \
  || cassandra_pkgs+=(openjdk-17-jre-headless)
command -v openssl >/dev/null || cassandra_pkgs+=(openssl)
command -v mvn >/dev/null || cassandra_pkgs+=(maven)
if [ ${#cassandra_pkgs[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${cassandra_pkgs[@]}" >/dev/null
fi
# Jars from Maven Central into ${CASSANDRA_WORK:-.cassandra}/lib (no-op once lib/.ok exists).
bash tools/cassandra/fetch.sh
