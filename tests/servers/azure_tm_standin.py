#!/usr/bin/env python3
"""A stateful local stand-in for Azure Resource Manager's Traffic Manager API and the
Microsoft Entra OAuth2 token endpoint, for meridian's tests and lab. Standard library only;
binds 127.0.0.1 and serves HTTPS with a throwaway CA (made with the openssl command line in
--tls-dir; clients trust TLS_DIR/ca.pem). See README.md here for how faithful it is.

    azure_tm_standin.py --port 0 --tls-dir DIR --seed seed.json    prints "ready PORT"

The seed (JSON):
    {"tenant_id": "...", "client_id": "...", "client_secret": "...",
     "subscription_id": "...", "resource_group": "rg-app",
     "profiles": [{"name": "app-tm", "trafficRoutingMethod": "Weighted",
                   "endpoints": [{"name": "eastus", "type": "azureEndpoints",
                                  "weight": 70, "endpointStatus": "Enabled",
                                  "target": "app-eastus.example.net"}]}]}

Control API (no auth), besides the common ones in standin_common.py:
    POST /__standin/endpoints/{profile}/{endpoint}   {"monitor": "Degraded"} sets what the
         health probes see; any other keys (weight, endpointStatus) change the endpoint
         behind meridian's back (drift)
    GET  /__standin/state
"""

import argparse
import copy
import json
import secrets
import sys
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

sys.path.insert(0, str(Path(__file__).resolve().parent))
from standin_common import Reply, World, serve  # noqa: E402

API_VERSIONS = {"2018-08-01", "2022-04-01"}
KINDS = {"azureEndpoints", "externalEndpoints", "nestedEndpoints"}
MONITOR = {"CheckingEndpoint", "Online", "Degraded", "Stopped", "Unmonitored"}
PROVIDER = "Microsoft.Network/trafficManagerProfiles"


def arm_error(status, code, message, headers=None):
    raise Reply(status, {"error": {"code": code, "message": message}}, headers)


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
                kind = e.get("type", "azureEndpoints")
                props = {k: v for k, v in e.items() if k not in ("name", "type")}
                props.setdefault("endpointStatus", "Enabled")
                props.setdefault("weight", 1)
                endpoints.append({"id": f"{base}/{kind}/{e['name']}", "name": e["name"],
                                  "type": f"{PROVIDER}/{kind}", "properties": props})
                self.monitor[(name.lower(), e["name"].lower())] = "Online"
            self.profiles[name.lower()] = {
                "id": base, "name": name, "type": PROVIDER, "location": "global", "tags": {},
                "properties": {
                    "profileStatus": p.get("profileStatus", "Enabled"),
                    "trafficRoutingMethod": p.get("trafficRoutingMethod", "Weighted"),
                    "dnsConfig": {"relativeName": name, "fqdn": f"{name}.trafficmanager.net",
                                  "ttl": 30},
                    "monitorConfig": {"protocol": "HTTPS", "port": 443, "path": "/healthz",
                                      "intervalInSeconds": 30, "timeoutInSeconds": 10,
                                      "toleratedNumberOfFailures": 3},
                    "endpoints": endpoints, "trafficViewEnrollmentStatus": "Disabled"}}

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


def validate_endpoint(e, routing):
    props = e.get("properties")
    name = e.get("name", "?")
    if not isinstance(props, dict):
        arm_error(400, "BadRequest", f"Endpoint '{name}' has no properties.")
    status = props.get("endpointStatus", "Enabled")
    if status not in ("Enabled", "Disabled"):
        arm_error(400, "BadRequest",
                  f"The endpointStatus of endpoint '{name}' must be 'Enabled' or 'Disabled'.")
    weight = props.get("weight")
    if routing == "Weighted" or weight is not None:
        if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= 1000:
            arm_error(400, "BadRequest",
                      f"The weight of endpoint '{name}' must be an integer between 1 and 1000.")


class AzureServer(ThreadingHTTPServer):
    world: AzureWorld

    def throttled(self, retry_after):
        arm_error(429, "SubscriptionRequestsThrottled",
                  "Number of requests for subscription exceeded the limit. Please try again "
                  f"after {retry_after} seconds.", {"Retry-After": retry_after})

    def api(self, method, path, query, raw, headers):
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
        if len(low) < 8 or low[0] != "subscriptions" or low[2] != "resourcegroups" \
                or low[4:7] != ["providers", "microsoft.network", "trafficmanagerprofiles"]:
            arm_error(404, "InvalidResourceType", "The resource type could not be found.", rid)
        if parts[1] != w.subscription:
            arm_error(404, "SubscriptionNotFound", f"The subscription '{parts[1]}' could not "
                      "be found.", rid)
        if low[3] != w.group.lower():
            arm_error(404, "ResourceGroupNotFound",
                      f"Resource group '{parts[3]}' could not be found.", rid)
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
        if len(parts) == 10 and parts[8] in KINDS:
            view = w.view(profile)
            idx = next((i for i, e in enumerate(profile["properties"]["endpoints"])
                        if e["name"].lower() == low[9]), None)
            if idx is None:
                arm_error(404, "NotFound", f"Endpoint '{parts[9]}' was not found.", rid)
            if method in ("PATCH", "PUT"):
                ep = profile["properties"]["endpoints"][idx]
                merged = copy.deepcopy(ep)
                merged["properties"].update((body or {}).get("properties", {}))
                validate_endpoint(merged, profile["properties"]["trafficRoutingMethod"])
                profile["properties"]["endpoints"][idx] = merged
                view = w.view(profile)
            raise Reply(200, view["properties"]["endpoints"][idx], rid)
        arm_error(404, "NotFound", "The requested resource was not found.", rid)

    def update_profile(self, profile, body, replace):
        """PATCH merges properties, PUT replaces them; an `endpoints` array replaces the
        profile's endpoints in both (ARM arrays are never merged). All or nothing."""
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
                    kind = e.get("type", f"{PROVIDER}/azureEndpoints").split("/")[-1]
                    if kind not in KINDS:
                        arm_error(400, "BadRequest", f"Unknown endpoint type '{kind}'.")
                    ep = {"id": f"{profile['id']}/{kind}/{e['name']}", "name": e["name"],
                          "type": f"{PROVIDER}/{kind}",
                          "properties": {k2: v2 for k2, v2 in e["properties"].items()
                                         if k2 != "endpointMonitorStatus"}}
                    eps.append(ep)
                    self.world.monitor.setdefault((profile["name"].lower(), e["name"].lower()),
                                                  "Online")
                new["endpoints"] = eps
            elif k == "monitorConfig":
                new["monitorConfig"] = {**new["monitorConfig"],
                                        **{a: b for a, b in v.items()
                                           if a != "profileMonitorStatus"}}
            elif k in ("profileStatus", "trafficRoutingMethod", "dnsConfig",
                       "trafficViewEnrollmentStatus", "maxReturn"):
                new[k] = v
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
