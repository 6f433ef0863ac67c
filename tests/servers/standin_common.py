"""Plumbing shared by meridian's vendor stand-ins (Cloudflare, Azure Traffic Manager).

Python 3.11 standard library only. Each stand-in is a stateful HTTP server on 127.0.0.1 that
follows its vendor's published API shapes; this module gives them what every one of them
needs: JSON in and out, a request log, injected throttling (429 + Retry-After), a "black
hole" that accepts a request and never answers, and a control API under /__standin/ that
tests and the lab use to change the world behind meridian's back.
"""

import json
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

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

    def log(self, method, path, query, body):
        self.requests.append({"method": method, "path": path, "query": query, "body": body})


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
        try:
            if url.path.startswith(CONTROL):
                body = json.loads(raw or b"{}")
                with world.lock:
                    result = common_control(world, method, url.path[len(CONTROL):], body)
                    if result is None:
                        result = server.control(method, url.path[len(CONTROL):], body)
                raise Reply(200, result if result is not None else {"ok": True})
            with world.lock:
                hang = world.hang
                throttled = world.throttle > 0
                if throttled:
                    world.throttle -= 1
                world.log(method, url.path, query, raw.decode("utf-8", "replace"))
            if hang:
                # A black hole: the connection stays open and nothing comes back.
                while True:
                    time.sleep(3600)
            if throttled:
                server.throttled(world.retry_after)
            with world.lock:
                try:
                    server.api(method, url.path, query, raw, self.headers)
                except Reply as r:
                    # Someone else's change landing between meridian's write and its read-back.
                    if method in ("PATCH", "PUT") and r.status < 300 and world.drift_after_write:
                        path, body = world.drift_after_write
                        world.drift_after_write = None
                        server.control("POST", path, body)
                    raise
            raise Reply(500, {"error": "handler returned nothing"})
        except Reply as r:
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
