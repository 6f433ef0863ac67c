"""Plumbing shared by meridian's vendor stand-ins (Cloudflare, Azure Traffic Manager).

Python 3.11 standard library only. Each stand-in is a stateful HTTP server on 127.0.0.1 that
follows its vendor's published API shapes; this module gives them what every one of them
needs: JSON in and out, a request log, injected throttling (429 + Retry-After), a "black
hole" that accepts a request and never answers, and a control API under /__standin/ that
tests and the lab use to change the world behind meridian's back.

It also checks every API request (and the stand-in's own answer) against the vendor's
published API description, cut down to the operations meridian uses (contracts/ here):
`Contract` finds the operation by method and path template and validates path and query
parameters and the JSON body with a small JSON-Schema/OpenAPI/Swagger validator. What does
not match is kept as a violation (GET /__standin/violations) and the stand-in refuses the
request with a 400 naming the field, so a mistake in meridian's requests cannot pass here.
"""

import json
import math
import re
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

CONTROL = "/__standin/"


class Reply(Exception):
    """Raised by a handler to answer at once: status, JSON body, extra headers."""

    def __init__(self, status, body, headers=None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


class World:
    """State shared by all request threads; every handler runs under `lock`."""

    def __init__(self):
        self.lock = threading.RLock()
        self.requests = []  # every API request: method, path, query, body
        self.throttle = 0  # the next N API requests answer 429
        self.retry_after = 1
        self.hang = False  # API requests are accepted and never answered
        self.drift_after_write = None  # a control call replayed right after the next write
        self.violations = []  # requests (and answers) the API description does not allow

    def log(self, method, path, query, body):
        self.requests.append({"method": method, "path": path, "query": query, "body": body})

    def violated(self, found):
        for v in found:
            v["seq"] = len(self.requests)  # the request (1-based) that it came with
            self.violations.append(v)
            sys.stderr.write(f"standin: contract violation: {describe(v)}\n")


class Handler(BaseHTTPRequestHandler):
    """Routes /__standin/ to `control` and everything else to `api` (both on the server)."""

    protocol_version = "HTTP/1.1"
    server_version = "meridian-standin/1"

    def log_message(self, fmt, *args):  # quiet: tests read the request log instead
        if getattr(self.server, "verbose", False):
            sys.stderr.write("standin: " + (fmt % args) + "\n")

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        return raw

    def _send(self, status, body, headers=None, content_type="application/json"):
        data = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.end_headers()
        self.wfile.write(data)

    def _dispatch(self, method):
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        raw = self._body()
        server = self.server
        world = server.world
        contract = getattr(server, "contract", None)
        match = None
        try:
            if url.path.startswith(CONTROL):
                body = json.loads(raw or b"{}")
                with world.lock:
                    result = common_control(world, method, url.path[len(CONTROL):], body)
                    if result is None:
                        result = server.control(method, url.path[len(CONTROL):], body)
                raise Reply(200, result if result is not None else {"ok": True})
            found = []
            if contract is not None:
                match, found = contract.check_request(method, url.path, query, raw, self.headers)
            with world.lock:
                hang = world.hang
                throttled = world.throttle > 0
                if throttled:
                    world.throttle -= 1
                world.log(method, url.path, query, raw.decode("utf-8", "replace"))
                world.violated(found)
            if hang:
                # A black hole: the connection stays open and nothing comes back.
                while True:
                    time.sleep(3600)
            if throttled:
                server.throttled(world.retry_after)
            with world.lock:
                try:
                    server.api(method, url.path, query, raw, self.headers, found)
                except Reply as r:
                    # Someone else's change landing between meridian's write and its read-back.
                    if method in ("PATCH", "PUT") and r.status < 300 and world.drift_after_write:
                        path, body = world.drift_after_write
                        world.drift_after_write = None
                        server.control("POST", path, body)
                    raise
            raise Reply(500, {"error": "handler returned nothing"})
        except Reply as r:
            if match is not None and not isinstance(r.body, tuple):
                wrong = contract.check_response(match, r.status, r.body)
                if wrong:
                    with world.lock:
                        world.violated(wrong)
            if isinstance(r.body, tuple):  # (content type, bytes)
                self._send(r.status, r.body[1], r.headers, r.body[0])
            else:
                self._send(r.status, r.body, r.headers)
        except json.JSONDecodeError as e:
            self._send(400, {"error": f"control body is not JSON: {e}"})

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_PATCH(self):
        self._dispatch("PATCH")

    def do_DELETE(self):
        self._dispatch("DELETE")


def common_control(world, method, path, body):
    """Control calls every stand-in answers; None when the path is the stand-in's own."""
    if path == "requests" and method == "GET":
        return {"requests": world.requests}
    if path == "requests" and method == "DELETE":
        world.requests.clear()
        return {"ok": True}
    if path == "throttle":
        world.throttle = int(body.get("count", 1))
        world.retry_after = int(body.get("retry_after", 1))
        return {"ok": True}
    if path == "drift_after_write":
        # {"path": "<a control path>", "body": {...}}: applied right after the next write.
        world.drift_after_write = (body["path"], body.get("body", {}))
        return {"ok": True}
    if path == "violations" and method == "GET":
        return {"violations": world.violations}
    if path == "violations" and method == "DELETE":
        world.violations.clear()
        return {"ok": True}
    if path == "hang":
        world.hang = bool(body.get("hang", True))
        return {"ok": True}
    return None


def serve(server_cls, port, tls_dir=None, verbose=False):
    """Bind 127.0.0.1:port (0: any free port), print `ready PORT` and serve forever."""
    server = server_cls(("127.0.0.1", port), Handler)
    server.verbose = verbose
    server.daemon_threads = True
    if tls_dir:
        cert, key = ensure_cert(Path(tls_dir))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print(f"ready {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


def ensure_cert(d):
    """A throwaway CA and a certificate for 127.0.0.1/localhost signed by it, made with the
    openssl command line (the standard library cannot make certificates). Clients trust
    `ca.pem`; nothing here is valid for more than a few days."""
    d.mkdir(parents=True, exist_ok=True)
    cert, key, ca = d / "cert.pem", d / "key.pem", d / "ca.pem"
    if cert.exists() and key.exists() and ca.exists():
        return cert, key
    ext = d / "leaf.ext"
    ext.write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
        "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
    )
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run = lambda *a: subprocess.run(["openssl", *a], check=True, capture_output=True)  # noqa: E731
    run("req", "-x509", *ec, "-keyout", str(d / "ca.key"), "-out", str(ca), "-days", "3",
        "-subj", "/CN=meridian stand-in test CA")
    run("req", *ec, "-keyout", str(key), "-out", str(d / "leaf.csr"), "-subj", "/CN=localhost")
    run("x509", "-req", "-in", str(d / "leaf.csr"), "-CA", str(ca), "-CAkey", str(d / "ca.key"),
        "-CAcreateserial", "-out", str(cert), "-days", "3", "-extfile", str(ext))
    return cert, key


def now_iso():
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())


