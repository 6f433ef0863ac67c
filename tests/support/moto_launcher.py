"""moto's server, with one gap filled: GetHealthCheckStatus.

moto always answers "Success". Here a health check tagged `meridian-status=Failure` (set with
ChangeTagsForResource) answers with failing checkers, so failover and health can be tested
through the real SDK. Run as: python moto_launcher.py -H 127.0.0.1 -p PORT
"""

import sys

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

if __name__ == "__main__":
    sys.exit(main())
