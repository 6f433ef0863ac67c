"""Seed 000's checks on the lab, through the Cloudflare API as the signup Worker and an
operator would make them (the token from LAB_CLOUDFLARE_TOKEN):

  lab_seed000_check.py --signups API ACCOUNT NAMESPACE REGION   the region takes sign-ups
  lab_seed000_check.py --empty   API ACCOUNT NAMESPACE REGION   no tenant is homed there
  lab_seed000_check.py --pool    API ACCOUNT NAMESPACE REGION   its pool is healthy

Exit 0 when it holds; else 1, the reason on the last line (a rollout's command gate shows it).
"""

import json
import os
import sys
import urllib.parse
import urllib.request


def call(api, path, body=None):
    req = urllib.request.Request(api + path, data=json.dumps(body).encode() if body is not None else None,
                                 method="POST" if body is not None else "GET",
                                 headers={"Authorization": "Bearer " + os.environ["LAB_CLOUDFLARE_TOKEN"],
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)


def keys(api, base, prefix):
    out, cursor = [], ""
    while True:
        q = urllib.parse.urlencode({"prefix": prefix, "limit": 1000, **({"cursor": cursor} if cursor else {})})
        page = call(api, f"{base}/keys?{q}")
        out += [k["name"] for k in page["result"]]
        cursor = (page.get("result_info") or {}).get("cursor") or ""
        if not cursor:
            return out


def homed(api, base, region):
    names = keys(api, base, "tenant:")
    found = []
    for i in range(0, len(names), 100):
        got = call(api, f"{base}/bulk/get", {"keys": names[i:i + 100], "type": "json"})
        for name, value in got["result"]["values"].items():
            if isinstance(value, dict) and value.get("region") == region:
                found.append(name.removeprefix("tenant:"))
    return sorted(found)


def main():
    mode, api, account, namespace, region = sys.argv[1:6]
    base = f"/accounts/{account}/storage/kv/namespaces/{namespace}"
    if mode == "--signups":
        if f"signups:{region}" in keys(api, base, "signups:"):
            print(f"{region} takes sign-ups (signups:{region} is in the map)")
            return 0
        print(f"{region} does not take sign-ups: no signups:{region} in the map", file=sys.stderr)
        return 1
    if mode == "--empty":
        left = homed(api, base, region)
        if not left:
            print(f"no tenant is homed in {region}")
            return 0
        shown = ", ".join(left[:5]) + (f" and {len(left) - 5} more" if len(left) > 5 else "")
        print(f"{len(left)} tenant(s) still homed in {region}: {shown} (meridian tenant move ID --to REGION)",
              file=sys.stderr)
        return 1
    if mode == "--pool":
        health = call(api, f"/accounts/{account}/load_balancers/pools/pool-{region}/health")["result"]
        print(json.dumps(health))
        return 0 if json.dumps(health).count('"healthy": false') == 0 else 1
    print(f"unknown mode {mode}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
