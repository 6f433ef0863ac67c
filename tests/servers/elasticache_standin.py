"""A stand-in for ElastiCache Global Datastores (the API's global replication groups).

moto does not implement global datastores, and no other server here does, so this is a
small stateful server that speaks the ElastiCache Query API (form-encoded POST, XML answers)
for the three operations meridian uses:

  DescribeGlobalReplicationGroups   (GlobalReplicationGroupId, ShowMemberInfo, MaxRecords, Marker)
  FailoverGlobalReplicationGroup    (GlobalReplicationGroupId, PrimaryRegion, PrimaryReplicationGroupId)
  DescribeReplicationGroups         (ReplicationGroupId): a member's own group, for its status

Every request is checked against the ElastiCache model that botocore ships (aws_model.py):
operation, version, each parameter's name, type and required members, the SigV4 signing
service; what does not match is a violation (GET /__standin/violations) and the request is
answered `InvalidParameterValue`. Answers are written from the model's output shapes, errors
with the model's codes and HTTP statuses (GlobalReplicationGroupNotFoundFault 404,
InvalidGlobalReplicationGroupState 400, InvalidParameterValue 400).

States, as the ElastiCache user guide documents them: a global datastore is `available`;
a failover is accepted only while it is `available` and has a secondary (otherwise
InvalidGlobalReplicationGroupState: "not available or in primary-only state"); it is then
`modifying` for `failover_seconds` (default 2), after which the chosen member is `primary`,
every other member `secondary` (AWS writes the roles in capitals, PRIMARY/SECONDARY, as the
CLI's examples show) and the datastore `available` again. Members stay `associated`.
Members are listed only with ShowMemberInfo=true, as the API reference says.

Injectable through the control API:
  POST /__standin/groups/<id> {"failover_seconds": 5}           slowness
  POST /__standin/groups/<id> {"fail_next_failover": "reject"}  the next failover call is refused
                                                                (InvalidGlobalReplicationGroupState)
  POST /__standin/groups/<id> {"fail_next_failover": "abort"}   accepted, `modifying`, then back to
                                                                `available` with the roles unchanged
  POST /__standin/groups/<id> {"roles": {"sessions-euw1": "PRIMARY", ...}, "status": "available"}
                                                                behind meridian's back
  GET  /__standin/state                                         every group, as stored
plus the common calls (requests, violations, hang, throttle) of standin_common.py.

Run with the moto venv's python (it has botocore):
  python elasticache_standin.py --port 0 --seed seed.json
where seed.json is {"account": "123456789012", "global_replication_groups": [{
  "GlobalReplicationGroupId": "ldgnf-sessions", "CacheNodeType": "cache.r6g.large",
  "EngineVersion": "7.1", "Members": [
    {"ReplicationGroupId": "sessions-use1", "ReplicationGroupRegion": "us-east-1", "Role": "PRIMARY"},
    {"ReplicationGroupId": "sessions-euw1", "ReplicationGroupRegion": "eu-west-1", "Role": "SECONDARY"}]}]}
"""

import argparse
import copy
import json
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs

sys.path.insert(0, str(Path(__file__).resolve().parent))

from aws_model import ApiError, ServiceModel  # noqa: E402
from standin_common import Reply, World, serve  # noqa: E402
from http.server import ThreadingHTTPServer  # noqa: E402

MODEL = ServiceModel("elasticache", "2015-02-02")
XML = "text/xml"


