"""Cuts the OpenAPI v3 schemas out of Argo CD's published CRDs (argo-cd-*-crd.yaml, from
`manifests/crds/` of argoproj/argo-cd) into argo-cd-crd-schemas.json, which the Kubernetes
stand-in reads (it runs without PyYAML): per `group/version/Kind`, the served version's
`openAPIV3Schema` with its `description`s dropped (nothing else changed).

    python argo_crds.py            write argo-cd-crd-schemas.json (needs PyYAML)
    python argo_crds.py --check    exit 1 if the JSON is not what the YAML files give
"""

import json
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).parent
FILES = ["argo-cd-application-crd.yaml", "argo-cd-applicationset-crd.yaml", "argo-cd-appproject-crd.yaml"]
OUT = HERE / "argo-cd-crd-schemas.json"


def strip(node):
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k != "description" or not isinstance(v, str)}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def schemas():
    out = {}
    for name in FILES:
        crd = yaml.safe_load((HERE / name).read_text())
        spec = crd["spec"]
        for version in spec["versions"]:
            if not version.get("served"):
                continue
            key = f'{spec["group"]}/{version["name"]}/{spec["names"]["kind"]}'
            out[key] = strip(version["schema"]["openAPIV3Schema"])
    return out


def render():
    return json.dumps(schemas(), indent=None, sort_keys=True, separators=(",", ":")) + "\n"


if __name__ == "__main__":
    if sys.argv[1:] == ["--check"]:
        if OUT.read_text() != render():
            sys.exit(f"{OUT.name} is not what the CRD files give: run python {Path(__file__).name}")
    else:
        OUT.write_text(render())
