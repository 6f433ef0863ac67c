"""Workers KV for the Cloudflare stand-in (cloudflare_standin.py): namespaces of keys, listed
with cursor paging, read one at a time or a hundred at once (bulk/get), written (multipart
`value` + `metadata`, as the API takes it) and deleted, under /accounts/{id}/storage/kv/.

Eventual consistency, switchable: with `lag_seconds` N, every read (a value, a bulk read, a
key list) answers from the namespace as it was N seconds ago, as a Cloudflare location that
has not seen a write yet does (Cloudflare documents up to 60 s). Writes land at once.

Seed (under "kv" in the stand-in's seed):
    {"namespaces": {"NAMESPACE_ID": {"title": "tenants", "keys": {"tenant:acme": "sgp-1"}}},
     "lag_seconds": 0}
Control (no auth), under /__standin/kv/:
    POST consistency {"lag_seconds": 3}     reads lag writes by 3 s from now on (0: at once)
    POST NAMESPACE_ID/values/KEY {"value": "..."} or {"delete": true}   behind meridian's back
    GET  NAMESPACE_ID                       every key as stored now
"""

import base64
import json
import time
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import unquote

# The API's limits: a list page holds 10..1000 keys (1000 by default); a bulk read reads
# at most 100 keys; a key name is at most 512 bytes.
LIST_MAX = 1000
LIST_MIN = 10
BULK_MAX = 100


class Kv:
    def __init__(self, seed):
        seed = seed or {}
        self.lag = float(seed.get("lag_seconds", 0))
        # namespace id -> {"title": ..., "history": {key: [(time, value or None), ...]}}
        self.namespaces = {}
        for nid, ns in seed.get("namespaces", {}).items():
            hist = {k: [(0.0, v)] for k, v in ns.get("keys", {}).items()}
            self.namespaces[nid] = {"title": ns.get("title", nid), "history": hist}

    # -- what a read sees --------------------------------------------------------------------
    def visible(self, ns):
        """{key: value} as a reader sees it now: as of `lag` seconds ago."""
        horizon = time.monotonic() - self.lag if self.lag > 0 else float("inf")
        out = {}
        for key, versions in ns["history"].items():
            seen = [v for (t, v) in versions if t <= horizon]
            if seen and seen[-1] is not None:
                out[key] = seen[-1]
        return out

    def write(self, ns, key, value):
        ns["history"].setdefault(key, []).append((time.monotonic(), value))

    def now(self, ns):
        return {k: v[-1][1] for k, v in ns["history"].items() if v[-1][1] is not None}

    # -- the API -------------------------------------------------------------------------------
    def api(self, method, rest, query, raw, headers, fail, envelope, reply):
        """`rest`: the path after /storage/kv/namespaces, split. `fail(status, code, msg)`
        raises an error answer; `reply(status, body)` raises an answer."""
        if rest == [] and method == "GET":
            spaces = [{"id": nid, "title": ns["title"], "supports_url_encoding": True}
                      for nid, ns in self.namespaces.items()]
            reply(200, envelope(spaces, {"page": 1, "per_page": len(spaces) or 1,
                                         "count": len(spaces), "total_count": len(spaces),
                                         "total_pages": 1}))
        if not rest:
            fail(404, 7003, "Could not route to the namespaces path")
        ns = self.namespaces.get(rest[0]) or fail(404, 10013,
                                                   "list keys: 'namespace not found'")
        match rest[1:]:
            case ["keys"] if method == "GET":
                self.list_keys(ns, query, fail, envelope, reply)
            case ["bulk", "get"] if method == "POST":
                self.bulk_get(ns, raw, fail, envelope, reply)
            case ["values", key] if method == "GET":
                key = unquote(key)
                value = self.visible(ns).get(key)
                if value is None:
                    fail(404, 10009, "get: 'key not found'")
                reply(200, ("application/octet-stream", value.encode()))
            case ["values", key] if method == "PUT":
                key = unquote(key)
                self.check_key(key, fail)
                value = self.form_value(raw, headers, fail)
                self.write(ns, key, value)
                reply(200, envelope({}))
            case ["values", key] if method == "DELETE":
                self.write(ns, unquote(key), None)
                reply(200, envelope({}))
        fail(404, 7003, "Could not route to that Workers KV path")

    def list_keys(self, ns, query, fail, envelope, reply):
        try:
            limit = int(query.get("limit", LIST_MAX))
        except ValueError:
            fail(400, 10026, "limit must be a number")
        if not LIST_MIN <= limit <= LIST_MAX:
            fail(400, 10026, f"limit must be between {LIST_MIN} and {LIST_MAX}")
        prefix = query.get("prefix", "")
        after = ""
        if query.get("cursor"):
            try:
                after = base64.urlsafe_b64decode(query["cursor"].encode()).decode()
            except ValueError:
                fail(400, 10019, "list keys: 'invalid cursor'")
        names = sorted(k for k in self.visible(ns) if k.startswith(prefix) and k > after)
        page = names[:limit]
        more = len(names) > limit
        cursor = base64.urlsafe_b64encode(page[-1].encode()).decode() if more else ""
        reply(200, envelope([{"name": k} for k in page], {"count": len(page), "cursor": cursor}))

    def bulk_get(self, ns, raw, fail, envelope, reply):
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            fail(400, 10001, "bulk get: request body is not JSON")
        keys = body.get("keys")
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            fail(400, 10001, "bulk get: keys must be a list of key names")
        if len(keys) > BULK_MAX:
            fail(400, 10001, f"bulk get: at most {BULK_MAX} keys per request")
        as_json = body.get("type", "text") == "json"
        seen = self.visible(ns)
        values = {}
        for k in keys:
            v = seen.get(k)
            if v is not None and as_json:
                try:
                    v = json.loads(v)
                except json.JSONDecodeError:
                    fail(400, 10001, f"bulk get: the value of {k!r} is not JSON")
            values[k] = v
        reply(200, envelope({"values": values}))

    @staticmethod
    def check_key(key, fail):
        if not key or len(key.encode()) > 512:
            fail(400, 10025, "a key name is 1..512 bytes")
        if key in (".", ".."):
            fail(400, 10025, "a key name may not be . or ..")

    @staticmethod
    def form_value(raw, headers, fail):
        """The `value` part of a multipart/form-data body (the API requires `metadata` too)."""
        ctype = headers.get("Content-Type") or ""
        if not ctype.lower().startswith("multipart/form-data"):
            fail(400, 10001, "write key-value pair with metadata: expected multipart/form-data")
        msg = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {ctype}\r\n\r\n".encode() + raw)
        parts = {}
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            parts[name] = part.get_payload(decode=True).decode("utf-8", "replace")
        for required in ("value", "metadata"):
            if required not in parts:
                fail(400, 10001, f"multipart part {required!r} is required")
        try:
            json.loads(parts["metadata"])
        except json.JSONDecodeError:
            fail(400, 10001, "metadata must be JSON")
        return parts["value"]

    # -- control ---------------------------------------------------------------------------
    def control(self, method, parts, body, fail):
        match parts:
            case ["consistency"]:
                self.lag = float(body.get("lag_seconds", 0))
                return {"ok": True, "lag_seconds": self.lag}
            case [nid, "values", key]:
                ns = self.namespaces.setdefault(nid, {"title": nid, "history": {}})
                self.write(ns, unquote(key), None if body.get("delete") else body["value"])
                return {"ok": True}
            case [nid] if method == "GET":
                ns = self.namespaces.get(nid) or fail(404, 10013, f"no namespace {nid}")
                return {"keys": self.now(ns)}
        fail(404, 7000, f"no KV control route {'/'.join(parts)}")
