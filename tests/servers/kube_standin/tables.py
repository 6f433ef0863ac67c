"""Server-side `Table` answers, which kubectl asks for when it prints `get` as columns."""

import calendar
import time


def age(timestamp):
    """How long ago, worded like the real server's table convertor (HumanDuration)."""
    try:
        s = int(time.time() - calendar.timegm(time.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ")))
    except (TypeError, ValueError):
        return "<unknown>"
    if s < -1:
        return "<invalid>"
    if s < 120:
        return f"{max(s, 0)}s"
    m, h = s // 60, s // 3600
    if m < 10:
        return f"{m}m{s % 60}s" if s % 60 else f"{m}m"
    if m < 180:
        return f"{m}m"
    if h < 8:
        return f"{h}h{m % 60}m" if m % 60 else f"{h}h"
    if h < 48:
        return f"{h}h"
    if h < 24 * 8:
        return f"{h // 24}d{h % 24}h" if h % 24 else f"{h // 24}d"
    if h < 24 * 365 * 2:
        return f"{h // 24}d"
    if h < 24 * 365 * 8:
        d = (h // 24) % 365
        return f"{h // 24 // 365}y{d}d" if d else f"{h // 24 // 365}y"
    return f"{h // 24 // 365}y"


def wants_table(accept):
    return "as=Table" in (accept or "")


def _cell(obj, path):
    if path[-1] == "#":
        value = obj
        for key in path[:-1]:
            value = value.get(key) if isinstance(value, dict) else None
        return len(value) if isinstance(value, dict) else 0
    value = obj
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return "" if value is None else value


def _row_object(rt, obj, include):
    if include == "None":
        return None
    if include == "Object":
        return obj
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}


def table(rt, items, rv="", include="Metadata", cont=None):
    """A meta.k8s.io/v1 Table of `items`, with the type's printer columns and Age."""
    columns = [{"name": "Name", "type": "string", "format": "name", "description": "Name of the object", "priority": 0}]
    for name, _, priority in rt.columns:
        columns.append({"name": name, "type": "string", "format": "", "description": name, "priority": priority})
    columns.append({"name": "Age", "type": "date", "format": "", "description": "Creation time", "priority": 0})
    rows = []
    for obj in items:
        cells = [obj["metadata"]["name"]]
        cells += [_cell(obj, path) for _, path, _ in rt.columns]
        cells.append(age(obj["metadata"].get("creationTimestamp")))
        row = {"cells": cells}
        ro = _row_object(rt, obj, include)
        if ro is not None:
            row["object"] = ro
        rows.append(row)
    meta = {"resourceVersion": rv}
    if cont:
        meta["continue"] = cont
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta, "columnDefinitions": columns, "rows": rows}
