"""Argo CD's CRD schemas, applied as an API server with those CRDs installed applies them to
every Application, ApplicationSet and AppProject written (created, replaced, patched,
applied; the controller stand-in's own writes too).

The schemas are the `openAPIV3Schema`s of Argo CD's published CRDs
(../contracts/argo-cd-*-crd.yaml, cut into ../contracts/argo-cd-crd-schemas.json by
../contracts/argo_crds.py). What the apiserver does with a structural schema, in its order:

1. Pruning: a field the schema does not name is dropped, unless its object says
   `x-kubernetes-preserve-unknown-fields: true` (then everything under it is kept as sent,
   apart from fields its schema does name, which are pruned and checked as usual). A `null`
   for a field that is not `nullable` is dropped too. `metadata` is the server's (only its
   name and labels are checked elsewhere); `apiVersion` and `kind` are kept.
2. Validation of what is left: `type` (with `x-kubernetes-int-or-string`), `required`,
   `enum`, `format` (`int64`, `date-time`), string lengths and patterns, number bounds, list
   lengths. Every problem is a cause of one 422 Invalid, with its field path
   (`spec.source.targetRevision`) and the apiserver's wording.

Not done: `fieldValidation=Strict` (the server then refuses unknown fields with 400 instead
of pruning them; kubectl asks for it), and the Warning header that names pruned fields.
"""

import json
import re
from datetime import datetime
from pathlib import Path

# The stand-ins' shared JSON type names (tests/servers is the working directory).
from standin_common import kind_of

_SCHEMAS = Path(__file__).resolve().parent.parent / "contracts" / "argo-cd-crd-schemas.json"
_loaded = None


def schema_for(rt):
    """The CRD schema of a resource type, or None for types no CRD describes."""
    global _loaded
    if rt.group != "argoproj.io":
        return None
    if _loaded is None:
        _loaded = json.loads(_SCHEMAS.read_text())
    return _loaded.get(f"{rt.group}/{rt.version}/{rt.kind}")


def prune(node, schema):
    """`node` without the fields `schema` does not allow (see the module's 1.)."""
    if not isinstance(schema, dict):
        return node
    if isinstance(node, dict):
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        keep = schema.get("x-kubernetes-preserve-unknown-fields") is True
        out = {}
        for key, value in node.items():
            sub = (props or {}).get(key)
            if sub is None and isinstance(extra, dict):
                sub = extra
            if sub is None and not (keep or extra is True):
                continue
            if value is None and sub is not None and not sub.get("nullable") and \
                    not sub.get("x-kubernetes-preserve-unknown-fields"):
                continue
            out[key] = prune(value, sub) if sub is not None else value
        return out
    if isinstance(node, list) and isinstance(schema.get("items"), dict):
        return [prune(v, schema["items"]) for v in node]
    return node


def _quote(value):
    return json.dumps(value) if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _fits(value, wanted, schema):
    got = kind_of(value)
    if schema.get("x-kubernetes-int-or-string"):
        return got in ("integer", "string")
    if wanted is None:
        return True
    if wanted == "number":
        return got in ("integer", "number")
    return got == wanted


def _date_time(text):
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        return "T" in text.upper()
    except ValueError:
        return False


def validate(node, schema, path, causes):
    """Append (field, message) for every way `node` breaks `schema` (see the module's 2.)."""
    if not isinstance(schema, dict):
        return
    wanted = schema.get("type")
    if node is None:
        if not schema.get("nullable"):
            causes.append((path, f'Invalid value: "null": {path} in body must be of type {wanted or "object"}: "null"'))
        return
    if not _fits(node, wanted, schema):
        got = kind_of(node)
        want = "integer or string" if schema.get("x-kubernetes-int-or-string") else wanted
        causes.append((path, f'Invalid value: "{got}": {path} in body must be of type {want}: "{got}"'))
        return
    if "enum" in schema and node not in schema["enum"]:
        supported = ", ".join(_quote(v) for v in schema["enum"])
        causes.append((path, f"Unsupported value: {_quote(node)}: supported values: {supported}"))
    if isinstance(node, str):
        fmt = schema.get("format")
        if fmt == "date-time" and not _date_time(node):
            causes.append((path, f'Invalid value: {_quote(node)}: {path} in body must be of type date-time: {_quote(node)}'))
        if "maxLength" in schema and len(node) > schema["maxLength"]:
            causes.append((path, f'Too long: may not be more than {schema["maxLength"]} bytes'))
        if "minLength" in schema and len(node) < schema["minLength"]:
            causes.append((path, f'Invalid value: {_quote(node)}: {path} in body should be at least {schema["minLength"]} chars long'))
        if "pattern" in schema and not re.search(schema["pattern"], node):
            causes.append((path, f'Invalid value: {_quote(node)}: {path} in body should match \'{schema["pattern"]}\''))
    if isinstance(node, (int, float)) and not isinstance(node, bool):
        if schema.get("format") == "int64" and isinstance(node, int) and not -2**63 <= node < 2**63:
            causes.append((path, f"Invalid value: {node}: {path} in body must be of type int64"))
        if "minimum" in schema and node < schema["minimum"]:
            causes.append((path, f'Invalid value: {node}: {path} in body should be greater than or equal to {schema["minimum"]}'))
        if "maximum" in schema and node > schema["maximum"]:
            causes.append((path, f'Invalid value: {node}: {path} in body should be less than or equal to {schema["maximum"]}'))
    if isinstance(node, list):
        if "maxItems" in schema and len(node) > schema["maxItems"]:
            causes.append((path, f'Too many: {len(node)}: must have at most {schema["maxItems"]} items'))
        if "minItems" in schema and len(node) < schema["minItems"]:
            causes.append((path, f'Invalid value: {len(node)}: {path} in body should have at least {schema["minItems"]} items'))
        items = schema.get("items")
        for i, value in enumerate(node):
            validate(value, items, f"{path}[{i}]", causes)
    if isinstance(node, dict):
        for key in schema.get("required") or []:
            if key not in node:
                causes.append((f"{path}.{key}" if path else key, "Required value"))
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for key, value in node.items():
            sub = props.get(key)
            if sub is None and isinstance(extra, dict):
                sub = extra
            if sub is not None:
                validate(value, sub, f"{path}.{key}" if path else key, causes)


def apply(rt, obj):
    """Prune `obj` in place as the apiserver does and return the causes of a 422 (empty when
    it passes); types without a CRD schema pass untouched."""
    schema = schema_for(rt)
    if schema is None:
        return []
    props = schema.get("properties") or {}
    for key in list(obj):
        if key in ("apiVersion", "kind", "metadata"):
            continue
        if key not in props:
            del obj[key]
            continue
        pruned = prune(obj[key], props[key])
        if pruned is None and not props[key].get("nullable"):
            del obj[key]
        else:
            obj[key] = pruned
    causes = []
    for key in schema.get("required") or []:
        if key != "metadata" and key not in obj:
            causes.append((key, "Required value"))
    for key, value in obj.items():
        if key in ("apiVersion", "kind", "metadata"):
            continue
        validate(value, props[key], key, causes)
    return causes
