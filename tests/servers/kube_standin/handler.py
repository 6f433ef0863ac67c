"""The HTTP side of a stand-in cluster: routing Kubernetes REST paths to the store."""

import json
import select
import socket
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from . import authn, discovery, protobuf, resources, selectors, store as st, tables
from .errors import ApiError, bad_request, method_not_allowed, no_route, unsupported_media
from .watch import WatchStream

HEALTH = {"/healthz", "/livez", "/readyz"}


def _field_manager(params, headers, default_suffix=""):
    if params.get("fieldManager"):
        return params["fieldManager"]
    agent = headers.get("User-Agent") or "unknown"
    return agent.split("/")[0] + default_suffix


class Handler(BaseHTTPRequestHandler):
    """One connection to one cluster; `self.server.cluster` holds its store and faults."""

    protocol_version = "HTTP/1.1"
    closed = False

    def log_message(self, fmt, *args):  # quiet: the request log is kept in memory instead
        pass

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

    # ---- responses ---------------------------------------------------------------------

    def send_json(self, code, body, content_type="application/json", extra=None):
        data = json.dumps(body, separators=(",", ":")).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        self._status = code

    def start_chunked(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        self._status = 200

    def write_chunk(self, data):
        try:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
        except OSError:
            self.closed = True

    def client_gone(self):
        """Whether the client hung up (a watch otherwise notices only when it next writes)."""
        if self.closed:
            return True
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if readable and not self.connection.recv(1, socket.MSG_PEEK):
                self.closed = True
        except (OSError, ValueError):
            self.closed = True
        return self.closed

    def end_chunked(self):
        if not self.closed:
            try:
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
            except OSError:
                self.closed = True
        # The real API server (Go's net/http) keeps the connection alive after a watch ends,
        # and clients reuse it for the next request: closing it here (without saying so in a
        # Connection header) made a client's next watch fail now and then with "connection
        # closed before message completed", which a real server never causes.
        if self.closed:
            self.close_connection = True

    # ---- dispatch ----------------------------------------------------------------------

    def _dispatch(self, method):
        cluster = self.server.cluster
        self._status = 0
        started = time.monotonic()
        url = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        body_text = b""
        try:
            length = int(self.headers.get("Content-Length") or 0)
            body_text = self.rfile.read(length) if length else b""
            if cluster.faults.intercept(self, method, url.path):
                return
            cluster.check_token(self.headers.get("Authorization"))
            self._route(method, url.path, params, body_text)
        except ApiError as err:
            extra = {"Retry-After": "1"} if err.code == 429 else None
            self.send_json(err.code, err.status(), extra=extra)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            self.close_connection = True
        except Exception as err:  # a bug here must still answer like an API server would
            self.send_json(500, ApiError(500, "InternalError", f"stand-in error: {err!r}").status())
        finally:
            cluster.record(method, self.path, self._status, self.headers, body_text, time.monotonic() - started)

    def _body(self, raw):
        ctype = self.headers.get("Content-Type", "")
        if ctype.startswith("application/vnd.kubernetes.protobuf") and raw:
            return protobuf.decode_envelope(raw)
        if "protobuf" in ctype or "cbor" in ctype:
            raise unsupported_media(ctype, ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"])
        if not raw:
            raise bad_request("the request body is empty")
        try:
            return json.loads(raw)
        except ValueError:
            raise bad_request(
                "the stand-in reads JSON bodies only (JSON is valid YAML; kubectl, kube-rs and client-go send JSON)"
            ) from None

    def _route(self, method, path, params, raw):
        parts = [p for p in path.split("/") if p]
        if path in HEALTH:
            data = b"ok"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            self._status = 200
            return
        if path == "/version":
            return self.send_json(200, discovery.VERSION)
        if path == "/openapi/v2":
            return self._openapi_v2()
        if path == authn.PATH:
            if method != "POST":
                raise method_not_allowed(method, "selfsubjectreviews.authentication.k8s.io")
            users = self.server.cluster.users
            return self.send_json(201, authn.review(users, self.headers.get("Authorization"), self._body(raw)))
        if parts[:1] == ["api"] and len(parts) <= 2 or parts[:1] == ["apis"] and len(parts) <= 3:
            return self._discovery(parts)
        if parts[:2] == ["api", "v1"]:
            group, version, rest = "", "v1", parts[2:]
        elif parts[:1] == ["apis"] and len(parts) >= 4:
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise no_route()
        ns = ""
        if len(rest) >= 3 and rest[0] == "namespaces":
            maybe = resources.lookup(group, version, rest[2])
            if maybe and maybe.namespaced:
                ns, rest = rest[1], rest[2:]
        rt = resources.lookup(group, version, rest[0])
        if rt is None or len(rest) > 3 or (rt.namespaced and len(rest) > 1 and not ns):
            raise no_route()
        name = rest[1] if len(rest) > 1 else ""
        sub = rest[2] if len(rest) > 2 else None
        if sub and not (sub == "status" and rt.status_subresource):
            raise no_route()
        if rt.namespaced and not ns and (name or method not in ("GET",)):
            raise method_not_allowed(method, rt.qualified)
        self._resource(method, rt, ns, name, sub, params, raw)

    def _openapi_v2(self):
        """An empty OpenAPI v2 document (protobuf, as client-go insists): clients that validate
        manifests on their side (kubectl apply, Helm) then find no schema and skip validation."""
        self.send_response(200)
        self.send_header("Content-Type", "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()
        self._status = 200

    def _discovery(self, parts):
        accept = self.headers.get("Accept")
        agg = discovery.aggregated_version(accept)
        if parts == ["api"]:
            if agg:
                return self.send_json(200, discovery.aggregated(True, agg),
                                      f"application/json;g=apidiscovery.k8s.io;v={agg};as=APIGroupDiscoveryList")
            return self.send_json(200, discovery.api_versions(self.server.server_address[1]))
        if parts == ["apis"]:
            if agg:
                return self.send_json(200, discovery.aggregated(False, agg),
                                      f"application/json;g=apidiscovery.k8s.io;v={agg};as=APIGroupDiscoveryList")
            return self.send_json(200, discovery.api_group_list())
        if parts[0] == "api":
            doc = discovery.resource_list("", parts[1])
        elif len(parts) == 2:
            doc = discovery.api_group(parts[1])
        else:
            doc = discovery.resource_list(parts[1], parts[2])
        if doc is None:
            raise no_route()
        self.send_json(200, doc)

    def _resource(self, method, rt, ns, name, sub, params, raw):
        store = self.server.cluster.store
        dry = params.get("dryRun") == "All"
        if not name:
            if method == "GET":
                labels = selectors.parse_labels(params.get("labelSelector", ""))
                fields = selectors.parse_fields(params.get("fieldSelector", ""), rt)
                if params.get("watch") in ("true", "1"):
                    return WatchStream(self, self.server.cluster, rt, ns, labels, fields, params).run()
                return self._list(rt, ns, labels, fields, params)
            if method == "POST":
                obj = store.create(rt, ns, self._body(raw), _field_manager(params, self.headers), dry)
                return self.send_json(201, obj)
            if method == "DELETE":
                labels = selectors.parse_labels(params.get("labelSelector", ""))
                fields = selectors.parse_fields(params.get("fieldSelector", ""), rt)
                items, _, _, _ = store.list(rt, ns, lambda o: selectors.matches(o, labels, fields))
                gone = [store.delete(rt, o["metadata"].get("namespace", ""), o["metadata"]["name"], None, dry)[0]
                        for o in items]
                _, rv, _, _ = store.list(rt, ns, lambda o: False)
                return self.send_json(200, {"kind": f"{rt.kind}List", "apiVersion": rt.api_version,
                                            "metadata": {"resourceVersion": rv}, "items": gone})
            raise method_not_allowed(method, rt.qualified)
        if method == "GET":
            obj = store.get(rt, ns, name)
            if tables.wants_table(self.headers.get("Accept")):
                obj = tables.table(rt, [obj], obj["metadata"]["resourceVersion"], params.get("includeObject", "Metadata"))
            return self.send_json(200, obj)
        if method == "PUT":
            obj = store.replace(rt, ns, name, self._body(raw), _field_manager(params, self.headers), sub, dry)
            return self.send_json(200, obj)
        if method == "PATCH":
            ctype = self.headers.get("Content-Type", "")
            apply_patch = ctype.startswith(st.APPLY)
            manager = params.get("fieldManager") if apply_patch else _field_manager(params, self.headers)
            existed = apply_patch and self._exists(rt, ns, name)
            obj = store.patch(rt, ns, name, ctype, self._body(raw), manager,
                              params.get("force") == "true", sub, dry)
            return self.send_json(201 if apply_patch and not existed else 200, obj)
        if method == "DELETE":
            options = self._body(raw) if raw else {}
            if params.get("propagationPolicy"):
                options["propagationPolicy"] = params["propagationPolicy"]
            obj, gone = store.delete(rt, ns, name, options, dry)
            if gone and not rt.custom:
                details = {"name": name, "kind": rt.plural, "uid": obj["metadata"].get("uid")}
                if rt.group:
                    details["group"] = rt.group
                return self.send_json(200, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                            "status": "Success", "details": details})
            return self.send_json(200 if gone else 202, obj)
        raise method_not_allowed(method, rt.qualified)

    def _exists(self, rt, ns, name):
        try:
            self.server.cluster.store.get(rt, ns, name)
            return True
        except ApiError:
            return False

    def _list(self, rt, ns, labels, fields, params):
        store = self.server.cluster.store
        limit = int(params["limit"]) if params.get("limit", "").isdigit() else 0
        items, rv, cont, rest = store.list(rt, ns, lambda o: selectors.matches(o, labels, fields),
                                          limit, params.get("continue") or None)
        if tables.wants_table(self.headers.get("Accept")):
            return self.send_json(200, tables.table(rt, items, rv, params.get("includeObject", "Metadata"), cont))
        meta = {"resourceVersion": rv}
        if cont:
            meta["continue"] = cont
            meta["remainingItemCount"] = rest
        self.send_json(200, {"kind": f"{rt.kind}List", "apiVersion": rt.api_version, "metadata": meta, "items": items})
