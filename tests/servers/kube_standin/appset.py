"""An Argo CD ApplicationSet-controller stand-in for list generators.

For each ApplicationSet it keeps the generated Applications (owned through ownerReferences) in
line with the template, as applicationset/controllers/applicationset_controller.go does: the
whole spec is re-applied on every reconcile (so a hand-edited syncPolicy is put back) unless
`spec.ignoreApplicationDifferences` covers the field or `spec.syncPolicy.applicationsSync`
forbids updates (`create-only`, `create-delete`).
"""

import copy
import json
import re
import threading

from . import resources
from .apply import now
from .errors import ApiError

APPS = resources.lookup("argoproj.io", "v1alpha1", "applications")
APPSETS = resources.lookup("argoproj.io", "v1alpha1", "applicationsets")
MANAGER = "argocd-applicationset-controller"
PRESERVED_ANNOTATIONS = ("notified.notifications.argoproj.io", "argocd.argoproj.io/refresh", "argocd.argoproj.io/hydrate")
PRESERVED_FINALIZERS = ("pre-delete-finalizer.argocd.argoproj.io", "post-delete-finalizer.argocd.argoproj.io")
_PLAIN = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_GO_FIELD = re.compile(r"\{\{-?\s*\.([A-Za-z0-9_.]+)\s*-?\}\}")


def _flat(params, prefix=""):
    """Non-Go templates see nested element values as dotted keys."""
    out = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat(value, name + "."))
        else:
            out[name] = value if isinstance(value, str) else json.dumps(value)
    return out


def _render_string(text, params, go):
    if go:
        def field(m):
            cur = params
            for part in m.group(1).split("."):
                if not isinstance(cur, dict) or part not in cur:
                    return "<no value>"  # what Go's text/template prints for a missing key
                cur = cur[part]
            return cur if isinstance(cur, str) else json.dumps(cur)
        return _GO_FIELD.sub(field, text)
    flat = _flat(params)
    return _PLAIN.sub(lambda m: flat.get(m.group(1), m.group(0)), text)


def render(template, params, go):
    if isinstance(template, str):
        return _render_string(template, params, go)
    if isinstance(template, list):
        return [render(v, params, go) for v in template]
    if isinstance(template, dict):
        return {render(k, params, go): render(v, params, go) for k, v in template.items()}
    return template


def _pointer_tokens(pointer):
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.lstrip("/").split("/") if t]


def _jq_tokens(expr):
    """Only plain paths like `.spec.syncPolicy` are understood; anything else is skipped."""
    return expr[1:].split(".") if re.fullmatch(r"(\.[A-Za-z0-9_-]+)+", expr) else None


def _get(obj, tokens):
    for t in tokens:
        if not isinstance(obj, dict) or t not in obj:
            return _MISSING
        obj = obj[t]
    return obj


_MISSING = object()


def _set(obj, tokens, value):
    for t in tokens[:-1]:
        obj = obj.setdefault(t, {})
    if value is _MISSING:
        obj.pop(tokens[-1], None)
    else:
        obj[tokens[-1]] = copy.deepcopy(value)


