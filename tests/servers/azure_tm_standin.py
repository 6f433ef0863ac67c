#!/usr/bin/env python3
"""A stateful local stand-in for Azure Resource Manager's Traffic Manager API and the
Microsoft Entra OAuth2 token endpoint, for meridian's tests and lab. Standard library only;
binds 127.0.0.1 and serves HTTPS with a throwaway CA (made with the openssl command line in
--tls-dir; clients trust TLS_DIR/ca.pem). See README.md here for how faithful it is.

    azure_tm_standin.py --port 0 --tls-dir DIR --seed seed.json    prints "ready PORT"

Every ARM request is checked against the published Swagger description (the subset in
contracts/trafficmanager-2022-04-01-subset.json): one that does not match is refused with
400 InvalidRequestContent naming the field, and kept in GET /__standin/violations.

The seed (JSON):
    {"tenant_id": "...", "client_id": "...", "client_secret": "...",
     "subscription_id": "...", "resource_group": "rg-app",
     "profiles": [{"name": "app-tm", "trafficRoutingMethod": "Weighted",
                   "endpoints": [{"name": "eastus", "type": "azureEndpoints",
                                  "weight": 70, "endpointStatus": "Enabled",
                                  "target": "app-eastus.example.net"}]}]}
An endpoint may also carry priority (Priority routing), endpointLocation (Performance),
geoMapping (Geographic), subnets (Subnet); README.md here has seeds for each routing method.

Control API (no auth), besides the common ones in standin_common.py:
    POST /__standin/endpoints/{profile}/{endpoint}   {"monitor": "Degraded"} sets what the
         health probes see; any other keys (weight, endpointStatus, priority, geoMapping...)
         change the endpoint behind meridian's back (drift)
    POST /__standin/profiles/{profile}   a profile PATCH body ({"properties": {...}})
         applied behind meridian's back, with the same validation
    GET  /__standin/state
    GET  /__standin/violations (DELETE clears)  requests the API description does not allow
"""

import argparse
import copy
import json
import re
import secrets
import sys
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

sys.path.insert(0, str(Path(__file__).resolve().parent))
from standin_common import CONTRACTS, Contract, Reply, World, serve  # noqa: E402

API_VERSIONS = {"2018-08-01", "2022-04-01"}
KINDS = {k.lower(): k for k in ("azureEndpoints", "externalEndpoints", "nestedEndpoints")}
MONITOR = {"CheckingEndpoint", "Online", "Degraded", "Stopped", "Unmonitored"}
PROVIDER = "Microsoft.Network/trafficManagerProfiles"
CONTRACT = Contract(CONTRACTS / "trafficmanager-2022-04-01-subset.json",
                    scope=r"^/subscriptions/", fold=True)
ROUTING = CONTRACT.doc["definitions"]["TrafficRoutingMethod"]["enum"]
# Geographic codes as the geographic hierarchy writes them: WORLD, GEO-xx regions, ISO
# countries (US) and their subdivisions (US-CA). The hierarchy itself is not held here.
GEO_CODE = re.compile(r"^(WORLD|GEO-[A-Z]{2}|[A-Z]{2}(-[A-Z0-9]{1,3})?)$")


def arm_error(status, code, message, headers=None, target=None):
    body = {"code": code, "message": message}
    if target:
        body["target"] = target
    raise Reply(status, {"error": body}, headers)


