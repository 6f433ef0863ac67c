#!/usr/bin/env python3
"""Cut the stand-ins' contract subsets out of the vendors' full API descriptions.

Python 3.11 standard library only. Keeps the operations meridian uses or will use (OPS
below), every schema or parameter they reference (transitively, following `$ref`), and
drops prose and tool metadata (`description`, `example(s)`, `summary`, `tags`, `security`,
`title`, `x-*`), which the checker does not read. Keys are sorted, so a refresh diffs well.

    extract.py cloudflare openapi.json --commit SHA > cloudflare-openapi-subset.json
    extract.py azure trafficmanager.json --common types.json --commit SHA \\
        > trafficmanager-2022-04-01-subset.json

`--common` is `specification/common-types/resource-management/v3/types.json` from the same
repository: the Traffic Manager document points its api-version, subscription and resource
group parameters there, and the subset carries them inline under `parameters`.
See README.md here for where the documents come from.
"""

import argparse
import json
import sys
from pathlib import Path

# (method, path template) kept per vendor, and schemas kept although no kept operation
# names them (the stand-in checks values against them).
CF_POOLS = "/accounts/{account_id}/load_balancers/pools"
CF_LBS = "/zones/{zone_id}/load_balancers"
CF_KV = "/accounts/{account_id}/storage/kv/namespaces"
TM_SUB = "/subscriptions/{subscriptionId}"
TM_RG = TM_SUB + "/resourceGroups/{resourceGroupName}"
TM = "/providers/Microsoft.Network/trafficmanagerprofiles"
OPS = {
    "cloudflare": {
        "ops": [
            ("get", CF_POOLS),
            ("get", CF_POOLS + "/{pool_id}"),
            ("patch", CF_POOLS + "/{pool_id}"),
            ("put", CF_POOLS + "/{pool_id}"),
            ("get", CF_POOLS + "/{pool_id}/health"),
            ("get", CF_LBS),
            ("get", CF_LBS + "/{load_balancer_id}"),
            ("patch", CF_LBS + "/{load_balancer_id}"),
            ("put", CF_LBS + "/{load_balancer_id}"),
            ("get", CF_KV),
            ("get", CF_KV + "/{namespace_id}/keys"),
            ("get", CF_KV + "/{namespace_id}/values/{key_name}"),
            ("put", CF_KV + "/{namespace_id}/values/{key_name}"),
            ("delete", CF_KV + "/{namespace_id}/values/{key_name}"),
        ],
        "extra": ["#/components/schemas/load-balancing_region_code"],
    },
    "azure": {
        "ops": [
            ("get", TM_SUB + TM),
            ("get", TM_RG + TM),
            ("get", TM_RG + TM + "/{profileName}"),
            ("put", TM_RG + TM + "/{profileName}"),
            ("patch", TM_RG + TM + "/{profileName}"),
            ("get", TM_RG + TM + "/{profileName}/{endpointType}/{endpointName}"),
            ("put", TM_RG + TM + "/{profileName}/{endpointType}/{endpointName}"),
            ("patch", TM_RG + TM + "/{profileName}/{endpointType}/{endpointName}"),
        ],
        "extra": [],
    },
}

DROP = {"description", "example", "examples", "summary", "tags", "security", "title",
        "externalDocs"}
# Maps whose keys are names (a property called "description" is not prose).
NAMED = {"properties", "definitions", "schemas", "paths", "responses", "content",
         "patternProperties", "parameters", "requestBodies", "headers", "encoding"}


def strip(node, names=False):
    """Drop prose and x- metadata; a map of names keeps every name."""
    if isinstance(node, list):
        return [strip(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if names:
            out[k] = strip(v)
        elif k in DROP or k.startswith("x-"):
            continue
        else:
            out[k] = strip(v, names=k in NAMED and isinstance(v, dict))
    return out


def pointer(doc, ref):
    node = doc
    for part in ref.lstrip("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def refs(node):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node
        for v in node.values():
            yield from refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from refs(v)


def extract(vendor, doc, common=None, commit=None, source=None):
    want = OPS[vendor]
    out = {k: doc[k] for k in ("openapi", "swagger", "info", "host", "basePath", "schemes",
                               "consumes", "produces", "servers") if k in doc}
    out["paths"] = {}
    for method, path in want["ops"]:
        item = doc["paths"][path]
        kept = out["paths"].setdefault(path, {})
        if "parameters" in item:
            kept["parameters"] = item["parameters"]
        kept[method] = item[method]
    # Follow every $ref: local ones are copied as they are, the common-types ones are
    # copied under this document's #/parameters or #/definitions and pointed there.
    todo = list(want["extra"])
    seen = set()
    copied = {}
    for node in refs(out["paths"]):
        todo.append(node["$ref"])
    while todo:
        ref = todo.pop()
        if ref in seen:
            continue
        seen.add(ref)
        if ref.startswith("#"):
            target = pointer(doc, ref)
            local = ref
        else:
            if common is None:
                sys.exit(f"{ref} points outside the document: pass --common")
            local = "#" + ref.split("#", 1)[1]
            target = pointer(common, local)
        copied[local] = target
        for node in refs(target):
            todo.append(node["$ref"])
    for node in refs(out):  # rewrite external refs to the inlined copies
        if not node["$ref"].startswith("#"):
            node["$ref"] = "#" + node["$ref"].split("#", 1)[1]
    for local, target in copied.items():
        parts = local.lstrip("#/").split("/")
        slot = out
        for p in parts[:-1]:
            slot = slot.setdefault(p, {})
        slot[parts[-1]] = target
    out = strip(out)
    info = out.setdefault("info", {})
    info["x-meridian-subset"] = {
        "source": source or "",
        "commit": commit or "",
        "kept": [f"{m.upper()} {p}" for m, p in want["ops"]],
        "dropped": "description, example(s), summary, tags, security, title, x-* (prose "
                   "and tool metadata); every other key as in the source",
    }
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("vendor", choices=sorted(OPS))
    ap.add_argument("document", help="the vendor's full description (JSON)")
    ap.add_argument("--common", help="common-types types.json (azure)")
    ap.add_argument("--commit", help="the source commit, recorded in info.x-meridian-subset")
    ap.add_argument("--source", help="repository and path, recorded likewise")
    args = ap.parse_args()
    doc = json.loads(Path(args.document).read_text())
    common = json.loads(Path(args.common).read_text()) if args.common else None
    source = args.source or {
        "cloudflare": "github.com/cloudflare/api-schemas openapi.json",
        "azure": "github.com/Azure/azure-rest-api-specs specification/trafficmanager/"
                 "resource-manager/Microsoft.Network/stable/2022-04-01/trafficmanager.json",
    }[args.vendor]
    json.dump(extract(args.vendor, doc, common, args.commit, source), sys.stdout,
              indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
