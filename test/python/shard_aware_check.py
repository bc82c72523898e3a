"""Drives the emulator with Scylla's python driver (scylla-driver) and prints a JSON report.

Usage: shard_aware_check.py HOST PORT KEYS [METRICS_URL TABLETS]
Checks made here (the TypeScript test asserts on the report and on the emulator's counters):
  - every host reports sharding info (nr_shards, shard-aware port);
  - each host's pool ends up with one connection per shard;
  - KEYS prepared writes and reads run with token-aware routing.
With METRICS_URL and TABLETS=1 the keyspace uses tablets: the driver learns tablet replicas from
the tablets-routing-v1 payload during the writes, and the report carries the emulator's
cross-shard hop count (from /metrics) before and after the reads.
"""
import json
import sys
import time
import urllib.request

from cassandra.cluster import Cluster, ExecutionProfile, EXEC_PROFILE_DEFAULT
from cassandra.policies import DCAwareRoundRobinPolicy, TokenAwarePolicy

host, port, keys = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
metrics_url = sys.argv[4] if len(sys.argv) > 4 else None
tablets = len(sys.argv) > 5 and sys.argv[5] == '1'


def cross_shard_hops():
    text = urllib.request.urlopen(metrics_url + '/metrics').read().decode()
    return sum(float(line.split()[-1]) for line in text.splitlines() if line.startswith('scylla_storage_proxy_replica_cross_shard_ops{'))

profile = ExecutionProfile(load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy(local_dc='datacenter1')))
cluster = Cluster([host], port=port, execution_profiles={EXEC_PROFILE_DEFAULT: profile}, connect_timeout=10)
session = cluster.connect()

if tablets:
    session.execute("CREATE KEYSPACE IF NOT EXISTS sa WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 2} AND tablets = {'enabled': true, 'initial': 8}")
else:
    session.execute("CREATE KEYSPACE IF NOT EXISTS sa WITH replication = {'class': 'NetworkTopologyStrategy', 'datacenter1': 3}")
session.execute("CREATE TABLE IF NOT EXISTS sa.kv (k int PRIMARY KEY, v text)")
cluster.refresh_schema_metadata()

hosts = cluster.metadata.all_hosts()
# the pools fill asynchronously: wait until every host has one connection per shard
deadline = time.time() + 30
def pools_full():
    for h in hosts:
        pool = session._pools.get(h)
        if pool is None or h.sharding_info is None:
            return False
        if len(pool._connections) < h.sharding_info.shards_count:
            return False
    return True
while not pools_full() and time.time() < deadline:
    time.sleep(0.2)

report = {"hosts": [], "pools_full": pools_full()}
for h in hosts:
    pool = session._pools.get(h)
    si = h.sharding_info
    report["hosts"].append({
        "address": h.address,
        "shards_count": si.shards_count if si else None,
        "shard_aware_port": si.shard_aware_port if si else None,
        "partitioner": si.partitioner if si else None,
        "sharding_algorithm": si.sharding_algorithm if si else None,
        "connected_shards": sorted(pool._connections.keys()) if pool else [],
    })

insert = session.prepare("INSERT INTO sa.kv (k, v) VALUES (?, ?)")
select = session.prepare("SELECT v FROM sa.kv WHERE k = ?")
report["routing_key_indexes"] = insert.routing_key_indexes
for i in range(keys):
    session.execute(insert, (i, "v%d" % i))
if metrics_url:
    report["hops_before_reads"] = cross_shard_hops()
mismatches = 0
for i in range(keys):
    row = session.execute(select, (i,)).one()
    if row is None or row.v != "v%d" % i:
        mismatches += 1
report["read_mismatches"] = mismatches
if metrics_url:
    report["hops_after_reads"] = cross_shard_hops()
report["keys"] = keys
print(json.dumps(report))
cluster.shutdown()
