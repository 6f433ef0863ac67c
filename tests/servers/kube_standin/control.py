"""The control API: faults, Git pushes, operation outcomes and seeds, on its own port.

All paths are under /_standin/ (never a Kubernetes path) and take and return JSON.
See README.md for the list.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from . import helm_release, resources
from .argo import OUTCOMES
from .errors import ApiError
from .loopback import LoopbackServer

SECRETS = resources.lookup("", "v1", "secrets")


class ControlError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class ControlHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def _answer(self, code, body):
        data = json.dumps(body, indent=1).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _dispatch(self, method):
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else {}
            if not isinstance(body, dict):
                raise ControlError(400, "the body must be a JSON object")
            params = {k: v[-1] for k, v in parse_qs(url.query).items()}
            self._answer(200, self._route(method, [p for p in url.path.split("/") if p], body, params))
        except ValueError as err:
            self._answer(400, {"error": str(err)})
        except ControlError as err:
            self._answer(err.code, {"error": str(err)})
        except ApiError as err:
            self._answer(err.code, {"error": err.message})

    def _route(self, method, parts, body, params):
        clusters = self.server.clusters
        if parts[:2] != ["_standin", "clusters"]:
            raise ControlError(404, "control paths start with /_standin/clusters")
        if len(parts) == 2 and method == "GET":
            return {name: c.describe() for name, c in clusters.items()}
        name = parts[2] if len(parts) > 2 else ""
        if name not in clusters:
            raise ControlError(404, f"no cluster {name!r}; clusters: {', '.join(clusters)}")
        cluster, rest = clusters[name], parts[3:]
        route = (method, tuple(rest[:1]))
        if route == ("GET", ()):
            return cluster.describe()
        if route == ("POST", ("fault",)):
            if body.get("mode") == "stop":
                cluster.stop()
            else:
                cluster.faults.set(body)
            return cluster.describe()
        if route == ("POST", ("stop",)):
            cluster.stop()
            return cluster.describe()
        if route == ("POST", ("resume",)):
            cluster.faults.clear()
            cluster.start()
            return cluster.describe()
        if route == ("GET", ("requests",)):
            entries = list(cluster.log)
            if params.get("clear") == "true":
                cluster.log.clear()
            return {"requests": entries}
        if route == ("DELETE", ("requests",)):
            cluster.log.clear()
            return {"requests": []}
        if route == ("POST", ("users",)):
            # The token -> user table SelfSubjectReview answers from.
            from . import authn
            try:
                cluster.users = authn.set_users(body)
            except ValueError as err:
                raise ControlError(400, str(err)) from None
            return {"users": sorted(cluster.users)}
        if route == ("POST", ("timing",)):
            return self._timing(cluster, body)
        if rest[:1] == ["apps"] and len(rest) == 4 and method == "POST":
            return self._app(cluster, rest[1], rest[2], rest[3], body)
        if route == ("POST", ("helm-releases",)):
            return self._helm_seed(cluster, body)
        if route == ("GET", ("helm-releases",)) and len(rest) == 3:
            return self._helm_history(cluster, rest[1], rest[2])
        raise ControlError(404, f"no control route {method} /{'/'.join(parts)}")

    def _timing(self, cluster, body):
        argo = cluster.argo
        with cluster.store.cond:
            if "syncSeconds" in body:
                argo.sync_seconds = float(body["syncSeconds"])
            if "healthSeconds" in body:
                argo.health_seconds = float(body["healthSeconds"])
            if "bookmarkSeconds" in body:
                cluster.bookmark_seconds = float(body["bookmarkSeconds"])
        return {"syncSeconds": argo.sync_seconds, "healthSeconds": argo.health_seconds,
                "bookmarkSeconds": cluster.bookmark_seconds}

    def _app(self, cluster, ns, name, what, body):
        argo, key = cluster.argo, (ns, name)
        with cluster.store.cond:
            if what == "head":
                revision = body.get("revision")
                if not isinstance(revision, str) or not revision:
                    raise ControlError(400, 'head needs {"revision": "<sha>"}')
                argo.heads[key] = revision
            elif what == "next-operation":
                if body.get("outcome") not in OUTCOMES:
                    raise ControlError(400, f"outcome must be one of {', '.join(OUTCOMES)}")
                argo.next_outcome[key] = body["outcome"]
            elif what == "health":
                if body.get("status"):
                    argo.health_override[key] = str(body["status"])
                else:
                    argo.health_override.pop(key, None)
            else:
                raise ControlError(404, f"no app control {what!r}; use head, next-operation or health")
            argo.poke()
        return {"namespace": ns, "name": name, "head": argo.heads.get(key),
                "nextOperation": argo.next_outcome.get(key), "health": argo.health_override.get(key)}

    def _helm_seed(self, cluster, body):
        try:
            rel = helm_release.release(
                body["name"], body.get("namespace", "default"), int(body["version"]), body.get("status", "deployed"),
                body["chart"], body.get("chartVersion", "0.1.0"), body.get("appVersion", ""),
                body.get("manifest", ""), body.get("values"), body.get("description", ""),
                body.get("firstDeployed"), body.get("lastDeployed"),
            )
        except KeyError as err:
            raise ControlError(400, f"helm release needs {err.args[0]!r}") from None
        secret = helm_release.to_secret(rel)
        created = cluster.store.create(SECRETS, rel["namespace"], secret, "helm")
        return {"secret": created["metadata"]["name"], "resourceVersion": created["metadata"]["resourceVersion"]}

    def _helm_history(self, cluster, ns, name):
        items, _, _, _ = cluster.store.list(SECRETS, ns, lambda o: (o["metadata"].get("labels") or {}).get("owner")
                                            == "helm" and o["metadata"]["labels"].get("name") == name)
        out = [helm_release.from_secret(s) for s in items]
        return {"releases": sorted(out, key=lambda r: r["version"])}


class ControlServer(LoopbackServer):
    """The control API's server (one for all clusters)."""

    def __init__(self, clusters, port):
        self.clusters = clusters
        super().__init__(("127.0.0.1", port), ControlHandler)

    def start(self):
        threading.Thread(target=self.serve_forever, name="control", daemon=True).start()