class AzureWorld(World):
    def __init__(self, seed):
        super().__init__()
        self.tenant = seed["tenant_id"]
        self.client_id = seed["client_id"]
        self.client_secret = seed["client_secret"]
        self.subscription = seed["subscription_id"]
        self.group = seed["resource_group"]
        self.tokens = set()
        self.profiles = {}
        self.monitor = {}  # (profile, endpoint) -> what probes see when enabled
        for p in seed.get("profiles", []):
            name = p["name"]
            base = self.profile_id(name)
            endpoints = []
            for e in p.get("endpoints", []):
                kind = KINDS.get(e.get("type", "azureEndpoints").lower(), "azureEndpoints")
                props = {k: v for k, v in e.items() if k not in ("name", "type")}
                props.setdefault("endpointStatus", "Enabled")
                props.setdefault("weight", 1)
                endpoints.append({"id": f"{base}/{kind}/{e['name']}", "name": e["name"],
                                  "type": f"{PROVIDER}/{kind}", "properties": props})
                self.monitor[(name.lower(), e["name"].lower())] = "Online"
            routing = p.get("trafficRoutingMethod", "Weighted")
            try:
                validate_profile(endpoints, routing)
            except Reply as r:
                sys.exit(f"azure_tm_standin: seed profile {name}: {r.body['error']['message']}")
            self.profiles[name.lower()] = {
                "id": base, "name": name, "type": PROVIDER, "location": "global", "tags": {},
                "properties": {
                    "profileStatus": p.get("profileStatus", "Enabled"),
                    "trafficRoutingMethod": routing,
                    "dnsConfig": {"relativeName": name, "fqdn": f"{name}.trafficmanager.net",
                                  "ttl": 30},
                    "monitorConfig": {"protocol": "HTTPS", "port": 443, "path": "/healthz",
                                      "intervalInSeconds": 30, "timeoutInSeconds": 10,
                                      "toleratedNumberOfFailures": 3},
                    "endpoints": endpoints, "trafficViewEnrollmentStatus": "Disabled",
                    **({"maxReturn": p["maxReturn"]} if "maxReturn" in p else {})}}

    def profile_id(self, name):
        return (f"/subscriptions/{self.subscription}/resourceGroups/{self.group}"
                f"/providers/{PROVIDER}/{name}")

    def view(self, profile):
        """The profile as ARM returns it: monitor statuses are computed, never stored."""
        out = copy.deepcopy(profile)
        props = out["properties"]
        statuses = []
        for e in props["endpoints"]:
            ep = e["properties"]
            if ep.get("endpointStatus") == "Disabled" or props["profileStatus"] == "Disabled":
                ep["endpointMonitorStatus"] = "Disabled"
            else:
                ep["endpointMonitorStatus"] = self.monitor.get(
                    (out["name"].lower(), e["name"].lower()), "Online")
            statuses.append(ep["endpointMonitorStatus"])
        enabled = [s for s in statuses if s != "Disabled"]
        if props["profileStatus"] == "Disabled":
            status = "Disabled"
        elif not enabled:
            status = "Inactive"  # every endpoint disabled: DNS has nothing to answer with
        elif "Online" in enabled:
            status = "Online" if all(s == "Online" for s in enabled) else "Degraded"
        elif all(s == "CheckingEndpoint" for s in enabled):
            status = "CheckingEndpoints"
        else:
            status = "Degraded"
        props["monitorConfig"]["profileMonitorStatus"] = status
        return out


def bad_request(message, target=None):
    arm_error(400, "BadRequest", message, target=target)


def validate_endpoint(e, routing):
    """One endpoint's own values. Stricter than the Swagger types where ARM is: weight and
    priority are documented as 1..1000 in prose, and ARM refuses values outside that."""
    props = e.get("properties")
    name = e.get("name", "?")
    if not isinstance(props, dict):
        bad_request(f"Endpoint '{name}' has no properties.")
    status = props.get("endpointStatus", "Enabled")
    if status not in ("Enabled", "Disabled"):
        bad_request(f"The endpointStatus of endpoint '{name}' must be 'Enabled' or 'Disabled'.")
    weight = props.get("weight")
    if routing == "Weighted" or weight is not None:
        if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= 1000:
            bad_request(f"The weight of endpoint '{name}' must be an integer between 1 and 1000.")
    priority = props.get("priority")
    if priority is not None:
        if isinstance(priority, bool) or not isinstance(priority, int) \
                or not 1 <= priority <= 1000:
            bad_request(f"The priority of endpoint '{name}' must be an integer between 1 and "
                        "1000.")
    geo = props.get("geoMapping")
    if geo is not None:
        if not isinstance(geo, list) or not all(isinstance(c, str) for c in geo):
            bad_request(f"The geoMapping of endpoint '{name}' must be a list of region codes.")
        for code in geo:
            if not GEO_CODE.match(code):
                bad_request(f"'{code}' in the geoMapping of endpoint '{name}' is not a "
                            "geographic region code.")


