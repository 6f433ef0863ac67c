#!/usr/bin/env python3
"""Write a simulated fleet file of any size, for measuring meridian at scale.

    scripts/gen-fleet.py REGIONS TENANTS > big.toml

Every tenant runs in every region (REGIONS x TENANTS applications); everything is served
by the simulator, so `meridian -c big.toml status --json` and the dashboard run anywhere.
"""
import sys


def main() -> int:
    if len(sys.argv) != 3 or not all(a.isdigit() and int(a) > 0 for a in sys.argv[1:]):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    regions, tenants = int(sys.argv[1]), int(sys.argv[2])
    ids = [f"region-{i:03}" for i in range(regions)]
    out = [f'[fleet]\nname = "scale-{regions}x{tenants}"\n']
    for i, rid in enumerate(ids):
        role = "primary" if i == 0 else "secondary"
        out.append(
            f'[[regions]]\nid = "{rid}"\nrole = "{role}"\nsteady_weight = {1 + i % 50}\n'
        )
    listed = ", ".join(f'"{r}"' for r in ids)
    for t in range(tenants):
        env = "prd" if t % 3 == 0 else "stg"
        out.append(
            f'[[tenants]]\nid = "tenant-{t:04}"\nenvironment = "{env}"\n'
            f"regions = [{listed}]\n"
        )
    for p in ["infrastructure", "dns-delegation", "cluster-bootstrap", "pki-tls",
              "platform-services", "region-registration", "smoke-test"]:
        out.append(f'[[phases]]\nid = "{p}"\nsteps = ["one", "two"]\n')
    sys.stdout.write("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
