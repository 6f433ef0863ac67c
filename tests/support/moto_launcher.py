"""moto's server, with gaps filled: GetHealthCheckStatus, and Aurora's global switchover and
failover.

moto always answers "Success" to GetHealthCheckStatus. Here a health check tagged
`meridian-status=Failure` (set with ChangeTagsForResource) answers with failing checkers, so
failover and health can be tested through the real SDK.

moto models Aurora global clusters but implements neither SwitchoverGlobalCluster nor
FailoverGlobalCluster. Here both are served on moto's own global clusters (so
DescribeGlobalClusters, which moto answers, shows the result): each request is first checked
against the RDS model botocore ships (tests/servers/aws_model.py: parameters, types, required
members, the SigV4 service); then the global cluster is `switching-over` (a switchover) or
`failing-over` (AllowDataLoss) with its FailoverState (`pending`, then `failing-over`) for
`meridian-switchover-seconds` (a tag on the global cluster, default 1), after which the
target is the writer and every other member a reader, and the cluster `available`. A tag
`meridian-fail-next=reject` makes the next call answer InvalidGlobalClusterStateFault;
`abort` accepts it and ends with the roles unchanged. DescribeGlobalClusters honours
GlobalClusterIdentifier (moto lists every cluster).

Run as: python moto_launcher.py -H 127.0.0.1 -p PORT
"""

import sys
import time
from pathlib import Path

from moto.core.utils import utcnow
from moto.route53.responses import Route53
from moto.server import main

_original = Route53.get_health_check_status


def _status(self):
    health_check_id = self._get_param("HealthCheckId")
    tags = self.backend.list_tags_for_resource(health_check_id) or {}
    wanted = tags.get("meridian-status")
    if wanted not in ("Failure", "Partial"):
        return _original(self)
    from moto.core.responses import ActionResult

    self.backend.get_health_check(health_check_id)
    observations = []
    for i, region in enumerate(["us-east-1", "eu-west-1", "ap-southeast-1"]):
        ok = wanted == "Partial" and i == 0
        status = (
            "Success: HTTP Status Code: 200. OK"
            if ok
            else "Failure: Connection timed out. The endpoint or the internet connection is down."
        )
        observations.append(
            {
                "Region": region,
                "IPAddress": f"127.0.13.{37 + i}",
                "StatusReport": {"Status": status, "CheckedTime": utcnow()},
            }
        )
    return ActionResult({"HealthCheckObservations": observations})


Route53.get_health_check_status = _status


# DescribeAlarmHistory (StateUpdate items), which this moto lacks, answered from the state
# changes moto keeps on each alarm (`alarm.history`: the state before each change, with when
# it was entered). Like CloudWatch, a new alarm's first item is INSUFFICIENT_DATA -> its first
# state (moto starts alarms in OK directly). Members as in botocore's CloudWatch model:
# AlarmName, HistoryItemType, StartDate, EndDate, MaxRecords, NextToken, ScanBy.
from datetime import datetime, timezone  # noqa: E402
import json  # noqa: E402

from moto.cloudwatch.responses import CloudWatchResponse  # noqa: E402


def _when(value):
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _aware(t):
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def _alarm_history(self):
    from moto.core.responses import ActionResult

    name = self._get_param("AlarmName")
    kind = self._get_param("HistoryItemType")
    start, end = _when(self._get_param("StartDate")), _when(self._get_param("EndDate"))
    limit = int(self._get_param("MaxRecords") or 100)
    offset = int(self._get_param("NextToken") or 0)
    items = []
    for alarm in self.cloudwatch_backend.describe_alarms():
        if (name and alarm.name != name) or kind not in (None, "StateUpdate"):
            continue
        # (state, reason, entered at) oldest first, ending with the state now.
        states = [(h[3], h[1], h[4]) for h in alarm.history]
        states.append((alarm.state_value, alarm.state_reason, alarm.state_updated_timestamp))
        states.insert(0, ("INSUFFICIENT_DATA", "Unchecked: Initial alarm creation", states[0][2]))
        for (old, old_reason, _), (new, new_reason, at) in zip(states, states[1:]):
            data = {
                "version": "1.0",
                "oldState": {"stateValue": old, "stateReason": old_reason},
                "newState": {"stateValue": new, "stateReason": new_reason},
            }
            items.append(
                {
                    "AlarmName": alarm.name,
                    "AlarmType": "CompositeAlarm" if alarm.rule else "MetricAlarm",
                    "Timestamp": _aware(at),
                    "HistoryItemType": "StateUpdate",
                    "HistorySummary": f"Alarm updated from {old} to {new}",
                    "HistoryData": json.dumps(data),
                }
            )
    items = [
        i
        for i in items
        if (start is None or i["Timestamp"] >= _aware(start))
        and (end is None or i["Timestamp"] <= _aware(end))
    ]
    items.sort(
        key=lambda i: i["Timestamp"],
        reverse=self._get_param("ScanBy") != "TimestampAscending",
    )
    page = items[offset : offset + limit]
    result = {"AlarmHistoryItems": page}
    if offset + limit < len(items):
        result["NextToken"] = str(offset + limit)
    return ActionResult(result)


