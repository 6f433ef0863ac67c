"""Discovery documents: the legacy per-group-version form and the aggregated (v2) form."""

from . import resources

VERSION = {
    "major": "1",
    "minor": "33",
    "gitVersion": "v1.33.0-standin",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2025-01-01T00:00:00Z",
    "goVersion": "go1.24.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}

AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
AGGREGATED_V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"


def aggregated_version(accept):
    """Which aggregated discovery form the client asked for, if any ("v2", "v2beta1" or None)."""
    for part in (accept or "").split(","):
        params = {}
        for kv in part.split(";")[1:]:
            if "=" in kv:
                k, v = kv.strip().split("=", 1)
                params[k] = v
        if params.get("g") == "apidiscovery.k8s.io" and params.get("as") == "APIGroupDiscoveryList":
            if params.get("v") in ("v2", "v2beta1"):
                return params["v"]
    return None


def _types(group, version):
    return [t for t in resources.TYPES if t.group == group and t.version == version]


def api_versions(port):
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": f"127.0.0.1:{port}"}],
    }


def _group_entry(group, version):
    gv = {"groupVersion": f"{group}/{version}", "version": version}
    return {"name": group, "versions": [gv], "preferredVersion": gv}


def api_group_list():
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [_group_entry(g, v) for g, v in resources.groups().items()],
    }


def api_group(group):
    version = resources.groups().get(group)
    if version is None:
        return None
    return dict(_group_entry(group, version), kind="APIGroup", apiVersion="v1")


def resource_list(group, version):
    """The legacy APIResourceList of one group version, or None when it is not served."""
    types = _types(group, version)
    if not types:
        return None
    out = []
    for t in types:
        entry = {
            "name": t.plural,
            "singularName": t.singular,
            "namespaced": t.namespaced,
            "kind": t.kind,
            "verbs": resources.VERBS,
        }
        if t.short_names:
            entry["shortNames"] = list(t.short_names)
        if t.categories:
            entry["categories"] = list(t.categories)
        out.append(entry)
        if t.status_subresource:
            out.append({
                "name": f"{t.plural}/status",
                "singularName": "",
                "namespaced": t.namespaced,
                "kind": t.kind,
                "verbs": ["get", "patch", "update"],
            })
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": out,
    }


def _aggregated_resource(t):
    entry = {
        "resource": t.plural,
        "responseKind": {"group": t.group, "version": t.version, "kind": t.kind},
        "scope": "Namespaced" if t.namespaced else "Cluster",
        "singularResource": t.singular,
        "verbs": resources.VERBS,
    }
    if t.short_names:
        entry["shortNames"] = list(t.short_names)
    if t.categories:
        entry["categories"] = list(t.categories)
    if t.status_subresource:
        entry["subresources"] = [{
            "subresource": "status",
            "responseKind": {"group": t.group, "version": t.version, "kind": t.kind},
            "verbs": ["get", "patch", "update"],
        }]
    return entry


def aggregated(legacy_core, version):
    """APIGroupDiscoveryList for /api (legacy_core) or /apis."""
    if legacy_core:
        groups = {"": "v1"}
    else:
        groups = resources.groups()
    items = []
    for group, ver in groups.items():
        items.append({
            "metadata": {"name": group, "creationTimestamp": None},
            "versions": [{
                "version": ver,
                "resources": [_aggregated_resource(t) for t in _types(group, ver)],
                "freshness": "Current",
            }],
        })
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": f"apidiscovery.k8s.io/{version}",
        "metadata": {},
        "items": items,
    }
