"""Seeds the lab's data stores for seed 004 on moto: an Aurora PostgreSQL Global Database
`orders` (writer orders-use1 in us-east-1, secondaries orders-euw1 and orders-apse1), and
the replication lag CloudWatch reports for each secondary (Aurora's in milliseconds,
ElastiCache's Global Datastore in seconds). The ElastiCache global datastore itself is the
stand-in's (tests/servers/elasticache_standin.py), seeded by scripts/lab.sh.

  lab_seed_stores.py ENDPOINT            create the global cluster and write lag readings
  lab_seed_stores.py ENDPOINT lag MS S   write fresh lag readings (CloudWatch datapoints age
                                         out of meridian's look-back: run before a drill)
"""

import sys
from datetime import datetime, timezone

import boto3

CLUSTERS = [("us-east-1", "orders-use1"), ("eu-west-1", "orders-euw1"),
            ("ap-southeast-1", "orders-apse1")]
CACHE_GROUPS = [("us-east-1", "sessions-use1"), ("eu-west-1", "sessions-euw1"),
                ("ap-southeast-1", "sessions-apse1")]


def lag(endpoint, aurora_ms, cache_s):
    now = datetime.now(timezone.utc)
    for (region, cluster), (_, group) in zip(CLUSTERS, CACHE_GROUPS):
        cw = boto3.client("cloudwatch", endpoint_url=endpoint, region_name=region)
        cw.put_metric_data(Namespace="AWS/RDS", MetricData=[{
            "MetricName": "AuroraGlobalDBReplicationLag", "Timestamp": now, "Value": aurora_ms,
            "Unit": "Milliseconds",
            "Dimensions": [{"Name": "DBClusterIdentifier", "Value": cluster}]}])
        cw.put_metric_data(Namespace="AWS/ElastiCache", MetricData=[{
            "MetricName": "GlobalDatastoreReplicationLag", "Timestamp": now, "Value": cache_s,
            "Unit": "Seconds",
            "Dimensions": [{"Name": "ReplicationGroupId", "Value": group}]}])


def seed(endpoint):
    use1 = boto3.client("rds", endpoint_url=endpoint, region_name="us-east-1")
    use1.create_global_cluster(GlobalClusterIdentifier="orders", Engine="aurora-postgresql",
                               EngineVersion="15.4")
    arns = []
    for i, (region, cluster) in enumerate(CLUSTERS):
        rds = boto3.client("rds", endpoint_url=endpoint, region_name=region)
        extra = {"MasterUsername": "lab", "MasterUserPassword": "lab-password"} if i == 0 else {}
        out = rds.create_db_cluster(DBClusterIdentifier=cluster, Engine="aurora-postgresql",
                                    EngineVersion="15.4", GlobalClusterIdentifier="orders",
                                    **extra)
        arns.append(out["DBCluster"]["DBClusterArn"])
    lag(endpoint, 300.0, 1.0)
    print(*arns)


def main():
    endpoint = sys.argv[1]
    if len(sys.argv) > 2 and sys.argv[2] == "lag":
        lag(endpoint, float(sys.argv[3]), float(sys.argv[4]))
        return
    seed(endpoint)


if __name__ == "__main__":
    main()
