"""One cluster's objects, its global resourceVersion counter and a bounded event history."""

import base64
import collections
import copy
import json
import threading

from . import apply, objects, patch, resources
from .errors import ApiError, already_exists, bad_request, conflict, expired, not_found, unsupported_media

MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"
NAMESPACES = resources.lookup("", "v1", "namespaces")
BOOT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease", "argocd")


class Store:
    """Objects keyed by (type key, namespace, name); every write bumps one counter and is
    remembered (up to `history` events) so watches can resume from a resourceVersion."""

    def __init__(self, history=1000):
        self.cond = threading.Condition(threading.RLock())
        self.objects = {}
        self.owners = {}
        self.rv = 0
        self.events = collections.deque()
        self.history = history
        self.floor = 0  # events with rv <= floor have been forgotten
        for name in BOOT_NAMESPACES:
            self.create(NAMESPACES, "", {"metadata": {"name": name}}, "kube-apiserver")

    # ---- reads -------------------------------------------------------------------------

    def get(self, rt, ns, name):
        with self.cond:
            obj = self.objects.get((rt.key, ns, name))
            if obj is None:
                raise not_found(rt, name)
            return copy.deepcopy(obj)

    def list(self, rt, ns, match, limit=0, cont=None):
        """(items, resourceVersion, continue token, remaining) for objects where match(obj)."""
        with self.cond:
            start = ""
            if cont:
                token = _decode_continue(cont)
                if token["rv"] < self.floor:
                    raise ApiError(410, "Expired", "The provided continue parameter is too old to display a "
                                   "consistent list result. You can start a new list without the continue parameter.")
                start = token["start"]
            keys = sorted(k for k in self.objects if k[0] == rt.key and (not ns or k[1] == ns))
            items = [self.objects[k] for k in keys if f"{k[1]}/{k[2]}" > start and match(self.objects[k])]
            rest = 0
            token = None
            if limit and len(items) > limit:
                rest = len(items) - limit
                items = items[:limit]
                last = items[-1]["metadata"]
                token = _encode_continue(self.rv, f"{last.get('namespace', '')}/{last['name']}")
            return copy.deepcopy(items), str(self.rv), token, rest

    def events_after(self, rv):
        """Events newer than rv, or 410 Expired when some of them were forgotten."""
        with self.cond:
            if rv < self.floor:
                raise expired(rv, self.floor + 1)
            return [e for e in self.events if e[0] > rv]

    # ---- writes ------------------------------------------------------------------------

    def create(self, rt, ns, body, manager, dry_run=False):
        with self.cond:
            obj = copy.deepcopy(body)
            objects.check_body(rt, obj, ns)
            self._namespace_must_exist(rt, ns)
            if rt.status_subresource and rt.custom:
                obj.pop("status", None)
            objects.fill_new(rt, obj, self.rv + 1)
            objects.defaults(rt, obj)
            objects.validate(rt, obj)
            key = (rt.key, ns, obj["metadata"]["name"])
            if key in self.objects:
                raise already_exists(rt, obj["metadata"]["name"])
            owners = {}
            apply.record_update(owners, manager, {}, obj, rt.api_version)
            if dry_run:
                return obj
            return self._commit(rt, key, obj, owners, "ADDED")

    def replace(self, rt, ns, name, body, manager, subresource=None, dry_run=False):
        with self.cond:
            new = copy.deepcopy(body)
            objects.check_body(rt, new, ns)
            if new["metadata"].get("name") != name:
                raise bad_request(
                    f"the name of the object ({new['metadata'].get('name')}) does not match the name on the URL ({name})"
                )
            old = self._existing(rt, ns, name)
            sent_rv = new["metadata"].get("resourceVersion")
            if sent_rv and sent_rv != old["metadata"]["resourceVersion"]:
                raise conflict(rt, name)
            return self._update(rt, ns, old, new, manager, subresource, dry_run)

    def patch(self, rt, ns, name, content_type, body, manager, force=False, subresource=None, dry_run=False):
        with self.cond:
            kind = (content_type or "").split(";")[0].strip()
            if kind == APPLY:
                return self._apply(rt, ns, name, body, manager, force, subresource, dry_run)
            if kind == STRATEGIC and rt.custom:
                raise unsupported_media(kind, [JSON_PATCH, MERGE, APPLY])
            old = self._existing(rt, ns, name)
            if kind == MERGE:
                new = patch.merge_patch(old, body)
            elif kind == JSON_PATCH:
                new = patch.json_patch(old, body)
            elif kind == STRATEGIC:
                new = patch.strategic_merge(old, body)
            else:
                raise unsupported_media(kind, [JSON_PATCH, MERGE, STRATEGIC, APPLY])
            if not isinstance(new, dict):
                raise bad_request("the patch must leave a JSON object")
            objects.check_body(rt, new, ns)
            # A patch carrying metadata.resourceVersion is an optimistic-concurrency precondition.
            sent_rv = new["metadata"].get("resourceVersion")
            if sent_rv and sent_rv != old["metadata"]["resourceVersion"]:
                raise conflict(rt, name)
            return self._update(rt, ns, old, new, manager, subresource, dry_run)

    def delete(self, rt, ns, name, options=None, dry_run=False):
        """Delete now, or mark for deletion while finalizers remain; returns (object, gone)."""
        with self.cond:
            old = self._existing(rt, ns, name)
            pre = (options or {}).get("preconditions") or {}
            meta = old["metadata"]
            for field, label in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
                if pre.get(field) and pre[field] != meta.get(field):
                    raise ApiError(409, "Conflict", f"Precondition failed: {label} in precondition: {pre[field]}, "
                                   f"{label} in object meta: {meta.get(field)}")
            if dry_run:
                return copy.deepcopy(old), True
            if meta.get("finalizers"):
                if meta.get("deletionTimestamp"):
                    return copy.deepcopy(old), False
                new = copy.deepcopy(old)
                new["metadata"]["deletionTimestamp"] = apply.now()
                new["metadata"]["deletionGracePeriodSeconds"] = 0
                return self._commit(rt, (rt.key, ns, name), new, self.owners[(rt.key, ns, name)], "MODIFIED"), False
            return self._remove(rt, (rt.key, ns, name), (options or {}).get("propagationPolicy")), True

    def mutate(self, rt, ns, name, change, manager, subresource=None):
        """For the controller stand-ins: apply change(copy) under the lock; None means no change."""
        with self.cond:
            key = (rt.key, ns, name)
            if key not in self.objects:
                return None
            old = self.objects[key]
            new = change(copy.deepcopy(old))
            if new is None:
                return None
            return self._update(rt, ns, old, new, manager, subresource, False)

    # ---- internals ---------------------------------------------------------------------

    def _existing(self, rt, ns, name):
        obj = self.objects.get((rt.key, ns, name))
        if obj is None:
            raise not_found(rt, name)
        return obj

    def _namespace_must_exist(self, rt, ns):
        if rt.namespaced and (NAMESPACES.key, "", ns) not in self.objects:
            raise not_found(NAMESPACES, ns)

    def _update(self, rt, ns, old, new, manager, subresource, dry_run):
        if subresource == "status":
            status = new.get("status")
            new = copy.deepcopy(old)
            if status is None:
                new.pop("status", None)
            else:
                new["status"] = status
        elif rt.status_subresource:
            if "status" in old:
                new["status"] = copy.deepcopy(old["status"])
            else:
                new.pop("status", None)
        objects.keep_server_fields(rt, old, new)
        objects.defaults(rt, new)
        objects.validate(rt, new)
        objects.bump_generation(rt, old, new)
        if objects.same(old, new):
            return copy.deepcopy(old)
        key = (rt.key, ns, old["metadata"]["name"])
        owners = copy.deepcopy(self.owners.get(key, {}))
        apply.record_update(owners, manager, old, new, rt.api_version, subresource)
        if dry_run:
            return new
        if new["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers"):
            self.objects[key] = new
            return self._remove(rt, key, None)
        return self._commit(rt, key, new, owners, "MODIFIED")

    def _apply(self, rt, ns, name, body, manager, force, subresource, dry_run):
        if not manager:
            raise bad_request("PATCH request with apply content type requires fieldManager")
        config = copy.deepcopy(body)
        objects.check_body(rt, config, ns)
        if config["metadata"].get("name") not in (None, name):
            raise bad_request("the name of the object does not match the name on the URL")
        config["metadata"]["name"] = name
        key = (rt.key, ns, name)
        old = self.objects.get(key)
        owners = copy.deepcopy(self.owners.get(key, {}))
        sent_rv = config["metadata"].get("resourceVersion")
        if old is None:
            self._namespace_must_exist(rt, ns)
            if sent_rv:
                raise conflict(rt, name)
            new = apply.server_side_apply(None, config, manager, force, owners, rt.api_version)
            objects.fill_new(rt, new, self.rv + 1)
            objects.defaults(rt, new)
            objects.validate(rt, new)
            if dry_run:
                return new
            return self._commit(rt, key, new, owners, "ADDED")
        if sent_rv and sent_rv != old["metadata"]["resourceVersion"]:
            raise conflict(rt, name)
        config["metadata"].pop("resourceVersion", None)
        new = apply.server_side_apply(old, config, manager, force, owners, rt.api_version)
        objects.keep_server_fields(rt, old, new)
        if rt.status_subresource and subresource != "status":
            new["status"] = copy.deepcopy(old.get("status"))
            if new["status"] is None:
                new.pop("status")
        objects.defaults(rt, new)
        objects.validate(rt, new)
        objects.bump_generation(rt, old, new)
        if objects.same(old, new) and owners == self.owners.get(key):
            return copy.deepcopy(old)
        if dry_run:
            return new
        return self._commit(rt, key, new, owners, "MODIFIED")

    def _commit(self, rt, key, obj, owners, kind):
        self.rv += 1
        obj["metadata"]["resourceVersion"] = str(self.rv)
        obj["metadata"]["managedFields"] = apply.render(owners)
        prev = self.objects.get(key)
        self.objects[key] = obj
        self.owners[key] = owners
        self._remember(rt, key, kind, obj, prev)
        return copy.deepcopy(obj)

    def _remove(self, rt, key, propagation):
        obj = self.objects.pop(key)
        self.owners.pop(key, None)
        self.rv += 1
        gone = copy.deepcopy(obj)
        gone["metadata"]["resourceVersion"] = str(self.rv)
        self._remember(rt, key, "DELETED", gone, obj)
        uid = obj["metadata"].get("uid")
        if rt.plural == "namespaces":
            for child in [k for k in self.objects if k[1] == key[2] and k[0] != NAMESPACES.key]:
                self._remove(_type_of(child), child, None)
        self._collect_dependents(uid, propagation)
        return gone

    def _collect_dependents(self, uid, propagation):
        """Garbage collection of objects whose ownerReferences name a deleted owner."""
        for key in [k for k, o in self.objects.items()
                    if any(r.get("uid") == uid for r in o["metadata"].get("ownerReferences") or [])]:
            rt = _type_of(key)
            if propagation == "Orphan":
                self.mutate(rt, key[1], key[2], lambda o: _drop_owner(o, uid), "kube-controller-manager")
            elif key in self.objects:
                self.delete(rt, key[1], key[2])

    def _remember(self, rt, key, kind, obj, prev):
        self.events.append((self.rv, rt.key, key[1], kind, copy.deepcopy(obj), copy.deepcopy(prev)))
        while len(self.events) > self.history:
            self.floor = self.events.popleft()[0]
        self.cond.notify_all()


def _type_of(key):
    group, plural = key[0].split("/", 1)
    return next(t for t in resources.TYPES if t.group == group and t.plural == plural)


def _drop_owner(obj, uid):
    refs = [r for r in obj["metadata"].get("ownerReferences") or [] if r.get("uid") != uid]
    obj["metadata"]["ownerReferences"] = refs
    if not refs:
        del obj["metadata"]["ownerReferences"]
    return obj


def _encode_continue(rv, start):
    return base64.urlsafe_b64encode(json.dumps({"rv": rv, "start": start}).encode()).decode()


def _decode_continue(token):
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        return {"rv": int(data["rv"]), "start": str(data["start"])}
    except (ValueError, KeyError, TypeError):
        raise bad_request("continue key is not valid: incorrect encoded start resourceVersion") from None
