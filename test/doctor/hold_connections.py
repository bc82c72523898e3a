"""Connects Scylla's python driver (shard-aware) to a cluster and holds its connections open.

Usage: hold_connections.py HOST PORT USER PASSWORD
Waits until every host's pool has one connection per shard, prints one JSON line
({"pools_full": bool, "connected_shards": {...}}), then keeps the connections until stdin closes,
so a test can run `doctor` while a real shard-aware client is connected.
"""
import json
import sys
import time

from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import Cluster, ExecutionProfile, EXEC_PROFILE_DEFAULT
from cassandra.policies import DCAwareRoundRobinPolicy, TokenAwarePolicy

host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
profile = ExecutionProfile(load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy(local_dc='datacenter1')))
cluster = Cluster([host], port=port, auth_provider=PlainTextAuthProvider(user, password),
                  execution_profiles={EXEC_PROFILE_DEFAULT: profile}, connect_timeout=10)
session = cluster.connect()
hosts = cluster.metadata.all_hosts()


def pools_full():
    for h in hosts:
        pool = session._pools.get(h)
        if pool is None or h.sharding_info is None or len(pool._connections) < h.sharding_info.shards_count:
            return False
    return True


deadline = time.time() + 30
while not pools_full() and time.time() < deadline:
    time.sleep(0.2)
print(json.dumps({
    "pools_full": pools_full(),
    "connected_shards": {h.address: sorted(session._pools[h]._connections.keys()) for h in hosts if h in session._pools},
}), flush=True)
sys.stdin.read()
cluster.shutdown()
