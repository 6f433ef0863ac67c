"""An Argo CD application-controller stand-in.

It acts on an Application's top-level `operation` (a sync, which is also how a rollback is
asked for), moves `status.operationState` Running -> Succeeded/Failed/Error, appends
`status.history`, keeps `status.sync` and `status.health` up to date against a per-app
"branch head" (set through the control API: a push to Git), clears `operation` when done,
and auto-syncs when `spec.syncPolicy.automated` is on. Follows controller/appcontroller.go.
"""

import hashlib
import re
import threading
import time

from . import resources
from .apply import now

APPS = resources.lookup("argoproj.io", "v1alpha1", "applications")
MANAGER = "argocd-application-controller"
FAULT_ANNOTATION = "standin.meridian.dev/operation-fault"  # fail | error | hang, for every operation
HEAD_ANNOTATION = "standin.meridian.dev/head-revision"
SECONDS_ANNOTATION = "standin.meridian.dev/sync-seconds"
# A PreSync hook Job run before every sync: "NAME:succeed", "NAME:fail" or "NAME:fail:MESSAGE"
# (seed 003's migration). A failed one stops the sync before anything is applied.
HOOK_ANNOTATION = "standin.meridian.dev/presync-hook"
HOOK_FAILED = "Job has reached the specified backoff limit"
OUTCOMES = ("succeed", "fail", "error", "hang")
_SHA = re.compile(r"^[0-9a-f]{7,40}$")
# Finalizers the real controller removes once it has deleted an app's resources.
_FINALIZERS = ("resources-finalizer.argocd.argoproj.io", "post-delete-finalizer.argocd.argoproj.io")


def _source(app):
    spec = app.get("spec") or {}
    return spec.get("source") or (spec.get("sources") or [{}])[0]


def automated(app):
    """Auto-sync is on when syncPolicy.automated is present and `enabled` is not false."""
    auto = ((app.get("spec") or {}).get("syncPolicy") or {}).get("automated")
    return isinstance(auto, dict) and auto.get("enabled") is not False


