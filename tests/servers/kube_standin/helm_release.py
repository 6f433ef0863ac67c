"""Helm release Secrets in Helm's own storage format (pkg/storage/driver/secrets.go, util.go).

A release is stored as Secret `sh.helm.release.v1.NAME.vN` of type `helm.sh/release.v1`, labels
owner=helm, name, status, version; data.release holds base64(gzip(JSON of the release)), which
the Secret's own base64 wraps a second time.
"""

import base64
import gzip
import json
import time

SECRET_TYPE = "helm.sh/release.v1"
STATUSES = ("unknown", "deployed", "uninstalled", "superseded", "failed", "uninstalling",
            "pending-install", "pending-upgrade", "pending-rollback")


def go_time(t=None):
    """A timestamp as Go's time.Time marshals it (RFC 3339 with nanoseconds, UTC)."""
    t = time.time() if t is None else t
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int((t % 1) * 1e9):09d}Z"


def secret_name(name, version):
    return f"sh.helm.release.v1.{name}.v{version}"


def encode(release):
    raw = json.dumps(release, separators=(",", ":")).encode()
    return base64.b64encode(gzip.compress(raw, compresslevel=9)).decode()


def decode(data):
    raw = base64.b64decode(data)
    if raw[:3] == b"\x1f\x8b\x08":
        raw = gzip.decompress(raw)
    return json.loads(raw)


def release(name, namespace, version, status, chart, chart_version, app_version="", manifest="",
            config=None, description="", first_deployed=None, last_deployed=None):
    """A release record with the fields Helm writes."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    last = last_deployed or go_time()
    return {
        "name": name,
        "info": {
            "first_deployed": first_deployed or last,
            "last_deployed": last,
            "description": description or {"deployed": "Install complete"}.get(status, status.capitalize()),
            "status": status,
        },
        "chart": {
            "metadata": {"name": chart, "version": chart_version, "appVersion": app_version, "apiVersion": "v2"},
            "lock": None,
            "templates": [],
            "values": {},
            "schema": None,
            "files": [],
        },
        "config": config or {},
        "manifest": manifest,
        "version": version,
        "namespace": namespace,
    }


def to_secret(rel, labels=None):
    """The Secret Helm's storage driver writes for a release."""
    lbs = dict(labels or {})
    lbs.update({
        "name": rel["name"],
        "owner": "helm",
        "status": rel["info"]["status"],
        "version": str(rel["version"]),
    })
    lbs.setdefault("createdAt", str(int(time.time())))
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": secret_name(rel["name"], rel["version"]), "namespace": rel["namespace"], "labels": lbs},
        "type": SECRET_TYPE,
        "data": {"release": base64.b64encode(encode(rel).encode()).decode()},
    }


def from_secret(secret):
    return decode(base64.b64decode(secret["data"]["release"]).decode())
