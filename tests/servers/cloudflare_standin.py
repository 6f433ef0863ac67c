#!/usr/bin/env python3
"""A stateful local stand-in for the Cloudflare v4 Load Balancing API, for meridian's tests
and lab. Standard library only; binds 127.0.0.1. See README.md here for how faithful it is.

    cloudflare_standin.py --port 0 --seed seed.json      prints "ready PORT" when listening

Every API request is checked against Cloudflare's published OpenAPI description (the subset
in contracts/cloudflare-openapi-subset.json): one that does not match is refused with 400
naming the field, and kept in GET /__standin/violations.

The seed (JSON) names the API tokens, the account's pools and the zone's load balancers:
    {"tokens": {"TOKEN": "write", "RO-TOKEN": "read"},
     "account_id": "...", "zone_id": "...",
     "pools": [{"id": "...", "name": "us-east-1", "origins": [...], "monitor": "..."}],
     "load_balancers": [{"id": "...", "name": "app.example.com", "default_pools": [...],
                         "fallback_pool": "...", "steering_policy": "random",
                         "random_steering": {"default_weight": 1, "pool_weights": {...}}}]}
    A load balancer may also carry region_pools / country_pools / pop_pools (code -> pool
    ids) for steering_policy "geo" (README.md here has a seed with one).

Control API (no auth), besides the common ones in standin_common.py:
    POST /__standin/pools/{id or name}/health   {"healthy": false} or {"unhealthy_pops": 1}
    POST /__standin/load_balancers/{id or name} a PATCH body applied behind meridian's back
    POST /__standin/pools/{id or name}          a pool PATCH body applied behind meridian's back
    GET  /__standin/state                       pools and load balancers as stored
    GET  /__standin/violations (DELETE clears)  requests the API description does not allow
    /__standin/kv/...                           Workers KV: see cloudflare_kv.py (its seed is
                                                under "kv"; eventual consistency switchable)
"""

import argparse
import copy
import json
import re
import sys
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cloudflare_kv import Kv  # noqa: E402
from standin_common import CONTRACTS, Contract, Reply, World, now_iso, serve  # noqa: E402

BASE = "/client/v4"
POPS = ["Ashburn, VA", "Frankfurt, DE", "Singapore, SG"]
STEERING = ["off", "geo", "random", "dynamic_latency", "proximity",
            "least_outstanding_requests", "least_connections", ""]
# Cloudflare's global rate limit answers 429 with error code 971, below the documented
# minimum of 1000 for error codes (load-balancing_messages): the real answer is kept.
CONTRACT = Contract(CONTRACTS / "cloudflare-openapi-subset.json", base=BASE,
                    tolerate=lambda status, field: status == 429
                    and re.fullmatch(r"errors\[\d+\]\.code", field) is not None)
# Keys of the geo steering maps: the document's region codes (load-balancing_region_code),
# ISO 3166-1 alpha-2 countries (country_pools; "US"), three-letter PoP codes (pop_pools; "LAX").
REGIONS = set(CONTRACT.doc["components"]["schemas"]["load-balancing_region_code"]["enum"])
POOL_MAPS = {
    "region_pools": ("region code", lambda c: c in REGIONS),
    "country_pools": ("country code", lambda c: re.fullmatch(r"[A-Z]{2}", c) is not None),
    "pop_pools": ("PoP code", lambda c: re.fullmatch(r"[A-Z]{3}", c) is not None),
}


def envelope(result, info=None):
    out = {"success": True, "errors": [], "messages": [], "result": result}
    if info is not None:
        out["result_info"] = info
    return out


def fail(status, code, message, headers=None):
    raise Reply(status, {"success": False, "errors": [{"code": code, "message": message}],
                         "messages": [], "result": None}, headers)