def validate_profile(endpoints, routing):
    """The rules that span a profile's endpoints, per routing method. May fill in
    priorities (ARM numbers a Priority profile's endpoints in order when none is given)."""
    if routing not in ROUTING:
        bad_request(f"Traffic routing method '{routing}' is not supported.")
    for e in endpoints:
        validate_endpoint(e, routing)
    props = [e["properties"] for e in endpoints]
    if routing == "Priority":
        given = [p for p in props if p.get("priority") is not None]
        if not given:
            for i, p in enumerate(props, 1):
                p["priority"] = i
        elif len(given) != len(props):
            missing = [e["name"] for e in endpoints if e["properties"].get("priority") is None]
            bad_request("Endpoint priority must be specified on all endpoints or on none; it is "
                        f"missing on {', '.join(missing)}.")
        seen = {}
        for e in endpoints:
            pr = e["properties"]["priority"]
            if pr in seen:
                bad_request(f"Endpoints '{seen[pr]}' and '{e['name']}' have the same priority "
                            f"{pr}; priorities must be unique within a profile.")
            seen[pr] = e["name"]
    if routing == "Performance":
        for e in endpoints:
            kind = (e.get("type") or "").split("/")[-1].lower()
            if kind in ("externalendpoints", "nestedendpoints") \
                    and not e["properties"].get("endpointLocation"):
                bad_request(f"Endpoint '{e['name']}' needs an endpointLocation: external and "
                            "nested endpoints of a Performance profile must name their "
                            "location.")
    if routing == "Geographic":
        owner = {}
        for e in endpoints:
            codes = e["properties"].get("geoMapping") or []
            if not codes:
                bad_request(f"Endpoint '{e['name']}' of a Geographic profile must have at least "
                            "one geographic region in geoMapping.")
            for code in codes:
                if code in owner:
                    bad_request(f"The geographic region '{code}' is mapped to both '{owner[code]}'"
                                f" and '{e['name']}'; a region may be mapped to one endpoint "
                                "only.")
                owner[code] = e["name"]


