"""Patch forms: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and an approximation of
Kubernetes' strategic merge patch for the built-in types this server holds."""

import copy

from .errors import ApiError, bad_request


def merge_patch(target, patch):
    """RFC 7386: objects merge key by key, null deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def _unescape(token):
    return token.replace("~1", "/").replace("~0", "~")


def _pointer(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_request(f"json patch: path {path!r} must start with /")
    return [_unescape(t) for t in path[1:].split("/")]


def _unprocessable(message):
    return ApiError(422, "Invalid", f"the server rejected our request due to an error in our request: {message}")


def _walk(doc, tokens, path):
    cur = doc
    for t in tokens:
        if isinstance(cur, dict) and t in cur:
            cur = cur[t]
        elif isinstance(cur, list) and t.isdigit() and int(t) < len(cur):
            cur = cur[int(t)]
        else:
            raise _unprocessable(f"json patch: path {path!r} does not exist")
    return cur


def _get(doc, path):
    return _walk(doc, _pointer(path), path)


def _remove(doc, path):
    tokens = _pointer(path)
    if not tokens:
        raise _unprocessable("json patch: cannot remove the whole document")
    parent = _walk(doc, tokens[:-1], path)
    last = tokens[-1]
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent.pop(int(last))
    raise _unprocessable(f"json patch: path {path!r} does not exist")


def _add(doc, path, value, replace=False):
    tokens = _pointer(path)
    if not tokens:
        return value
    parent = _walk(doc, tokens[:-1], path)
    last = tokens[-1]
    if isinstance(parent, dict):
        if replace and last not in parent:
            raise _unprocessable(f"json patch: path {path!r} does not exist")
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-" and not replace:
            parent.append(value)
        elif last.isdigit() and int(last) <= len(parent) - (1 if replace else 0):
            if replace:
                parent[int(last)] = value
            else:
                parent.insert(int(last), value)
        else:
            raise _unprocessable(f"json patch: index {last!r} out of range in {path!r}")
    else:
        raise _unprocessable(f"json patch: path {path!r} does not exist")
    return doc


def json_patch(target, ops):
    """RFC 6902 add/remove/replace/move/copy/test."""
    if not isinstance(ops, list):
        raise bad_request("json patch: the body must be a JSON array of operations")
    doc = copy.deepcopy(target)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise bad_request("json patch: each operation needs 'op' and 'path'")
        kind, path = op["op"], op["path"]
        if kind in ("add", "replace", "test") and "value" not in op:
            raise bad_request(f"json patch: '{kind}' needs a 'value'")
        if kind == "add":
            doc = _add(doc, path, copy.deepcopy(op["value"]))
        elif kind == "replace":
            doc = _add(doc, path, copy.deepcopy(op["value"]), replace=True)
        elif kind == "remove":
            _remove(doc, path)
        elif kind in ("move", "copy"):
            value = _get(doc, op.get("from", ""))
            if kind == "move":
                _remove(doc, op["from"])
            doc = _add(doc, path, copy.deepcopy(value))
        elif kind == "test":
            if _get(doc, path) != op["value"]:
                raise _unprocessable(f"json patch: test failed at {path!r}")
        else:
            raise bad_request(f"json patch: unknown operation {kind!r}")
    return doc


# Lists that strategic merge patch merges by a key (from the Go types' patchMergeKey tags);
# every other list is replaced, as for fields without a patch strategy.
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "ports": "containerPort",
    "imagePullSecrets": "name",
    "conditions": "type",
    "ownerReferences": "uid",
}
# Lists of scalars with patchStrategy "merge": the patch adds to them.
MERGE_SCALARS = {"finalizers"}


def _merge_list(field, live, patch):
    live = live if isinstance(live, list) else []
    if any(isinstance(e, dict) and e.get("$patch") == "replace" for e in patch):
        return [e for e in patch if not (isinstance(e, dict) and "$patch" in e)]
    key = MERGE_KEYS.get(field)
    if key:
        out = copy.deepcopy(live)
        for elem in patch:
            if not isinstance(elem, dict):
                return copy.deepcopy(patch)
            idx = next((i for i, e in enumerate(out) if isinstance(e, dict) and e.get(key) == elem.get(key)), None)
            if elem.get("$patch") == "delete":
                if idx is not None:
                    out.pop(idx)
            elif idx is None:
                out.append(strategic_merge({}, elem))
            else:
                out[idx] = strategic_merge(out[idx], elem)
        return out
    if field in MERGE_SCALARS:
        return list(live) + [v for v in patch if v not in live]
    return copy.deepcopy(patch)


def strategic_merge(target, patch):
    """An approximation of strategic merge patch: merge-patch semantics plus the `$patch`,
    `$retainKeys`, `$deleteFromPrimitiveList/` and `$setElementOrder/` directives and the
    merge keys above. Anything schema-specific beyond that table is treated as atomic."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    directive = patch.get("$patch")
    if directive == "delete":
        return None
    if directive == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    retain = patch.get("$retainKeys")
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys") or key.startswith("$setElementOrder/"):
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            if isinstance(out.get(field), list):
                out[field] = [v for v in out[field] if v not in value]
            continue
        if value is None:
            out.pop(key, None)
        elif isinstance(value, list):
            out[key] = _merge_list(key, out.get(key), value)
        elif isinstance(value, dict):
            merged = strategic_merge(out.get(key), value)
            if merged is None:
                out.pop(key, None)
            else:
                out[key] = merged
        else:
            out[key] = value
    if isinstance(retain, list):
        out = {k: v for k, v in out.items() if k in retain}
    return out