class CloudflareWorld(World):
    def __init__(self, seed, rate_limit, rate_window):
        super().__init__()
        self.tokens = seed.get("tokens", {})
        self.account = seed["account_id"]
        self.zone = seed["zone_id"]
        self.pools = {}
        self.lbs = {}
        self.health = {}  # pool id -> number of PoPs that see it unhealthy
        stamp = now_iso()
        for p in seed.get("pools", []):
            pool = {"enabled": True, "description": "", "minimum_origins": 1,
                    "check_regions": None, "notification_email": "", "created_on": stamp,
                    "modified_on": stamp, **p}
            self.pools[pool["id"]] = pool
            self.health[pool["id"]] = 0
        for lb in seed.get("load_balancers", []):
            full = {"enabled": True, "proxied": True, "ttl": 30, "steering_policy": "",
                    "session_affinity": "none", "description": "", "created_on": stamp,
                    "modified_on": stamp, "random_steering": {"default_weight": 1,
                                                              "pool_weights": {}},
                    "region_pools": {}, "country_pools": {}, "pop_pools": {}, **lb}
            self.lbs[full["id"]] = full
        self.kv = Kv(seed.get("kv"))
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.calls = {}  # token -> recent request times

    def find(self, table, key):
        if key in table:
            return table[key]
        for v in table.values():
            if v.get("name") == key:
                return v
        return None