class AzureServer(ThreadingHTTPServer):
    world: AzureWorld
    contract = CONTRACT

    def throttled(self, retry_after):
        arm_error(429, "SubscriptionRequestsThrottled",
                  "Number of requests for subscription exceeded the limit. Please try again "
                  f"after {retry_after} seconds.", {"Retry-After": retry_after})

    def refuse(self, violations, rid):
        """A request the published Swagger description does not allow: 400 naming the
        first field (ARM answers one error with a target)."""
        bad = [v for v in violations if v.get("operation")]
        if bad:
            v = bad[0]
            more = f" ({len(bad) - 1} more)" if len(bad) > 1 else ""
            arm_error(400, "InvalidRequestContent",
                      f"The request content was invalid: {v['where']} '{v['field']}': expected "
                      f"{v['expected']}, got {v['got']}{more}.", rid, target=v["field"])

    def api(self, method, path, query, raw, headers, violations=()):
        w = self.world
        parts = path.strip("/").split("/")
        if len(parts) == 4 and parts[1:] == ["oauth2", "v2.0", "token"] and method == "POST":
            self.token(parts[0], raw)
        rid = {"x-ms-request-id": secrets.token_hex(8)}
        if "api-version" not in query:
            arm_error(400, "MissingApiVersionParameter",
                      "The api-version query parameter (?api-version=) is required for all "
                      "requests.", rid)
        if query["api-version"] not in API_VERSIONS:
            arm_error(400, "NoRegisteredProviderFound",
                      f"No registered resource provider found for location 'global' and API "
                      f"version '{query['api-version']}' for type 'trafficManagerProfiles'. "
                      f"The supported api-versions are '{', '.join(sorted(API_VERSIONS))}'.", rid)
        auth = headers.get("Authorization")
        if not auth:
            arm_error(401, "AuthenticationFailed",
                      "Authentication failed. The 'Authorization' header is missing.", rid)
        if not auth.startswith("Bearer ") or auth[7:] not in w.tokens:
            arm_error(401, "InvalidAuthenticationToken",
                      "The access token is invalid.", rid)
        low = [p.lower() for p in parts]
        if len(low) < 2 or low[0] != "subscriptions":
            arm_error(404, "InvalidResourceType", "The resource type could not be found.", rid)
        if parts[1] != w.subscription:
            arm_error(404, "SubscriptionNotFound", f"The subscription '{parts[1]}' could not "
                      "be found.", rid)
        self.refuse(violations, rid)
        if low[2:] == ["providers", "microsoft.network", "trafficmanagerprofiles"] \
                and method == "GET":
            raise Reply(200, {"value": [w.view(p) for p in w.profiles.values()]}, rid)
        if len(low) < 7 or low[2] != "resourcegroups" \
                or low[4:7] != ["providers", "microsoft.network", "trafficmanagerprofiles"]:
            arm_error(404, "InvalidResourceType", "The resource type could not be found.", rid)
        if low[3] != w.group.lower():
            arm_error(404, "ResourceGroupNotFound",
                      f"Resource group '{parts[3]}' could not be found.", rid)
        if len(parts) == 7:
            if method != "GET":
                arm_error(405, "MethodNotAllowed", f"{method} is not allowed here.", rid)
            raise Reply(200, {"value": [w.view(p) for p in w.profiles.values()]}, rid)
        profile = w.profiles.get(low[7])
        if profile is None:
            arm_error(404, "ResourceNotFound", f"The Resource '{PROVIDER}/{parts[7]}' under "
                      f"resource group '{parts[3]}' was not found.", rid)
        body = None
        if method in ("PUT", "PATCH"):
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError as e:
                arm_error(400, "InvalidRequestContent", f"The request content was invalid and "
                          f"could not be deserialized: {e}", rid)
        if len(parts) == 8:
            if method == "PATCH" or method == "PUT":
                self.update_profile(profile, body, replace=method == "PUT")
            elif method != "GET":
                arm_error(405, "MethodNotAllowed", f"{method} is not allowed here.", rid)
            raise Reply(200, w.view(profile), rid)
        if len(parts) == 10 and low[8] in KINDS:
            self.endpoint(profile, KINDS[low[8]], parts[9], method, body, rid)
        arm_error(404, "NotFound", "The requested resource was not found.", rid)

    def endpoint(self, profile, kind, name, method, body, rid):
        """GET, PATCH (properties merged) and PUT (properties replaced; creates the endpoint
        when it is not there) of one endpoint; the whole profile is validated after."""
        w = self.world
        eps = profile["properties"]["endpoints"]
        idx = next((i for i, e in enumerate(eps) if e["name"].lower() == name.lower()), None)
        if idx is not None and eps[idx]["type"].split("/")[-1] != kind:
            idx = None  # ARM addresses an endpoint by its type and name
        if method == "GET" or (method == "PATCH" and idx is None):
            if idx is None:
                arm_error(404, "NotFound", f"Endpoint '{name}' was not found.", rid)
            raise Reply(200, w.view(profile)["properties"]["endpoints"][idx], rid)
        if method not in ("PATCH", "PUT"):
            arm_error(405, "MethodNotAllowed", f"{method} is not allowed here.", rid)
        if not isinstance(body, dict) or not isinstance(body.get("properties", {}), dict):
            arm_error(400, "BadRequest", "The request body must be an endpoint object.", rid)
        given = {k: v for k, v in body.get("properties", {}).items()
                 if k != "endpointMonitorStatus"}
        new = copy.deepcopy(eps)
        if idx is None:
            given.setdefault("endpointStatus", "Enabled")
            new.append({"id": f"{profile['id']}/{kind}/{name}", "name": name,
                        "type": f"{PROVIDER}/{kind}", "properties": given})
            idx = len(new) - 1
        elif method == "PUT":
            new[idx]["properties"] = given
        else:
            new[idx]["properties"].update(given)
        validate_profile(new, profile["properties"]["trafficRoutingMethod"])
        created = len(new) > len(eps)
        profile["properties"]["endpoints"] = new
        w.monitor.setdefault((profile["name"].lower(), name.lower()), "Online")
        raise Reply(201 if created else 200, w.view(profile)["properties"]["endpoints"][idx], rid)

    def update_profile(self, profile, body, replace):
        """PATCH merges properties, PUT replaces them; an `endpoints` array replaces the
        profile's endpoints in both (ARM arrays are never merged). All or nothing: the
        profile is validated as a whole under its (possibly new) routing method."""
        if not isinstance(body, dict) or not isinstance(body.get("properties", {}), dict):
            arm_error(400, "BadRequest", "The request body must be a profile object.")
        props = body.get("properties", {})
        routing = props.get("trafficRoutingMethod",
                            profile["properties"]["trafficRoutingMethod"])
        new = copy.deepcopy(profile["properties"]) if not replace else {
            "dnsConfig": profile["properties"]["dnsConfig"],
            "monitorConfig": profile["properties"]["monitorConfig"],
            "profileStatus": "Enabled", "trafficRoutingMethod": routing, "endpoints": []}
        for k, v in props.items():
            if k == "endpoints":
                if not isinstance(v, list):
                    arm_error(400, "BadRequest", "endpoints must be an array.")
                names = [e.get("name", "").lower() for e in v]
                if len(set(names)) != len(names):
                    arm_error(400, "BadRequest", "Endpoint names must be unique in a profile.")
                eps = []
                for e in v:
                    validate_endpoint(e, routing)
                    kind = KINDS.get((e.get("type") or f"{PROVIDER}/azureEndpoints")
                                     .split("/")[-1].lower())
                    if kind is None:
                        arm_error(400, "BadRequest", f"Unknown endpoint type '{e.get('type')}'.")
                    ep = {"id": f"{profile['id']}/{kind}/{e['name']}", "name": e["name"],
                          "type": f"{PROVIDER}/{kind}",
                          "properties": {k2: v2 for k2, v2 in e["properties"].items()
                                         if k2 != "endpointMonitorStatus"}}
                    eps.append(ep)
                new["endpoints"] = eps
            elif k == "monitorConfig":
                new["monitorConfig"] = {**new["monitorConfig"],
                                        **{a: b for a, b in v.items()
                                           if a != "profileMonitorStatus"}}
            elif k in ("profileStatus", "trafficRoutingMethod", "dnsConfig",
                       "trafficViewEnrollmentStatus", "maxReturn", "allowedEndpointRecordTypes"):
                new[k] = v
        validate_profile(new["endpoints"], new["trafficRoutingMethod"])
        for e in new["endpoints"]:
            self.world.monitor.setdefault((profile["name"].lower(), e["name"].lower()),
                                          "Online")
        profile["properties"] = new

    def token(self, tenant, raw):
        """Microsoft Entra v2.0 client-credentials grant, with its error shapes."""
        w = self.world
        form = {k: v[-1] for k, v in parse_qs(raw.decode()).items()}
        if tenant != w.tenant:
            raise Reply(400, {"error": "invalid_request", "error_codes": [90002],
                              "error_description": f"AADSTS90002: Tenant '{tenant}' not found."})
        if form.get("grant_type") != "client_credentials":
            raise Reply(400, {"error": "unsupported_grant_type", "error_codes": [70003],
                              "error_description": "AADSTS70003: The app requested an "
                              "unsupported grant type."})
        if form.get("client_id") != w.client_id or form.get("client_secret") != w.client_secret:
            raise Reply(401, {"error": "invalid_client", "error_codes": [7000215],
                              "error_description": "AADSTS7000215: Invalid client secret "
                              "provided."})
        if not form.get("scope", "").endswith("/.default"):
            raise Reply(400, {"error": "invalid_scope", "error_codes": [1002012],
                              "error_description": "AADSTS1002012: The provided value for "
                              "scope is not valid."})
        token = "standin-" + secrets.token_urlsafe(24)
        w.tokens.add(token)
        raise Reply(200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                          "access_token": token})

    def control(self, method, path, body):
        w = self.world
        parts = path.strip("/").split("/")
        match parts:
            case ["state"]:
                return {"profiles": [w.view(p) for p in w.profiles.values()]}
            case ["profiles", profile]:
                p = w.profiles.get(profile.lower())
                if p is None:
                    arm_error(404, "NotFound", f"no profile {profile}")
                self.update_profile(p, body, replace=False)
                return w.view(p)
            case ["endpoints", profile, endpoint]:
                p = w.profiles.get(profile.lower())
                ep = p and next((e for e in p["properties"]["endpoints"]
                                 if e["name"].lower() == endpoint.lower()), None)
                if ep is None:
                    arm_error(404, "NotFound", f"no endpoint {profile}/{endpoint}")
                if "monitor" in body:
                    if body["monitor"] not in MONITOR:
                        arm_error(400, "BadRequest", f"monitor must be one of {sorted(MONITOR)}")
                    w.monitor[(profile.lower(), endpoint.lower())] = body["monitor"]
                ep["properties"].update({k: v for k, v in body.items() if k != "monitor"})
                return w.view(p)
        arm_error(404, "NotFound", f"no control route {path}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--tls-dir", required=True, help="where the throwaway CA and cert live")
    ap.add_argument("--seed", required=True)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    AzureServer.world = AzureWorld(json.loads(Path(args.seed).read_text()))
    serve(AzureServer, args.port, tls_dir=args.tls_dir, verbose=args.verbose)


if __name__ == "__main__":
    main()
