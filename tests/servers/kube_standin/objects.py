"""What the real server checks and fills on an object before it is stored."""

import base64
import binascii
import re
import uuid

from . import crd_schema
from .apply import now
from .errors import ApiError, bad_request, invalid

_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def check_body(rt, body, url_ns):
    """Kind, apiVersion, namespace and shape checks common to create, update and apply."""
    if not isinstance(body, dict):
        raise bad_request("the request body must be a JSON object")
    if body.get("apiVersion") not in (None, "", rt.api_version):
        raise bad_request(
            f"the API version in the data ({body['apiVersion']}) does not match the expected API "
            f"version ({rt.api_version})"
        )
    if body.get("kind") not in (None, "", rt.kind):
        raise bad_request(f"the kind in the data ({body['kind']}) does not match the expected kind ({rt.kind})")
    body["apiVersion"], body["kind"] = rt.api_version, rt.kind
    meta = body.setdefault("metadata", {})
    if not isinstance(meta, dict):
        raise bad_request("metadata must be an object")
    if rt.namespaced:
        if meta.get("namespace") and meta["namespace"] != url_ns:
            raise bad_request("the namespace of the provided object does not match the namespace sent on the request")
        meta["namespace"] = url_ns
    else:
        meta.pop("namespace", None)


def validate(rt, obj):
    """422 Invalid for what the real server's validation would refuse."""
    meta = obj["metadata"]
    name = meta.get("name", "")
    causes = []
    pattern = _DNS_LABEL if rt.plural == "namespaces" else _DNS_SUBDOMAIN
    if not name:
        causes.append(("metadata.name", "Required value: name or generateName is required"))
    elif len(name) > 253 or not pattern.match(name):
        causes.append((
            "metadata.name",
            f'Invalid value: "{name}": a lowercase RFC 1123 name must consist of lower case alphanumeric '
            "characters, '-' or '.', and must start and end with an alphanumeric character",
        ))
    for field in ("labels", "annotations"):
        value = meta.get(field)
        if value is None:
            continue
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            causes.append((f"metadata.{field}", "Invalid value: values must be strings"))
    # Argo CD's CRD schemas: pruned and checked as the apiserver does (crd_schema.py).
    causes.extend(crd_schema.apply(rt, obj))
    if rt.custom and rt.kind != "AppProject" and not isinstance(obj.get("spec"), dict) and \
            not any(field == "spec" for field, _ in causes):
        causes.append(("spec", "Required value"))
    if rt.kind == "Secret":
        for key, value in (obj.get("data") or {}).items():
            try:
                base64.b64decode(value, validate=True)
            except (binascii.Error, TypeError, ValueError):
                causes.append((f"data[{key}]", "Invalid value: must be base64-encoded"))
    if causes:
        raise invalid(rt, name, causes)


def defaults(rt, obj):
    """Type-specific defaults and conversions done by the real registry strategies."""
    if rt.kind == "Secret":
        obj.setdefault("type", "Opaque")
        string_data = obj.pop("stringData", None) or {}
        data = obj.setdefault("data", {}) or {}
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()
        obj["data"] = data
        if not data:
            obj.pop("data")
    elif rt.kind == "Namespace":
        obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
        obj.setdefault("status", {})["phase"] = "Active"
        obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = obj["metadata"]["name"]


def fill_new(rt, obj, rv):
    """Server-set metadata on create: name from generateName, uid, timestamp, generation."""
    meta = obj["metadata"]
    if meta.get("resourceVersion"):
        raise ApiError(500, "InternalError", "resourceVersion should not be set on objects to be created")
    if not meta.get("name") and meta.get("generateName"):
        meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
    meta["uid"] = str(uuid.uuid4())
    meta["creationTimestamp"] = now()
    meta["resourceVersion"] = str(rv)
    if rt.generation:
        meta["generation"] = 1
    else:
        meta.pop("generation", None)
    for key in ("deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
        meta.pop(key, None)


def keep_server_fields(rt, old, new):
    """On update the server keeps what clients may not change: uid, creation time, generation."""
    for key in ("uid", "creationTimestamp", "generation", "deletionTimestamp", "deletionGracePeriodSeconds"):
        if key in old["metadata"]:
            new["metadata"][key] = old["metadata"][key]
        else:
            new["metadata"].pop(key, None)
    new["metadata"]["name"] = old["metadata"]["name"]


def _spec_part(rt, obj):
    skip = {"metadata", "apiVersion", "kind"}
    if rt.status_subresource:
        skip.add("status")
    return {k: v for k, v in obj.items() if k not in skip}


def bump_generation(rt, old, new):
    """Custom resources count changes outside metadata (and status, when it is a subresource)."""
    if rt.generation and _spec_part(rt, old) != _spec_part(rt, new):
        new["metadata"]["generation"] = old["metadata"].get("generation", 1) + 1


def same(old, new):
    """Whether an update changes nothing (the real server then writes nothing)."""
    def strip(o):
        meta = {k: v for k, v in o.get("metadata", {}).items() if k not in ("resourceVersion", "managedFields")}
        return dict(o, metadata=meta)

    return strip(old) == strip(new)
