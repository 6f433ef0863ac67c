"""Watch streams: newline-delimited {"type","object"} events over chunked HTTP."""

import json
import time

from . import selectors, tables
from .errors import ApiError

DEFAULT_TIMEOUT = 1800  # the real server's --min-request-timeout


def _translate(kind, obj, prev, match):
    """How an event looks through a selector: objects moving in or out become ADDED/DELETED."""
    now_in = match(obj)
    if kind == "MODIFIED":
        was_in = prev is not None and match(prev)
        if now_in and was_in:
            return "MODIFIED"
        if now_in:
            return "ADDED"
        if was_in:
            return "DELETED"
        return None
    return kind if now_in else None


class WatchStream:
    """One watch request: initial events when asked for, then changes until timeout or close."""

    def __init__(self, handler, cluster, rt, ns, label_preds, field_preds, params):
        self.handler, self.cluster, self.rt, self.ns = handler, cluster, rt, ns
        self.match = lambda o: selectors.matches(o, label_preds, field_preds)
        self.params = params
        self.table = tables.wants_table(handler.headers.get("Accept"))
        self.include = params.get("includeObject", "Metadata")
        self.bookmarks = params.get("allowWatchBookmarks") in ("true", "1")

    def _send(self, kind, obj):
        if self.table and kind in ("ADDED", "MODIFIED", "DELETED"):
            obj = tables.table(self.rt, [obj], obj["metadata"].get("resourceVersion", ""), self.include)
        line = json.dumps({"type": kind, "object": obj}, separators=(",", ":")) + "\n"
        self.handler.write_chunk(line.encode())

    def _bookmark(self, rv, initial_end=False):
        meta = {"resourceVersion": str(rv)}
        if initial_end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        self._send("BOOKMARK", {"kind": self.rt.kind, "apiVersion": self.rt.api_version, "metadata": meta})

    def run(self):
        store = self.cluster.store
        rv_param = self.params.get("resourceVersion", "")
        initial_stream = self.params.get("sendInitialEvents") == "true"
        timeout = int(self.params.get("timeoutSeconds") or DEFAULT_TIMEOUT)
        deadline = time.monotonic() + timeout
        with store.cond:
            if rv_param in ("", "0") or initial_stream:
                initial, start_rv, _, _ = store.list(self.rt, self.ns, self.match)
                last = int(start_rv)
            else:
                initial, last = [], int(rv_param) if rv_param.isdigit() else -1
                if last < 0:
                    raise ApiError(400, "BadRequest", f"invalid resource version: {rv_param!r}")
        self.handler.start_chunked()
        for obj in initial:
            self._send("ADDED", obj)
        if initial_stream and self.bookmarks:
            self._bookmark(last, initial_end=True)
        interval = self.cluster.bookmark_seconds
        next_bookmark = time.monotonic() + interval
        while self.cluster.serving and not self.handler.client_gone():
            with store.cond:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                if store.rv <= last:
                    store.cond.wait(min(remaining, max(0.05, next_bookmark - time.monotonic()), 1.0))
                try:
                    events = store.events_after(last)
                except ApiError as err:
                    self._send("ERROR", err.status())
                    break
                current = store.rv
            for rv, key, ns, kind, obj, prev in events:
                last = rv
                if key != self.rt.key or (self.ns and ns != self.ns):
                    continue
                shown = _translate(kind, obj, prev, self.match)
                if shown:
                    self._send(shown, obj)
            last = current  # every resourceVersion is one event, so all are seen
            if self.bookmarks and time.monotonic() >= next_bookmark:
                self._bookmark(last)
                next_bookmark = time.monotonic() + interval
        self.handler.end_chunked()