class CloudflareServer(ThreadingHTTPServer):
    world: CloudflareWorld
    contract = CONTRACT

    def throttled(self, retry_after):
        fail(429, 971, "Please wait and consider throttling your request speed",
             {"Retry-After": retry_after})

    # -- the API ---------------------------------------------------------------------------
    def api(self, method, path, query, raw, headers, violations=()):
        w = self.world
        if not path.startswith(BASE + "/"):
            fail(404, 7000, "No route for that URI")
        token = self.authenticate(headers)
        self.rate(token)
        parts = path[len(BASE) + 1:].strip("/").split("/")
        writes = method in ("POST", "PUT", "PATCH", "DELETE")
        # Workers KV (cloudflare_kv.py): a bulk read is a POST that writes nothing, and a
        # value is written as multipart/form-data, not JSON.
        if parts[:1] == ["accounts"] and parts[2:5] == ["storage", "kv", "namespaces"]:
            if writes and parts[-2:] != ["bulk", "get"] and w.tokens.get(token) != "write":
                fail(403, 10000, "Authentication error")
            self.refuse(violations)
            self.account_ok(parts[1])

            def reply(status, body):
                raise Reply(status, body)
            w.kv.api(method, parts[5:], query, raw, headers, fail, envelope, reply)
        if writes and w.tokens.get(token) != "write":
            fail(403, 10000, "Authentication error")
        body = None
        if writes:
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                fail(400, 9207, "Request body is invalid JSON")
            if not isinstance(body, dict):
                fail(400, 9207, "Request body must be a JSON object")
        self.refuse(violations)
        match parts:
            case ["user", "tokens", "verify"] if method == "GET":
                raise Reply(200, envelope({"id": "standin-token", "status": "active"}))
            case ["accounts", acc, "load_balancers", "pools"] if method == "GET":
                self.account_ok(acc)
                self.page(list(w.pools.values()), query)
            case ["accounts", acc, "load_balancers", "pools", pid] if method in ("GET", "PATCH",
                                                                                 "PUT"):
                self.account_ok(acc)
                pool = w.pools.get(pid) or fail(404, 1003, "Pool not found")
                if method == "PATCH":
                    self.patch_pool(pool, body)
                elif method == "PUT":
                    for required in ("name", "origins"):
                        if required not in body:
                            fail(400, 1002, f"{required} is required")
                    keep = {k: pool[k] for k in ("id", "created_on")}
                    fresh = {"enabled": True, "description": "", "minimum_origins": 1,
                             "check_regions": None, "notification_email": ""}
                    self.patch_pool(fresh, body)
                    pool.clear()
                    pool.update({**fresh, **keep})
                raise Reply(200, envelope(pool))
            case ["accounts", acc, "load_balancers", "pools", pid, "health"] if method == "GET":
                self.account_ok(acc)
                pool = w.pools.get(pid) or fail(404, 1003, "Pool not found")
                raise Reply(200, envelope(self.pool_health(pool)))
            case ["zones", zone, "load_balancers"] if method == "GET":
                self.zone_ok(zone)
                self.page(list(w.lbs.values()), query)
            case ["zones", zone, "load_balancers", lid] if method in ("GET", "PATCH", "PUT"):
                self.zone_ok(zone)
                lb = w.lbs.get(lid) or fail(404, 1003, "Load balancer not found")
                if method == "PATCH":
                    self.patch_lb(lb, body)
                elif method == "PUT":
                    for required in ("name", "default_pools", "fallback_pool"):
                        if required not in body:
                            fail(400, 1002, f"{required} is required")
                    keep = {k: lb[k] for k in ("id", "created_on")}
                    fresh = {"enabled": True, "proxied": False, "ttl": 30, "steering_policy": "",
                             "session_affinity": "none", "description": "",
                             "random_steering": {"default_weight": 1, "pool_weights": {}},
                             "region_pools": {}, "country_pools": {}, "pop_pools": {}}
                    self.patch_lb(fresh, body)
                    lb.clear()
                    lb.update({**fresh, **keep})
                raise Reply(200, envelope(lb))
        fail(404, 7003, f"Could not route to {path}, perhaps your object identifier is invalid?")

    def refuse(self, violations):
        """A request the published API description does not allow: 400, one error per
        field, shaped as Cloudflare's validation answers are."""
        bad = [v for v in violations if v.get("operation")]
        if bad:
            raise Reply(400, {"success": False, "messages": [], "result": None, "errors": [
                {"code": 1002, "message": f"{v['where']} {v['field']}: expected {v['expected']}, "
                                          f"got {v['got']} (not allowed by the API schema of "
                                          f"{v['operation']})"} for v in bad]})

    def authenticate(self, headers):
        auth = headers.get("Authorization")
        if auth is None:
            if headers.get("X-Auth-Key") or headers.get("X-Auth-Email"):
                fail(403, 9103, "Unknown X-Auth-Key or X-Auth-Email")
            fail(400, 6003, "Invalid request headers")
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            fail(400, 6111, "Invalid format for Authorization header")
        token = auth[7:].strip()
        if token not in self.world.tokens:
            fail(401, 10000, "Authentication error")
        return token

    def rate(self, token):
        """Cloudflare's global limit: 1,200 requests per 5 minutes per user (here: per
        token), answered with 429 and Retry-After until the window has room again."""
        w = self.world
        now = time.monotonic()
        recent = [t for t in w.calls.get(token, []) if now - t < w.rate_window]
        if len(recent) >= w.rate_limit:
            wait = max(1, int(w.rate_window - (now - recent[0])) + 1)
            w.calls[token] = recent
            fail(429, 971, "Please wait and consider throttling your request speed",
                 {"Retry-After": wait})
        recent.append(now)
        w.calls[token] = recent

    def account_ok(self, acc):
        if acc != self.world.account:
            fail(403, 10000, "Authentication error")

    def zone_ok(self, zone):
        if zone != self.world.zone:
            fail(404, 1001, "Invalid zone identifier")

    def page(self, items, query):
        try:
            page = int(query.get("page", 1))
            per_page = int(query.get("per_page", 25))
        except ValueError:
            fail(400, 1001, "page and per_page must be integers")
        if page < 1 or not 5 <= per_page <= 100:
            fail(400, 1001, "page must be >= 1 and per_page 5..100")
        total = len(items)
        chunk = items[(page - 1) * per_page: page * per_page]
        pages = max(1, -(-total // per_page))
        raise Reply(200, envelope(chunk, {"page": page, "per_page": per_page,
                                          "count": len(chunk), "total_count": total,
                                          "total_pages": pages}))

    def patch_pool(self, pool, body):
        if "enabled" in body:
            if not isinstance(body["enabled"], bool):
                fail(400, 1002, "enabled must be a boolean")
            pool["enabled"] = body["enabled"]
            if body["enabled"]:
                pool.pop("disabled_at", None)
            else:
                pool.setdefault("disabled_at", now_iso())
        for k in ("description", "minimum_origins", "origins", "monitor", "name", "check_regions",
                  "latitude", "longitude", "origin_steering", "load_shedding",
                  "notification_email", "notification_filter"):
            if k in body:
                pool[k] = body[k]
        pool["modified_on"] = now_iso()

    def patch_lb(self, lb, body):
        w = self.world
        if "steering_policy" in body and body["steering_policy"] not in STEERING:
            fail(400, 1002, f"steering_policy must be one of {', '.join(map(repr, STEERING))}")
        for key in ("default_pools",):
            if key in body:
                pools = body[key]
                if not isinstance(pools, list) or not pools:
                    fail(400, 1002, "default_pools must be a non-empty list of pool ids")
                for pid in pools:
                    if pid not in w.pools:
                        fail(400, 1002, f"pool {pid} does not exist")
        if "fallback_pool" in body and body["fallback_pool"] not in w.pools:
            fail(400, 1002, f"fallback_pool {body['fallback_pool']} does not exist")
        for key, (what, code_ok) in POOL_MAPS.items():
            if key not in body:
                continue
            mapping = body[key]
            if not isinstance(mapping, dict):
                fail(400, 1002, f"{key} must be an object mapping a {what} to pool ids")
            for code, pools in mapping.items():
                if not code_ok(code):
                    fail(400, 1002, f"{key}: {code!r} is not a {what}")
                if not isinstance(pools, list) or not pools \
                        or not all(isinstance(p, str) for p in pools):
                    fail(400, 1002, f"{key}.{code} must be a non-empty list of pool ids")
                for pid in pools:
                    if pid not in w.pools:
                        fail(400, 1002, f"{key}.{code}: pool {pid} does not exist")
        if "random_steering" in body:
            rs = body["random_steering"]
            if not isinstance(rs, dict):
                fail(400, 1002, "random_steering must be an object")
            weights = rs.get("pool_weights", {})
            if not isinstance(weights, dict):
                fail(400, 1002, "random_steering.pool_weights must be an object")
            for pid, v in weights.items():
                if pid not in w.pools:
                    fail(400, 1002, f"random_steering.pool_weights: pool {pid} does not exist")
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1:
                    fail(400, 1002, f"random_steering.pool_weights[{pid}] must be a number 0..1")
            dw = rs.get("default_weight", 1)
            if isinstance(dw, bool) or not isinstance(dw, (int, float)) or not 0 <= dw <= 1:
                fail(400, 1002, "random_steering.default_weight must be a number 0..1")
            if round(dw * 10, 6) != round(dw * 10):
                fail(400, 1002, "random_steering.default_weight must be a multiple of 0.1")
        for k, v in body.items():
            if k in ("id", "created_on", "modified_on"):
                continue
            lb[k] = copy.deepcopy(v)
        lb["modified_on"] = now_iso()

    def pool_health(self, pool):
        """GET .../pools/{id}/health: per PoP, whether the pool and each origin look healthy.
        A disabled pool is not health-checked, so there is nothing to report."""
        if not pool.get("enabled", True):
            return {"pool_id": pool["id"], "pop_health": {}}
        bad = self.world.health.get(pool["id"], 0)
        pops = {}
        for i, pop in enumerate(POPS):
            healthy = i >= bad
            origins = [{o.get("address", o.get("name", "origin")): {
                "healthy": healthy, "rtt": "12.4ms" if healthy else "0s",
                "failure_reason": "No failures" if healthy else "HTTP timeout occurred",
                "response_code": 200 if healthy else 0}} for o in pool.get("origins", [])]
            pops[pop] = {"healthy": healthy, "origins": origins}
        return {"pool_id": pool["id"], "pop_health": pops}

    # -- control ---------------------------------------------------------------------------
    def control(self, method, path, body):
        w = self.world
        parts = path.strip("/").split("/")
        match parts:
            case ["state"]:
                return {"pools": list(w.pools.values()), "load_balancers": list(w.lbs.values())}
            case ["pools", key, "health"]:
                pool = w.find(w.pools, key) or fail(404, 1003, f"no pool {key}")
                if "unhealthy_pops" in body:
                    w.health[pool["id"]] = max(0, min(len(POPS), int(body["unhealthy_pops"])))
                else:
                    w.health[pool["id"]] = 0 if body.get("healthy", True) else len(POPS)
                return {"ok": True}
            case ["pools", key]:
                pool = w.find(w.pools, key) or fail(404, 1003, f"no pool {key}")
                self.patch_pool(pool, body)
                return pool
            case ["load_balancers", key]:
                lb = w.find(w.lbs, key) or fail(404, 1003, f"no load balancer {key}")
                self.patch_lb(lb, body)
                return lb
            case ["kv", *rest]:
                return w.kv.control(method, rest, body, fail)
        fail(404, 7000, f"no control route {path}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--seed", required=True, help="JSON file with tokens, pools, load balancers")
    ap.add_argument("--rate-limit", type=int, default=1200, help="requests per window per token")
    ap.add_argument("--rate-window", type=float, default=300.0, help="window in seconds")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    seed = json.loads(Path(args.seed).read_text())
    CloudflareServer.world = CloudflareWorld(seed, args.rate_limit, args.rate_window)
    serve(CloudflareServer, args.port, verbose=args.verbose)


if __name__ == "__main__":
    main()