class ArgoController:
    """Reconciles every Application of one cluster whenever the store changes or a timer fires."""

    def __init__(self, store, options):
        self.store = store
        self.sync_seconds = options.sync_seconds
        self.health_seconds = options.health_seconds
        self.heads = {}  # (namespace, name) -> revision pushed through the control API
        self.next_outcome = {}  # (namespace, name) -> outcome of the next operation only
        self.health_override = {}  # (namespace, name) -> health status to report
        self.running = {}  # (namespace, name) -> (monotonic deadline, outcome)
        self.progressing = {}  # (namespace, name) -> monotonic time health turns Healthy

    def start(self, cluster_name):
        threading.Thread(target=self._loop, name=f"argo-{cluster_name}", daemon=True).start()

    def poke(self):
        with self.store.cond:
            self.store.cond.notify_all()

    def head(self, app):
        key = (app["metadata"]["namespace"], app["metadata"]["name"])
        if key in self.heads:
            return self.heads[key]
        pinned = (app["metadata"].get("annotations") or {}).get(HEAD_ANNOTATION)
        if pinned:
            return pinned
        src = _source(app)
        target = src.get("targetRevision") or "HEAD"
        if _SHA.match(target):
            return target
        return hashlib.sha1(f"{src.get('repoURL', '')}@{target}".encode()).hexdigest()

    def _loop(self):
        seen = -1
        wake = None
        while True:
            with self.store.cond:
                timeout = 1.0 if wake is None else max(0.0, min(1.0, wake - time.monotonic()))
                if self.store.rv == seen and timeout > 0:
                    self.store.cond.wait(timeout)
                seen = self.store.rv
            wake = self.reconcile_all()

    def reconcile_all(self):
        items, _, _, _ = self.store.list(APPS, "", lambda o: True)
        for app in items:
            meta = app["metadata"]
            self.store.mutate(APPS, meta["namespace"], meta["name"], self._reconcile, MANAGER)
        times = [d for d, _ in self.running.values()] + list(self.progressing.values())
        return min(times) if times else None

    def _reconcile(self, app):
        """One pass over one app; returns the changed app or None."""
        meta = app["metadata"]
        key = (meta["namespace"], meta["name"])
        if meta.get("deletionTimestamp"):
            kept = [f for f in meta.get("finalizers") or [] if not f.startswith(_FINALIZERS)]
            if kept == (meta.get("finalizers") or []):
                return None
            meta["finalizers"] = kept
            return app
        before = repr(app)
        status = app.setdefault("status", {})
        state = status.get("operationState")
        if state and state.get("phase") in ("Running", "Terminating"):
            self._advance(app, key)
        elif app.get("operation"):
            self._begin(app, key)
        else:
            self._auto_sync(app)
        self._compare(app, key)
        return app if repr(app) != before else None

    def _begin(self, app, key):
        outcome = self.next_outcome.pop(key, None)
        outcome = outcome or (app["metadata"].get("annotations") or {}).get(FAULT_ANNOTATION) or "succeed"
        seconds = float((app["metadata"].get("annotations") or {}).get(SECONDS_ANNOTATION, self.sync_seconds))
        deadline = float("inf") if outcome == "hang" else time.monotonic() + seconds
        self.running[key] = (deadline, outcome)
        app["status"]["operationState"] = {
            "operation": app["operation"],
            "phase": "Running",
            "message": "one or more tasks are running",
            "startedAt": now(),
        }

    def _advance(self, app, key):
        state = app["status"]["operationState"]
        if state["phase"] == "Terminating":
            self.running.pop(key, None)
            return self._finish(app, key, "terminated")
        if key not in self.running:  # seeded as Running, or the server restarted
            self.running[key] = (time.monotonic() + self.sync_seconds, "succeed")
        deadline, outcome = self.running[key]
        if time.monotonic() >= deadline:
            del self.running[key]
            self._finish(app, key, outcome)

    def _finish(self, app, key, outcome):
        status = app["status"]
        state = status["operationState"]
        sync = (state.get("operation") or {}).get("sync") or {}
        spec_source = _source(app)
        revision = sync.get("revision") or ""
        if not revision or (revision == spec_source.get("targetRevision") and not _SHA.match(revision)):
            revision = self.head(app)
        source = sync.get("source") or spec_source
        state["finishedAt"] = now()
        hooks = self._presync(app) if outcome in ("succeed", "fail") else []
        if outcome == "succeed" and any(h["hookPhase"] == "Failed" for h in hooks):
            outcome = "hook-failed"
        if outcome == "succeed":
            history = status.setdefault("history", [])
            history.append({
                "id": history[-1]["id"] + 1 if history else 0,
                "revision": revision,
                "deployedAt": state["finishedAt"],
                "deployStartedAt": state.get("startedAt", state["finishedAt"]),
                "source": source,
                "initiatedBy": (state.get("operation") or {}).get("initiatedBy") or {},
            })
            limit = (app.get("spec") or {}).get("revisionHistoryLimit") or 10
            del history[:-limit]
            state.update(phase="Succeeded", message="successfully synced (all tasks run)")
            self.progressing[key] = time.monotonic() + self.health_seconds
            status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != "SyncError"]
            if not status["conditions"]:
                del status["conditions"]
        elif outcome == "error":
            state.update(phase="Error", message="ComparisonError: injected error (stand-in)")
        elif outcome == "terminated":
            state.update(phase="Failed", message="Operation terminated")
        elif outcome == "hook-failed":
            # As gitops-engine's sync: the PreSync phase failed, so no resource was applied.
            state.update(phase="Failed",
                         message="one or more synchronization tasks completed unsuccessfully")
        else:
            state.update(phase="Failed", message="one or more objects failed to apply, reason: injected failure (stand-in)")
        if outcome != "error":
            state["syncResult"] = {"revision": revision, "source": source, "resources": hooks}
        app.pop("operation", None)

    def _presync(self, app):
        """The PreSync hook's entry of `syncResult.resources`, as Argo CD writes one
        (ResourceResult: group, version, kind, namespace, name, status, message, hookType,
        hookPhase, syncPhase), when the app carries HOOK_ANNOTATION."""
        spec = (app["metadata"].get("annotations") or {}).get(HOOK_ANNOTATION)
        if not spec:
            return []
        name, _, rest = spec.partition(":")
        verdict, _, message = rest.partition(":")
        failed = verdict.strip() == "fail"
        namespace = ((app.get("spec") or {}).get("destination") or {}).get("namespace") or "default"
        return [{
            "group": "batch", "version": "v1", "kind": "Job", "namespace": namespace,
            "name": name.strip() or "migrate",
            "status": "SyncFailed" if failed else "Synced",
            "message": (message.strip() or HOOK_FAILED) if failed else "job.batch/%s created" % (name.strip() or "migrate"),
            "hookType": "PreSync", "hookPhase": "Failed" if failed else "Succeeded",
            "syncPhase": "PreSync",
        }]

    def _auto_sync(self, app):
        if not automated(app) or self._sync_status(app) != "OutOfSync":
            return
        head = self.head(app)
        state = app["status"].get("operationState")
        if state and state.get("phase") in ("Succeeded", "Failed", "Error"):
            result = state.get("syncResult")
            attempted = result is None or (result.get("revision") == head and result.get("source") == _source(app))
            if attempted:
                if state["phase"] != "Succeeded":
                    message = f"Failed last sync attempt to [{head}]: {state.get('message', '')}"
                    conds = [c for c in app["status"].get("conditions") or [] if c.get("type") != "SyncError"]
                    conds.append({"type": "SyncError", "message": message, "lastTransitionTime": now()})
                    if conds != app["status"].get("conditions"):
                        app["status"]["conditions"] = conds
                return
        policy = app["spec"]["syncPolicy"]
        app["operation"] = {
            "sync": {
                "revision": head,
                "source": _source(app),
                "prune": bool(policy["automated"].get("prune")),
                "syncOptions": policy.get("syncOptions") or [],
            },
            "initiatedBy": {"automated": True},
            "retry": policy.get("retry") or {"limit": 5},
        }

    def _sync_status(self, app):
        history = (app.get("status") or {}).get("history") or []
        if not history:
            return "OutOfSync"
        return "Synced" if history[-1].get("revision") == self.head(app) else "OutOfSync"

    def _compare(self, app, key):
        status = app["status"]
        history = status.get("history") or []
        until = self.progressing.get(key)
        if until is not None and time.monotonic() >= until:
            del self.progressing[key]
            until = None
        if key in self.health_override:
            health = self.health_override[key]
        elif not history:
            health = "Missing"
        else:
            health = "Progressing" if until is not None else "Healthy"
        sync = {
            "status": self._sync_status(app),
            "revision": self.head(app),
            "comparedTo": {"source": _source(app), "destination": (app.get("spec") or {}).get("destination") or {}},
        }
        changed = status.get("sync") != sync or (status.get("health") or {}).get("status") != health
        if changed:
            status["sync"] = sync
            status["health"] = {"status": health, "lastTransitionTime": now()}
            status["reconciledAt"] = now()
            status["sourceType"] = "Helm" if _source(app).get("chart") or _source(app).get("helm") else "Directory"