class Group:
    def __init__(self, seed, account):
        self.id = seed["GlobalReplicationGroupId"]
        self.doc = {
            "GlobalReplicationGroupId": self.id,
            "GlobalReplicationGroupDescription": seed.get("GlobalReplicationGroupDescription", ""),
            "Status": "available",
            "CacheNodeType": seed.get("CacheNodeType", "cache.r6g.large"),
            "Engine": seed.get("Engine", "redis"),
            "EngineVersion": seed.get("EngineVersion", "7.1"),
            "ClusterEnabled": bool(seed.get("ClusterEnabled", False)),
            "AuthTokenEnabled": bool(seed.get("AuthTokenEnabled", False)),
            "TransitEncryptionEnabled": bool(seed.get("TransitEncryptionEnabled", True)),
            "AtRestEncryptionEnabled": bool(seed.get("AtRestEncryptionEnabled", True)),
            "ARN": f"arn:aws:elasticache::{account}:globalreplicationgroup:{self.id}",
        }
        self.members = [
            {
                "ReplicationGroupId": m["ReplicationGroupId"],
                "ReplicationGroupRegion": m["ReplicationGroupRegion"],
                "Role": m.get("Role", "SECONDARY").upper(),
                "AutomaticFailover": m.get("AutomaticFailover", "enabled"),
                "Status": m.get("Status", "associated"),
            }
            for m in seed.get("Members", [])
        ]
        self.failover_seconds = float(seed.get("failover_seconds", 2))
        self.fail_next = None
        self.pending = None  # (due time, new primary id or None for an aborted failover)
        self.failovers = 0

    def tick(self, now):
        if self.pending and now >= self.pending[0]:
            target = self.pending[1]
            if target is not None:
                for m in self.members:
                    m["Role"] = "PRIMARY" if m["ReplicationGroupId"] == target else "SECONDARY"
            self.doc["Status"] = "available"
            self.pending = None

    def view(self, members):
        out = dict(self.doc)
        if members:
            out["Members"] = copy.deepcopy(self.members)
        return out


