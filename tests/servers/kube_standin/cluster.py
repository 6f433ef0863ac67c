"""One stand-in cluster: its store, its listener, its faults, its request log, its controllers."""

import collections
import socket
import threading
import time

from .appset import AppSetController
from .argo import ArgoController
from .errors import ApiError
from .faults import Faults
from .handler import Handler
from .loopback import LoopbackServer
from .store import Store


class ClusterServer(LoopbackServer):
    """A threaded HTTP server that remembers its open connections so `stop` can cut them."""

    def __init__(self, cluster, address):
        self.cluster = cluster
        self.open = set()
        self.open_lock = threading.Lock()
        super().__init__(address, Handler)

    def process_request_thread(self, request, client_address):
        with self.open_lock:
            self.open.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.open_lock:
                self.open.discard(request)


class Cluster:
    """A named cluster on 127.0.0.1:port with its own store and controllers."""

    def __init__(self, name, port, options):
        self.name = name
        self.port = port
        self.token = options.token
        # Bearer token -> userInfo, for SelfSubjectReview (control API `users`).
        self.users = {}
        self.bookmark_seconds = options.bookmark_seconds
        self.store = Store(options.history)
        self.faults = Faults()
        self.log = collections.deque(maxlen=options.request_log)
        self.serving = False
        self.server = None
        self.lock = threading.Lock()
        self.argo = ArgoController(self.store, options)
        self.appsets = AppSetController(self.store)

    def start(self):
        with self.lock:
            if self.serving:
                return
            self.server = ClusterServer(self, ("127.0.0.1", self.port))
            self.port = self.server.server_address[1]
            self.serving = True
            threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2},
                             name=f"serve-{self.name}", daemon=True).start()

    def start_controllers(self):
        self.argo.start(self.name)
        self.appsets.start(self.name)

    def stop(self):
        """Close the listener and every open connection: clients see connection refused."""
        with self.lock:
            if not self.serving:
                return
            self.serving = False
            server, self.server = self.server, None
        with self.store.cond:
            self.store.cond.notify_all()  # wake watches so they notice
        server.shutdown()
        server.server_close()
        with server.open_lock:
            for conn in list(server.open):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        with self.faults.cond:
            self.faults.cond.notify_all()

    def check_token(self, header):
        if self.token and header != f"Bearer {self.token}":
            raise ApiError(401, "Unauthorized", "Unauthorized")

    def record(self, method, path, status, headers, body, seconds):
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "method": method,
            "path": path,
            "status": status,
            "contentType": headers.get("Content-Type", ""),
            "userAgent": headers.get("User-Agent", ""),
            "seconds": round(seconds, 4),
        }
        if body:
            entry["body"] = body[:4096].decode("utf-8", "replace")
        self.log.append(entry)

    def describe(self):
        return {"port": self.port, "serving": self.serving, "fault": self.faults.describe()}
