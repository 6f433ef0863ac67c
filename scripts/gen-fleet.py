#!/usr/bin/env python3
"""Write a simulated fleet file of any size, for measuring meridian at scale.

    scripts/gen-fleet.py REGIONS TENANTS [--real SERVERS.json] > big.toml

Every tenant runs in every region (REGIONS x TENANTS applications); everything is served
by the simulator, so `meridian -c big.toml status --json` and the dashboard run anywhere.

With --real (what scripts/bench-real.sh writes), traffic, health, database and lag come from
real local servers instead: Route 53 weights and CloudWatch health-check metrics on moto,
HTTP probes of local services, and PostgreSQL or Redis replication. SERVERS.json holds
"moto" (URL), "zone", "checks" (one health-check id per region), "http" (service URLs,
shared round robin), "secrets" (a TOML file of connection strings by region id) and "db"
("postgres" or "redis"). Applications and phases stay simulated.
"""
import json
import sys


def main() -> int:
    args = sys.argv[1:]
    real = None
    if len(args) == 4 and args[2] == "--real":
        with open(args[3]) as f:
            real = json.load(f)
        args = args[:2]
    if len(args) != 2 or not all(a.isdigit() and int(a) > 0 for a in args):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    regions, tenants = int(args[0]), int(args[1])
    ids = [f"region-{i:03}" for i in range(regions)]
    out = [f'[fleet]\nname = "scale-{regions}x{tenants}"\n']
    if real:
        out.append(
            f'[traffic]\nprovider = "route53"\nhosted_zone_id = "{real["zone"]}"\n'
            f'record_name = "app.bench.example"\nrecord_type = "A"\n'
            f'endpoint_url = "{real["moto"]}"\naws_region = "us-east-1"\n'
        )
    for i, rid in enumerate(ids):
        role = "primary" if i == 0 else "secondary"
        out.append(
            f'[[regions]]\nid = "{rid}"\nrole = "{role}"\nsteady_weight = {1 + i % 50}\n'
            + (real_region(real, i) if real else "")
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


def real_region(real: dict, i: int) -> str:
    """A region's endpoints, health, database and lag on the real local servers."""
    url = real["http"][i % len(real["http"])]
    db = f'{{ provider = "{real["db"]}", dsn_file = "{real["secrets"]}" }}'
    return (
        f'endpoints = ["{url}/healthz", "{url}/health/ready"]\n'
        f'health = [{{ provider = "http" }}, {{ provider = "route53", '
        f'health_check_id = "{real["checks"][i]}", endpoint_url = "{real["moto"]}" }}]\n'
        f"database = {db}\nlag = {db}\n"
    )


if __name__ == "__main__":
    sys.exit(main())
