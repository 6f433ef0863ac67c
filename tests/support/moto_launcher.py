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

if __name__ == "__main__":
    sys.exit(main())
