"""Server-side apply and field ownership (managedFields), simplified.

Ownership is tracked per manager as a set of leaf paths. Maps are walked; lists are atomic
(as for CRDs without list-type markers). An apply conflicts when another manager owns a leaf
the applied config sets to a different value; `force` takes it over. A leaf the manager applied
before and no longer applies is removed unless another manager still owns it.
"""

import copy
import time

from .errors import ApiError

# Server-owned metadata, never tracked (as in the real server's managedFields).
_SERVER_META = {
    "name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
    "managedFields", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds", "generateName",
}


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def flatten(obj, prefix=()):
    """{path tuple: leaf value} for every leaf of a JSON object (lists and empty maps are leaves)."""
    out = {}
    for key, value in (obj or {}).items():
        path = prefix + (key,)
        if not prefix and key in ("apiVersion", "kind"):
            continue
        if prefix == ("metadata",) and key in _SERVER_META:
            continue
        if isinstance(value, dict) and value:
            out.update(flatten(value, path))
        else:
            out[path] = value
    return out


def _get(obj, path):
    cur = obj
    for key in path:
        if not isinstance(cur, dict) or key not in cur:
            return _MISSING
        cur = cur[key]
    return cur


_MISSING = object()


def _delete(obj, path):
    parents = []
    cur = obj
    for key in path[:-1]:
        if not isinstance(cur, dict) or key not in cur:
            return
        parents.append((cur, key))
        cur = cur[key]
    if isinstance(cur, dict):
        cur.pop(path[-1], None)
    # Drop maps the removal left empty, as the real server does.
    for parent, key in reversed(parents):
        if parent[key] == {}:
            del parent[key]
        else:
            break


def _merge(live, config):
    for key, value in config.items():
        if isinstance(value, dict) and isinstance(live.get(key), dict) and value:
            _merge(live[key], value)
        else:
            live[key] = copy.deepcopy(value)


def _path_text(path):
    return "." + ".".join(path)


def record_update(owners, manager, old, new, api_version, subresource=None):
    """A non-apply write: the writer owns what it changed, and others lose those fields."""
    before, after = flatten(old), flatten(new)
    changed = {p for p in set(before) | set(after) if before.get(p, _MISSING) != after.get(p, _MISSING)}
    if not changed:
        return
    for name, entry in list(owners.items()):
        if name != (manager, "Update"):
            entry["paths"] -= changed
            if not entry["paths"]:
                del owners[name]
    entry = owners.setdefault(
        (manager, "Update"), {"paths": set(), "apiVersion": api_version, "subresource": subresource}
    )
    entry["paths"] |= {p for p in changed if p in after}
    entry["time"] = now()
    if not entry["paths"]:
        del owners[(manager, "Update")]


def server_side_apply(live, config, manager, force, owners, api_version):
    """Apply `config` as `manager` over `live` (None to create); returns the new object."""
    applied = flatten(config)
    current = copy.deepcopy(live) if live is not None else {}
    conflicts = []
    for (name, op), entry in owners.items():
        if name == manager and op == "Apply":
            continue
        for path in entry["paths"]:
            if path in applied and _get(current, path) != applied[path]:
                conflicts.append((name, path))
    if conflicts and not force:
        text = "; ".join(f'conflict with "{m}" using {api_version}: {_path_text(p)}' for m, p in conflicts)
        plural = "conflict" if len(conflicts) == 1 else "conflicts"
        raise ApiError(
            409,
            "Conflict",
            f"Apply failed with {len(conflicts)} {plural}: {text}",
            {"causes": [
                {"reason": "FieldManagerConflict", "message": f'conflict with "{m}" using {api_version}',
                 "field": _path_text(p)} for m, p in conflicts
            ]},
        )
    mine = owners.get((manager, "Apply"), {"paths": set()})["paths"]
    others = set()
    for key, entry in owners.items():
        if key != (manager, "Apply"):
            others |= entry["paths"]
    for path in mine - set(applied) - others:
        _delete(current, path)
    _merge(current, config)
    taken = {p for _, p in conflicts}
    for key, entry in list(owners.items()):
        entry["paths"] -= taken
        if not entry["paths"] and key != (manager, "Apply"):
            del owners[key]
    owners[(manager, "Apply")] = {"paths": set(applied), "apiVersion": api_version, "time": now(), "subresource": None}
    return current


def render(owners):
    """The metadata.managedFields list for an ownership table."""
    out = []
    for (manager, op), entry in owners.items():
        tree = {}
        for path in sorted(entry["paths"]):
            node = tree
            for key in path:
                node = node.setdefault(f"f:{key}", {})
        item = {
            "manager": manager,
            "operation": op,
            "apiVersion": entry.get("apiVersion", "v1"),
            "time": entry.get("time") or now(),
            "fieldsType": "FieldsV1",
            "fieldsV1": tree,
        }
        if entry.get("subresource"):
            item["subresource"] = entry["subresource"]
        out.append(item)
    return out
