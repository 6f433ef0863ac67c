"""Seeds the lab's moto with a hosted zone, one weighted record set per region and one
health check per region, and (seed 004) a second zone whose record routes by latency, one
latency record per region carrying the same health checks; prints "ZONE HC1 HC2 HC3
LATENCY_ZONE". With `health ID fail|ok`, tags a health check so
tests/support/moto_launcher.py answers GetHealthCheckStatus with failures."""

import sys
import uuid

import boto3


def main():
    endpoint = sys.argv[1]
    r53 = boto3.client("route53", endpoint_url=endpoint, region_name="us-east-1")
    if len(sys.argv) > 2 and sys.argv[2] == "health":
        hc, state = sys.argv[3], sys.argv[4]
        if state == "fail":
            r53.change_tags_for_resource(
                ResourceType="healthcheck", ResourceId=hc,
                AddTags=[{"Key": "meridian-status", "Value": "Failure"}])
        else:
            r53.change_tags_for_resource(
                ResourceType="healthcheck", ResourceId=hc, RemoveTagKeys=["meridian-status"])
        return
    zone = r53.create_hosted_zone(Name="lab.example", CallerReference=str(uuid.uuid4()))
    zone_id = zone["HostedZone"]["Id"].split("/")[-1]
    checks = []
    for i in range(3):
        hc = r53.create_health_check(
            CallerReference=str(uuid.uuid4()),
            HealthCheckConfig={"IPAddress": f"127.0.0.{i + 1}", "Port": 80, "Type": "HTTP",
                               "ResourcePath": "/healthz"})
        checks.append(hc["HealthCheck"]["Id"])
    changes = []
    for (set_id, weight, ip, hc) in [("us-east-1", 50, "192.0.2.10", checks[0]),
                                     ("eu-west-1", 30, "192.0.2.20", checks[1]),
                                     ("ap-southeast-1", 20, "192.0.2.30", checks[2]),
                                     ("legacy-dc", 0, "192.0.2.99", None)]:
        rrset = {"Name": "app.lab.example.", "Type": "A", "SetIdentifier": set_id, "Weight": weight,
                 "TTL": 60, "ResourceRecords": [{"Value": ip}]}
        if hc:
            rrset["HealthCheckId"] = hc
        changes.append({"Action": "CREATE", "ResourceRecordSet": rrset})
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
    latency = r53.create_hosted_zone(Name="latency.lab.example", CallerReference=str(uuid.uuid4()))
    latency_id = latency["HostedZone"]["Id"].split("/")[-1]
    changes = []
    for (region, ip, hc) in [("us-east-1", "192.0.2.10", checks[0]),
                             ("eu-west-1", "192.0.2.20", checks[1]),
                             ("ap-southeast-1", "192.0.2.30", checks[2])]:
        changes.append({"Action": "CREATE", "ResourceRecordSet": {
            "Name": "api.latency.lab.example.", "Type": "A", "SetIdentifier": region,
            "Region": region, "TTL": 60, "ResourceRecords": [{"Value": ip}],
            "HealthCheckId": hc}})
    r53.change_resource_record_sets(HostedZoneId=latency_id, ChangeBatch={"Changes": changes})
    print(zone_id, *checks, latency_id)


if __name__ == "__main__":
    main()
