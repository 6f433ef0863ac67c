"""Injected faults for one cluster: black-hole, slow answers, error statuses, and answers
that are not what the API server would send (a proxy's HTML page, a body cut short)."""

import threading
import time

from .errors import ApiError

MODES = ("blackhole", "slow", "status", "malformed")
# What a list or get answers under `malformed` by default: JSON cut off mid-object, as when
# a proxy drops the connection after a partial write of a 200.
TRUNCATED = '{"kind":"List","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[{"metadata":'
_REASONS = {
    401: ("Unauthorized", "Unauthorized"),
    403: ("Forbidden", 'forbidden: User "system:anonymous" cannot {verb} path "{path}"'),
    404: ("NotFound", "the server could not find the requested resource"),
    409: ("Conflict", "Operation cannot be fulfilled: injected conflict"),
    429: ("TooManyRequests", "Too many requests, please try again later."),
    500: ("InternalError", "Internal error occurred: injected fault"),
    503: ("ServiceUnavailable", "The server is currently unable to handle the request"),
    504: ("Timeout", "The server was unable to return a response in the time allotted"),
}


class Faults:
    """The active fault, if any. `match` limits it to paths containing a substring, and
    `count` to that many requests (then it clears itself)."""

    def __init__(self):
        self.cond = threading.Condition()
        self.spec = None
        self.generation = 0

    def set(self, spec):
        mode = spec.get("mode")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)} (or use /resume)")
        if mode == "status" and int(spec.get("code", 0)) not in _REASONS:
            raise ValueError(f"code must be one of {sorted(_REASONS)}")
        if mode == "slow" and float(spec.get("seconds", -1)) < 0:
            raise ValueError("slow needs seconds >= 0")
        if mode == "malformed" and not 200 <= int(spec.get("code", 200)) <= 599:
            raise ValueError("malformed needs a code from 200 to 599")
        with self.cond:
            self.spec = dict(spec)
            self.generation += 1
            self.cond.notify_all()

    def clear(self):
        with self.cond:
            self.spec = None
            self.generation += 1
            self.cond.notify_all()

    def describe(self):
        with self.cond:
            return dict(self.spec) if self.spec else None

    def _take(self, path):
        with self.cond:
            spec = self.spec
            if not spec or spec.get("match", "") not in path:
                return None
            if "count" in spec:
                spec["count"] = int(spec["count"]) - 1
                if spec["count"] <= 0:
                    self.spec = None
            return dict(spec), self.generation

    def intercept(self, handler, method, path):
        """True when the request was consumed by a fault (no further answer is to be sent)."""
        taken = self._take(path)
        if taken is None:
            return False
        spec, generation = taken
        if spec["mode"] == "blackhole":
            # Hold the request unanswered until the fault changes, then drop the connection.
            with self.cond:
                while self.generation == generation and handler.server.cluster.serving:
                    self.cond.wait(1.0)
            handler.close_connection = True
            return True
        if spec["mode"] == "slow":
            time.sleep(float(spec["seconds"]))
            return False
        if spec["mode"] == "malformed":
            body = str(spec.get("body", TRUNCATED)).encode()
            handler.send_response(int(spec.get("code", 200)))
            handler.send_header("Content-Type", str(spec.get("contentType", "application/json")))
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
            handler._status = int(spec.get("code", 200))
            return True
        code = int(spec["code"])
        reason, message = _REASONS[code]
        raise ApiError(code, reason, message.format(verb=method.lower(), path=path))