class ElastiCacheServer(ThreadingHTTPServer):
    def __init__(self, addr, handler):
        super().__init__(addr, handler)
        self.world = World()
        self.groups = {}
        self.account = "123456789012"

    def load(self, seed):
        self.account = seed.get("account", self.account)
        for g in seed.get("global_replication_groups", []):
            grp = Group(g, self.account)
            self.groups[grp.id] = grp

    def tick(self):
        now = time.monotonic()
        for g in self.groups.values():
            g.tick(now)

    # -- the API -------------------------------------------------------------------------

    def api(self, method, path, query, raw, headers, found):
        if method != "POST" or path != "/":
            raise Reply(404, (XML, b"<UnknownOperationException/>"))
        params = {k: v[-1] for k, v in parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True).items()}
        action, args, wrong = MODEL.read(params, headers)
        for w in wrong:
            w["method"], w["path"] = method, path
        self.world.violated(wrong)
        self.tick()
        if wrong:
            self.fail(action if action in MODEL.ops else "DescribeGlobalReplicationGroups",
                      ApiError("InvalidParameterValueException",
                               "; ".join(f"{w['field']}: expected {w['expected']}, got {w['got']}" for w in wrong)))
        handler = {
            "DescribeGlobalReplicationGroups": self.describe,
            "FailoverGlobalReplicationGroup": self.failover,
            "DescribeReplicationGroups": self.describe_replication_groups,
        }.get(action)
        if handler is None:
            self.fail(action, ApiError("InvalidParameterValueException",
                                       f"{action} is not served by this stand-in"))
        try:
            data = handler(args)
        except ApiError as e:
            self.fail(action, e)
        body, bad = MODEL.answer(action, data)
        self.world.violated(bad)
        raise Reply(200, (XML, body))

    def fail(self, action, e):
        status, body, bad = MODEL.error(action, e.shape, e.message)
        self.world.violated(bad)
        raise Reply(status, (XML, body))

    def group(self, gid):
        g = self.groups.get(gid)
        if g is None:
            raise ApiError("GlobalReplicationGroupNotFoundFault", f"GlobalReplicationGroup {gid} not found.")
        return g

    def describe(self, args):
        members = bool(args.get("ShowMemberInfo"))
        gid = args.get("GlobalReplicationGroupId")
        groups = [self.group(gid)] if gid else sorted(self.groups.values(), key=lambda g: g.id)
        return {"GlobalReplicationGroups": [g.view(members) for g in groups]}

    def failover(self, args):
        g = self.group(args["GlobalReplicationGroupId"])
        region = args["PrimaryRegion"]
        rg = args["PrimaryReplicationGroupId"]
        if g.doc["Status"] != "available" or len(g.members) < 2:
            raise ApiError("InvalidGlobalReplicationGroupStateFault",
                           f"Global datastore {g.id} is not available or in primary-only state (status {g.doc['Status']}).")
        target = next((m for m in g.members if m["ReplicationGroupId"] == rg), None)
        if target is None:
            raise ApiError("InvalidParameterValueException",
                           f"Replication group {rg} is not a member of global datastore {g.id}.")
        if target["ReplicationGroupRegion"] != region:
            raise ApiError("InvalidParameterCombinationException",
                           f"Replication group {rg} is in {target['ReplicationGroupRegion']}, not {region}.")
        if target["Role"] == "PRIMARY":
            raise ApiError("InvalidParameterValueException",
                           f"Replication group {rg} is already the primary of global datastore {g.id}.")
        fail, g.fail_next = g.fail_next, None
        if fail == "reject":
            raise ApiError("InvalidGlobalReplicationGroupStateFault",
                           f"Global datastore {g.id} cannot fail over now: a member is being modified.")
        g.failovers += 1
        g.doc["Status"] = "modifying"
        g.pending = (time.monotonic() + g.failover_seconds, None if fail == "abort" else rg)
        return {"GlobalReplicationGroup": g.view(True)}

    def describe_replication_groups(self, args):
        rg = args.get("ReplicationGroupId")
        found = []
        for g in self.groups.values():
            for m in g.members:
                if rg in (None, m["ReplicationGroupId"]):
                    found.append({
                        "ReplicationGroupId": m["ReplicationGroupId"],
                        "Status": "modifying" if g.doc["Status"] == "modifying" else "available",
                        "GlobalReplicationGroupInfo": {
                            "GlobalReplicationGroupId": g.id,
                            "GlobalReplicationGroupMemberRole": m["Role"],
                        },
                    })
        if rg and not found:
            # Not a fault of the global-datastore operations: the replication group's own.
            raise ApiError("ReplicationGroupNotFoundFault", f"ReplicationGroup {rg} not found.")
        return {"ReplicationGroups": found}

    # -- control -------------------------------------------------------------------------

    def control(self, method, path, body):
        self.tick()
        if path == "state":
            return {gid: {**g.view(True), "failover_seconds": g.failover_seconds,
                          "fail_next_failover": g.fail_next, "failovers": g.failovers}
                    for gid, g in self.groups.items()}
        if path.startswith("groups/") and method == "POST":
            g = self.groups.get(path[len("groups/"):])
            if g is None:
                raise Reply(404, {"error": f"no group {path}"})
            if "failover_seconds" in body:
                g.failover_seconds = float(body["failover_seconds"])
            if "fail_next_failover" in body:
                g.fail_next = body["fail_next_failover"]
            for rg, role in body.get("roles", {}).items():
                for m in g.members:
                    if m["ReplicationGroupId"] == rg:
                        m["Role"] = role.upper()
            if "status" in body:
                g.doc["Status"] = body["status"]
            return {"ok": True}
        raise Reply(404, {"error": f"unknown control path {path}"})

    def throttled(self, retry_after):
        # AWS's common throttling error (not in any operation's list: every operation may say it).
        ns = MODEL.meta["xmlNamespace"]
        body = (f'<ErrorResponse xmlns="{ns}"><Error><Type>Sender</Type><Code>Throttling</Code>'
                f"<Message>Rate exceeded</Message></Error><RequestId>throttled</RequestId></ErrorResponse>")
        raise Reply(400, (XML, body.encode()))

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--seed")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args()

    class Bound(ElastiCacheServer):
        def __init__(self, addr, handler):
            super().__init__(addr, handler)
            if args.seed:
                self.load(json.loads(Path(args.seed).read_text()))

    serve(Bound, args.port, verbose=args.verbose)


if __name__ == "__main__":
    main()
