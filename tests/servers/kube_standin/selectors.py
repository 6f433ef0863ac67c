"""Label and field selectors, as `?labelSelector=` and `?fieldSelector=` spell them."""

import re

from .errors import bad_request

_SET = re.compile(r"^\s*([A-Za-z0-9._/-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
_CMP = re.compile(r"^\s*([A-Za-z0-9._/-]+)\s*(==|!=|=)\s*([A-Za-z0-9._-]*)\s*$")
_EXISTS = re.compile(r"^\s*(!?)\s*([A-Za-z0-9._/-]+)\s*$")


def _split(text):
    """Split on commas that are not inside a `(...)` value set."""
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p for p in parts if p.strip()]


def parse_labels(text):
    """A list of predicates over a labels dict; raises 400 on a malformed selector."""
    preds = []
    for part in _split(text or ""):
        m = _SET.match(part)
        if m:
            key, op, values = m.group(1), m.group(2), {v.strip() for v in m.group(3).split(",") if v.strip()}
            if op == "in":
                preds.append(lambda lb, k=key, vs=values: k in lb and lb[k] in vs)
            else:
                preds.append(lambda lb, k=key, vs=values: k not in lb or lb[k] not in vs)
            continue
        m = _CMP.match(part)
        if m:
            key, op, value = m.groups()
            if op == "!=":
                preds.append(lambda lb, k=key, v=value: lb.get(k) != v)
            else:
                preds.append(lambda lb, k=key, v=value: lb.get(k) == v)
            continue
        m = _EXISTS.match(part)
        if m:
            neg, key = m.groups()
            if neg:
                preds.append(lambda lb, k=key: k not in lb)
            else:
                preds.append(lambda lb, k=key: k in lb)
            continue
        raise bad_request(f"unable to parse requirement: {part.strip()!r}: found unexpected token")
    return preds


def _field(obj, path):
    cur = obj
    for key in path.split("."):
        if not isinstance(cur, dict):
            return ""
        cur = cur.get(key)
    if cur is None:
        return ""
    if isinstance(cur, dict):
        cur = cur.get("component", "")  # `source` on events is an object; the server indexes its component
    return str(cur)


def parse_fields(text, rt):
    """A list of predicates over an object; only fields the real server indexes are allowed."""
    allowed = {"metadata.name", "metadata.namespace"} | set(rt.field_labels)
    preds = []
    for part in _split(text or ""):
        m = _CMP.match(part) or re.match(r"^\s*([A-Za-z0-9._/-]+)\s*(==|!=|=)\s*(.*?)\s*$", part)
        if not m:
            raise bad_request(f"invalid selector: {part.strip()!r}; can't understand")
        key, op, value = m.groups()
        if key not in allowed:
            raise bad_request(f'field label not supported: {key}')
        if op == "!=":
            preds.append(lambda o, k=key, v=value: _field(o, k) != v)
        else:
            preds.append(lambda o, k=key, v=value: _field(o, k) == v)
    return preds


def matches(obj, label_preds, field_preds):
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return all(p(labels) for p in label_preds) and all(p(obj) for p in field_preds)