class AppSetController:
    """Reconciles every ApplicationSet of one cluster whenever the store changes."""

    def __init__(self, store):
        self.store = store

    def start(self, cluster_name):
        threading.Thread(target=self._loop, name=f"appset-{cluster_name}", daemon=True).start()

    def _loop(self):
        seen = -1
        while True:
            with self.store.cond:
                if self.store.rv == seen:
                    self.store.cond.wait(1.0)
                seen = self.store.rv
            self.reconcile_all()

    def reconcile_all(self):
        sets, _, _, _ = self.store.list(APPSETS, "", lambda o: True)
        for appset in sets:
            if not appset["metadata"].get("deletionTimestamp"):
                self.reconcile(appset)

    def generate(self, appset):
        spec = appset.get("spec") or {}
        go = bool(spec.get("goTemplate"))
        apps = []
        for gen in spec.get("generators") or []:
            if "list" not in gen:
                raise ValueError(f"unsupported generator {sorted(gen)}: the stand-in serves list generators only")
            for element in gen["list"].get("elements") or []:
                tpl = render(spec.get("template") or {}, element, go)
                meta = tpl.get("metadata") or {}
                apps.append({
                    "apiVersion": APPS.api_version,
                    "kind": APPS.kind,
                    "metadata": {
                        "name": meta.get("name", ""),
                        "namespace": meta.get("namespace") or appset["metadata"]["namespace"],
                        "labels": meta.get("labels") or {},
                        "annotations": meta.get("annotations") or {},
                        "finalizers": meta.get("finalizers") or [],
                    },
                    "spec": tpl.get("spec") or {},
                })
        return apps

    def reconcile(self, appset):
        meta = appset["metadata"]
        ns, uid = meta["namespace"], meta["uid"]
        policy = ((appset.get("spec") or {}).get("syncPolicy") or {}).get("applicationsSync") or "sync"
        try:
            desired = self.generate(appset)
        except ValueError as err:
            return self._status(appset, str(err))
        owned = {
            a["metadata"]["name"]: a
            for a in self.store.list(APPS, "", lambda o: any(
                r.get("uid") == uid for r in o["metadata"].get("ownerReferences") or []))[0]
        }
        owner = {"apiVersion": APPSETS.api_version, "kind": APPSETS.kind, "name": meta["name"], "uid": uid,
                 "controller": True, "blockOwnerDeletion": True}
        error = None
        for app in desired:
            name, app_ns = app["metadata"]["name"], app["metadata"]["namespace"]
            try:
                live = self.store.get(APPS, app_ns, name)
            except ApiError:
                live = None
            try:
                if live is None:
                    app["metadata"]["ownerReferences"] = [owner]
                    self.store.create(APPS, app_ns, app, MANAGER)
                elif policy in ("sync", "create-update"):
                    self.store.mutate(APPS, app_ns, name, lambda lv, a=app: self._update(appset, lv, a, owner), MANAGER)
            except ApiError as err:
                error = f"{name}: {err.message}"
        if policy in ("sync", "create-delete"):
            wanted = {a["metadata"]["name"] for a in desired}
            for name, app in owned.items():
                if name not in wanted:
                    try:
                        self.store.delete(APPS, app["metadata"]["namespace"], name)
                    except ApiError:
                        pass
        self._status(appset, error)

    def _update(self, appset, live, generated, owner):
        spec = appset.get("spec") or {}
        found = copy.deepcopy(live)
        found["spec"] = copy.deepcopy(generated["spec"])
        preserved = spec.get("preservedFields") or {}
        annotations = dict(generated["metadata"]["annotations"])
        for k in list(preserved.get("annotations") or []) + list(PRESERVED_ANNOTATIONS):
            if k in (live["metadata"].get("annotations") or {}):
                annotations[k] = live["metadata"]["annotations"][k]
        labels = dict(generated["metadata"]["labels"])
        for k in preserved.get("labels") or []:
            if k in (live["metadata"].get("labels") or {}):
                labels[k] = live["metadata"]["labels"][k]
        finalizers = list(generated["metadata"]["finalizers"])
        finalizers += [f for f in live["metadata"].get("finalizers") or [] if f.startswith(PRESERVED_FINALIZERS)]
        for field, value in (("annotations", annotations), ("labels", labels), ("finalizers", finalizers)):
            if value:
                found["metadata"][field] = value
            else:
                found["metadata"].pop(field, None)
        refs = [r for r in found["metadata"].get("ownerReferences") or [] if r.get("uid") != owner["uid"]]
        found["metadata"]["ownerReferences"] = refs + [owner]
        for rule in spec.get("ignoreApplicationDifferences") or []:
            if rule.get("name") and rule["name"] != live["metadata"]["name"]:
                continue
            paths = [_pointer_tokens(p) for p in rule.get("jsonPointers") or []]
            paths += [t for t in (_jq_tokens(e) for e in rule.get("jqPathExpressions") or []) if t]
            for tokens in paths:
                if tokens and tokens[0] not in ("metadata", "operation", "status"):
                    _set(found, tokens, _get(live, tokens))
        return None if found == live else found

    def _status(self, appset, error):
        if error:
            conds = [{"type": "ErrorOccurred", "status": "True", "reason": "ApplicationGenerationFromParamsError",
                      "message": error}]
        else:
            conds = [{"type": "ResourcesUpToDate", "status": "True", "reason": "ApplicationSetUpToDate",
                      "message": "All applications have been generated successfully"}]

        def change(obj):
            old = [{k: v for k, v in c.items() if k != "lastTransitionTime"}
                   for c in (obj.get("status") or {}).get("conditions") or []]
            if old == conds:
                return None
            obj.setdefault("status", {})["conditions"] = [dict(c, lastTransitionTime=now()) for c in conds]
            return obj

        meta = appset["metadata"]
        self.store.mutate(APPSETS, meta["namespace"], meta["name"], change, MANAGER, "status")
