"""Seeds the lab's moto with a hosted zone, one weighted record set per region and one
health check per region, and (seed 004) a second zone whose record routes by latency, one
latency record per region carrying the same health checks; prints "ZONE HC1 HC2 HC3
LATENCY_ZONE". With `health ID fail|ok`, tags a health check so
tests/support/moto_launcher.py answers GetHealthCheckStatus with failures.

Seed 003 (examples/seeds/003-gitops-cutover): the weighted record api.oep.lab.example in the
same zone (aws-eu-central-1 100, do-ams3 0: the DOKS deploy is idle until the cutover) and
CloudWatch alarms per tenant in eu-central-1, OK, for the cutover's `alarms` gate. With
`alarm NAME ALARM|OK [REASON]`, sets one alarm's state (the gate reads the change from the
alarm's history)."""

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
    if len(sys.argv) > 2 and sys.argv[2] == "alarm":
        name, state = sys.argv[3], sys.argv[4]
        reason = sys.argv[5] if len(sys.argv) > 5 else f"lab: set to {state} by hand"
        boto3.client("cloudwatch", endpoint_url=endpoint, region_name=ALARMS_REGION).set_alarm_state(
            AlarmName=name, StateValue=state, StateReason=reason)
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
    seed_003(r53, zone_id, endpoint)
    print(zone_id, *checks, latency_id)


ALARMS_REGION = "eu-central-1"
TENANTS_003 = ["oep-stg", "mansety-prd", "us-prd"]


def seed_003(r53, zone_id, endpoint):
    changes = [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": "api.oep.lab.example.", "Type": "A", "SetIdentifier": set_id, "Weight": weight,
        "TTL": 60, "ResourceRecords": [{"Value": ip}]}}
        for (set_id, weight, ip) in [("aws-eu-central-1", 100, "192.0.2.40"), ("do-ams3", 0, "192.0.2.50")]]
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
    cw = boto3.client("cloudwatch", endpoint_url=endpoint, region_name=ALARMS_REGION)
    for tenant in TENANTS_003:
        for what, metric in [("api-5xx", "HTTPCode_Target_5XX_Count"), ("queue-stalled", "QueueAge")]:
            name = f"oep-{tenant}-{what}"
            cw.put_metric_alarm(AlarmName=name, Namespace="OEP/Laravel", MetricName=metric,
                                Statistic="Sum", Period=60, EvaluationPeriods=5, Threshold=1,
                                ComparisonOperator="GreaterThanThreshold",
                                Dimensions=[{"Name": "tenant", "Value": tenant}],
                                Tags=[{"Key": "tenant", "Value": tenant}, {"Key": "service", "Value": "oep"}])
            cw.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="lab: quiet since seeding")


if __name__ == "__main__":
    main()