CloudWatchResponse.describe_alarm_history = _alarm_history
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "servers"))
from aws_model import ServiceModel  # noqa: E402
from moto.rds.exceptions import RDSClientError  # noqa: E402
from moto.rds.responses import RDSResponse  # noqa: E402

_RDS = ServiceModel("rds", "2014-10-31")
# global cluster id -> (due, target cluster or None for an aborted operation)
_pending = {}
_original_describe = RDSResponse.describe_global_clusters


def _tags(gc):
    try:
        return {t["Key"]: t["Value"] for t in gc.get_tags()}
    except Exception:  # noqa: BLE001 (older moto: tags elsewhere)
        return {}


def _settle():
    now = time.monotonic()
    for gid, (gc, due, target) in list(_pending.items()):
        if now < due:
            gc.failover_state = dict(gc.failover_state or {}, Status="failing-over")
            continue
        if target is not None:
            for m in gc.members:
                m.is_writer = m is target
        gc.status = "available"
        gc.failover_state = None
        del _pending[gid]


def _checked(self):
    """The request's parameters after the model check; a violation is refused."""
    params = {k: v[-1] for k, v in self.querystring.items()}
    _, args, wrong = _RDS.read(params, self.headers)
    if wrong:
        for w in wrong:
            sys.stderr.write(f"moto_launcher: RDS model violation: {w}\n")
        raise RDSClientError(
            "InvalidParameterValue",
            "; ".join(f"{w['field']}: expected {w['expected']}, got {w['got']}" for w in wrong),
        )
    return args


def _global_op(self, allow_data_loss):
    from moto.core.responses import ActionResult

    args = _checked(self)
    if "AllowDataLoss" in args and "Switchover" in args:
        raise RDSClientError("InvalidParameterCombination", "AllowDataLoss and Switchover cannot be specified together")
    _settle()
    gid = args["GlobalClusterIdentifier"].lower()
    gc = self.global_backend.global_clusters.get(gid)
    if gc is None:
        raise RDSClientError("GlobalClusterNotFoundFault", f"Global cluster {gid} not found")
    want = args["TargetDbClusterIdentifier"]
    target = next((m for m in gc.members if want in (m.db_cluster_arn, m.db_cluster_identifier)), None)
    if target is None:
        raise RDSClientError("DBClusterNotFoundFault", f"DBCluster {want} is not a member of global cluster {gid}")
    if gc.status != "available" or gid in _pending:
        raise RDSClientError("InvalidGlobalClusterStateFault", f"Global cluster {gid} is {gc.status}")
    if target.is_writer:
        raise RDSClientError("InvalidDBClusterStateFault", f"DBCluster {want} is already the writer of {gid}")
    tags = _tags(gc)
    fail = tags.get("meridian-fail-next")
    if fail:
        gc.remove_tags(["meridian-fail-next"])  # it holds for one call
    if fail == "reject":
        raise RDSClientError("InvalidGlobalClusterStateFault", f"Global cluster {gid} cannot switch over now")
    seconds = float(tags.get("meridian-switchover-seconds", "1"))
    writer = next((m for m in gc.members if m.is_writer), None)
    gc.status = "failing-over" if allow_data_loss else "switching-over"
    gc.failover_state = {
        "Status": "pending",
        "FromDbClusterArn": writer.db_cluster_arn if writer else None,
        "ToDbClusterArn": target.db_cluster_arn,
        "IsDataLossAllowed": allow_data_loss,
    }
    _pending[gid] = (gc, time.monotonic() + seconds, None if fail == "abort" else target)
    return ActionResult({"GlobalCluster": gc})


def _switchover(self):
    return _global_op(self, False)


def _failover(self):
    params = {k: v[-1] for k, v in self.querystring.items()}
    return _global_op(self, params.get("AllowDataLoss") == "true")


def _describe(self):
    _settle()
    gid = self._get_param("GlobalClusterIdentifier")
    if not gid:
        return _original_describe(self)
    from moto.core.responses import ActionResult

    gc = self.global_backend.global_clusters.get(gid.lower())
    if gc is None:
        raise RDSClientError("GlobalClusterNotFoundFault", f"Global cluster {gid} not found")
    return ActionResult({"GlobalClusters": [gc]})


RDSResponse.switchover_global_cluster = _switchover
RDSResponse.failover_global_cluster = _failover
RDSResponse.describe_global_clusters = _describe

if __name__ == "__main__":
    sys.exit(main())