# -- contract checking ---------------------------------------------------------------------
#
# A compact validator for what the contract subsets (contracts/*.json) actually use: $ref,
# type, nullable (OpenAPI 3.0) and x-nullable (Swagger), properties, required,
# additionalProperties, enum, items, allOf/anyOf/oneOf, minimum/maximum (and the exclusive
# forms), multipleOf, minLength/maxLength, pattern, minItems/maxItems, uniqueItems, and the
# date-time format. readOnly is not enforced (the documents only say such fields SHOULD NOT
# be sent). oneOf is read as anyOf: the vendors' oneOf branches overlap.

CONTRACTS = Path(__file__).resolve().parent / "contracts"


def describe(v):
    """One line for a violation: operation, field, what was expected, what came."""
    op = v.get("operation") or "no documented operation"
    return f"{op}: {v['where']} {v['field']}: expected {v['expected']}, got {v['got']}"


def shown(value, limit=80):
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def kind_of(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def type_ok(t, value):
    if t == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if t == "integer":
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    return kind_of(value) == t


def same(a, b, fold=False):
    """Enum equality: type-strict for booleans, case-insensitive when `fold`."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if fold and isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    return a == b


DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


class Match:
    def __init__(self, method, template, op, params):
        self.method = method
        self.template = template
        self.op = op
        self.params = params  # path parameter values by name

    @property
    def label(self):
        return f"{self.method} {self.template} ({self.op.get('operationId', '?')})"


class Contract:
    """A vendor's API description subset: find the operation of a request, validate the
    request against it, and validate the stand-in's answer against the documented
    response schema.

    base: the URL prefix the document's paths hang under (Cloudflare's /client/v4);
    scope: requests whose path does not match this regex are not the document's business
    (Azure's Entra token endpoint); fold: compare path literals and path enums without case
    (ARM routes are case-insensitive); tolerate(status, field): an answer the real service
    gives although its own description does not allow it (said in README.md)."""

    def __init__(self, file, base="", scope=None, fold=False, tolerate=None):
        self.tolerate = tolerate or (lambda status, field: False)
        self.file = Path(file)
        self.doc = json.loads(self.file.read_text())
        self.swagger = "swagger" in self.doc
        self.base = base
        self.scope = re.compile(scope, re.I if fold else 0) if scope else None
        self.fold = fold
        self.ops = []
        for template, item in self.doc["paths"].items():
            shared = item.get("parameters", [])
            regex = "^" + "/".join("([^/]+)" if re.fullmatch(r"\{[^}]+\}", seg) else re.escape(seg)
                                   for seg in template.split("/")) + "/?$"
            names = re.findall(r"\{([^}]+)\}", template)
            literal = sum(1 for seg in template.split("/") if seg and "{" not in seg)
            for method, op in item.items():
                if method == "parameters" or not isinstance(op, dict):
                    continue
                params = [self.deref(p) for p in shared + op.get("parameters", [])]
                self.ops.append((method.upper(), template, re.compile(regex, re.I if fold else 0),
                                 names, literal, {**op, "parameters": params}))

    # -- lookup ------------------------------------------------------------------------------
    def deref(self, node, depth=0):
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/") or depth > 50:
                raise ValueError(f"{self.file.name}: cannot follow $ref {ref}")
            target = self.doc
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
            depth += 1
        return node

    def match(self, method, path):
        """The operation for `method path`, or None; the most literal template wins."""
        if self.base:
            if not path.startswith(self.base + "/"):
                return None
            path = path[len(self.base):]
        best = None
        for m, template, regex, names, literal, op in self.ops:
            hit = regex.match(path)
            if m == method and hit and (best is None or literal > best[0]):
                params = {n: unquote(v) for n, v in zip(names, hit.groups())}
                best = (literal, Match(method, template, op, params))
        return best[1] if best else None

    # -- requests ----------------------------------------------------------------------------
    def check_request(self, method, path, query, raw, headers):
        """(the operation or None, violations) for one request."""
        if self.scope is not None and not self.scope.search(path):
            return None, []
        found = self.match(method, path)
        if found is None:
            return None, [{"operation": None, "where": "request", "field": "path",
                           "expected": f"an operation of {self.file.name}",
                           "got": f"{method} {path}", "method": method, "path": path}]
        out = []

        def bad(where, field, expected, got):
            out.append({"operation": found.label, "where": where, "field": field,
                        "expected": expected, "got": got, "method": method, "path": path})

        body_schema = None
        body_required = False
        for p in found.op["parameters"]:
            where = p.get("in")
            name = p.get("name")
            schema = p.get("schema") if not self.swagger or where == "body" else p
            if where == "body":
                body_schema, body_required = schema, p.get("required", False)
                continue
            if where == "path":
                value = found.params.get(name)
            elif where == "query":
                value = query.get(name)
            else:
                continue  # headers: authentication is the stand-in's own business
            if value is None:
                if p.get("required"):
                    bad(where, name, "the parameter (required)", "nothing")
                continue
            schema = schema or {}
            fold = where == "path" and self.fold
            for field, expected, got in self.validate(schema, self.coerce(schema, value), name,
                                                      fold=fold):
                bad(where, field, expected, got)
        ctype = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if not self.swagger and "requestBody" in found.op:
            rb = self.deref(found.op["requestBody"])
            content = rb.get("content", {})
            body_required = rb.get("required", False)
            if raw and ctype and content and ctype not in content:
                bad("request body", "Content-Type", " or ".join(sorted(content)), ctype)
            elif "application/json" in content:
                body_schema = content["application/json"].get("schema")
                if body_schema is None:
                    body_required = False  # the document names no shape: anything goes
            else:
                body_schema, body_required = None, False  # multipart etc.: not checked
        if body_schema is not None:
            if not raw:
                if body_required:
                    bad("request body", "(body)", "a JSON body", "nothing")
            else:
                try:
                    body = json.loads(raw)
                except json.JSONDecodeError as e:
                    bad("request body", "(body)", "JSON", f"unparseable ({e.msg})")
                else:
                    for field, expected, got in self.validate(body_schema, body, ""):
                        bad("request body", field or "(body)", expected, got)
        return found, out

    def coerce(self, schema, value):
        """Query and path values arrive as text; read them as the schema's type."""
        schema = self.deref(schema)
        t = schema.get("type")
        try:
            if t == "integer" or (t == "number" and re.fullmatch(r"-?\d+", value)):
                return int(value)
            if t == "number":
                return float(value)
        except ValueError:
            return value
        if t == "boolean" and value in ("true", "false"):
            return value == "true"
        return value

    # -- responses ---------------------------------------------------------------------------
    def check_response(self, found, status, body):
        responses = found.op.get("responses", {})
        resp = (responses.get(str(status)) or responses.get(f"{status // 100}XX")
                or responses.get("default"))
        if resp is None:
            return []
        resp = self.deref(resp)
        schema = resp.get("schema") if self.swagger else \
            resp.get("content", {}).get("application/json", {}).get("schema")
        if schema is None:
            return []
        if status >= 400:
            # Cloudflare documents failures as allOf[the success shape, the failure shape],
            # which no body can satisfy (success: true and false); the failure half is what
            # an error answer follows.
            parts = schema.get("allOf", [])
            failure = [p for p in parts
                       if p.get("$ref", "").endswith("api-response-common-failure")]
            if failure:
                schema = failure[0]
        return [{"operation": found.label, "where": "response", "field": field or "(body)",
                 "expected": expected, "got": got, "status": status}
                for field, expected, got in self.validate(schema, body, "")
                if not self.tolerate(status, field)]

    # -- the validator -----------------------------------------------------------------------
    def validate(self, schema, value, at, fold=False):
        """[(field, expected, got)] where `value` breaks `schema`; `at` names the place."""
        out = []
        self._check(schema, value, at, out, fold)
        return out

    def _check(self, schema, value, at, out, fold=False):
        schema = self.deref(schema)
        if not isinstance(schema, dict):
            return
        if value is None and (schema.get("nullable") or schema.get("x-nullable")):
            return
        t = schema.get("type")
        if t is not None and not type_ok(t, value):
            out.append((at, f"{'an' if t[0] in 'aeio' else 'a'} {t}"
                        + (" or null" if schema.get("nullable") else ""),
                        "null" if value is None else f"{kind_of(value)} {shown(value)}"))
            return
        if "enum" in schema:
            allowed = schema["enum"]
            # Cloudflare writes the empty string as the two-character string "" in its enums
            # (steering_policy, session_affinity; their defaults are "" too): read it as "".
            quirk = value == "" and '""' in allowed
            if not quirk and not any(same(a, value, fold) for a in allowed):
                out.append((at, "one of " + ", ".join('""' if a == '""' else shown(a)
                                                      for a in allowed), shown(value)))
                return
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            lo, hi = schema.get("minimum"), schema.get("maximum")
            lo_x = schema.get("exclusiveMinimum") is True
            hi_x = schema.get("exclusiveMaximum") is True
            if lo is not None and (value < lo or (lo_x and value == lo)):
                out.append((at, f"a number {'>' if lo_x else '>='} {lo}", shown(value)))
            if hi is not None and (value > hi or (hi_x and value == hi)):
                out.append((at, f"a number {'<' if hi_x else '<='} {hi}", shown(value)))
            step = schema.get("multipleOf")
            if step and not math.isclose(value / step, round(value / step), abs_tol=1e-9):
                out.append((at, f"a multiple of {step}", shown(value)))
        if isinstance(value, str):
            if "minLength" in schema and len(value) < schema["minLength"]:
                out.append((at, f"at least {schema['minLength']} characters", shown(value)))
            if "maxLength" in schema and len(value) > schema["maxLength"]:
                out.append((at, f"at most {schema['maxLength']} characters", shown(value)))
            if "pattern" in schema and not re.search(schema["pattern"], value):
                out.append((at, f"text matching {schema['pattern']}", shown(value)))
            if schema.get("format") == "date-time" and not DATE_TIME.match(value):
                out.append((at, "an RFC 3339 date-time", shown(value)))
        if isinstance(value, list):
            if "minItems" in schema and len(value) < schema["minItems"]:
                out.append((at, f"at least {schema['minItems']} items", f"{len(value)}"))
            if "maxItems" in schema and len(value) > schema["maxItems"]:
                out.append((at, f"at most {schema['maxItems']} items", f"{len(value)}"))
            if schema.get("uniqueItems") and t == "array":
                texts = [json.dumps(v, sort_keys=True) for v in value]
                if len(set(texts)) != len(texts):
                    out.append((at, "unique items", shown(value)))
            if "items" in schema:
                for i, item in enumerate(value):
                    self._check(schema["items"], item, f"{at}[{i}]", out)
        if isinstance(value, dict):
            props = schema.get("properties", {})
            for name in schema.get("required", []):
                if name not in value:
                    out.append((join(at, name), "the field (required)", "nothing"))
            for name, v in value.items():
                if name in props:
                    self._check(props[name], v, join(at, name), out)
            extra = schema.get("additionalProperties")
            if extra is not None and extra is not True:
                for name, v in value.items():
                    if name in props:
                        continue
                    if extra is False:
                        out.append((join(at, name), "no such field (additionalProperties: "
                                    "false)", shown(v)))
                    else:
                        self._check(extra, v, join(at, name), out)
        for part in schema.get("allOf", []):
            self._check(part, value, at, out, fold)
        for key in ("anyOf", "oneOf"):
            options = schema.get(key)
            if options:
                tries = [self.validate(o, value, at, fold) for o in options]
                if all(tries):
                    best = min(tries, key=len)
                    if len(best) == 1:
                        out.extend(best)
                    else:
                        out.append((at, f"one of {len(options)} documented shapes ({key})",
                                    shown(value)))


def join(at, name):
    return f"{at}.{name}" if at else name
