# Sourced by scripts/lab.sh: the servers, helpers and fleet files of the seed drills
# (examples/seeds/*/README.md).
#
# Seed 000 (000-region-registration): a Cloudflare account of its own on LAB_KV_PORT (the
# Cloudflare stand-in again, so that its Workers KV consistency can be switched without
# touching the other lab fleets): the load balancer auth.cogrion.com over pools sgp-1,
# fra-1 and iad-1 (the region being registered), and the KV namespace that maps each tenant
# (`tenant:<id>`, a JSON document with a `region` field, as the provisioning Worker writes
# it) to its home region, with `signups:<region>` present for each region open to sign-ups.
#
# Seed 003 (003-gitops-cutover): the do-ams3 cluster of the Kubernetes stand-in (seeded by
# lab_kube_seed.py), the record api.oep.lab.example and the tenants' CloudWatch alarms on
# moto (lab_seed.py), two HTTP health services (LAB_HTTP_PORT +3, +4), and the data check
# comparing the AWS database (the lab's PostgreSQL primary) with the DO one (its replica).

cogrion_account="c0a7e1d2c0a7e1d2c0a7e1d2c0a7e1d2"
cogrion_zone="c0a7e1d3c0a7e1d3c0a7e1d3c0a7e1d3"
cogrion_kv="7e4a11d0b5e94c2a8f3d6c1b0a9e8d7f"

start_kv() {
    python3 - "$lab/cf-kv-seed.json" "$cogrion_account" "$cogrion_zone" "$cogrion_kv" <<'PY'
import json, sys
path, account, zone, ns = sys.argv[1:5]
# Named workspaces first (the fleet's [[tenants]]), then 240 more as sign-ups spread them:
# 2 of 3 in sgp-1 (the primary), 1 of 3 in fra-1; none in iad-1 before it is registered.
keys = {"tenant:acme": {"region": "sgp-1", "workspace": "acme", "plan": "enterprise"},
        "tenant:globex": {"region": "fra-1", "workspace": "globex", "plan": "team"},
        "tenant:initech": {"region": "sgp-1", "workspace": "initech", "plan": "team"}}
for i in range(240):
    keys[f"tenant:ws{i:04d}"] = {"region": "fra-1" if i % 3 == 2 else "sgp-1", "workspace": f"ws{i:04d}", "plan": "free"}
keys = {k: json.dumps(v) for k, v in keys.items()}
keys["signups:sgp-1"] = "open"
keys["signups:fra-1"] = "open"
pools = [{"id": f"pool-{r}", "name": r, "monitor": "mon-http",
          "origins": [{"name": f"cplane-{r}", "address": addr}]}
         for r, addr in [("sgp-1", "192.0.2.110"), ("fra-1", "192.0.2.120"), ("iad-1", "192.0.2.130")]]
seed = {"tokens": {"lab-cloudflare-token": "write"}, "account_id": account, "zone_id": zone,
        "pools": pools,
        "load_balancers": [{"id": "lb-auth", "name": "auth.cogrion.com", "steering_policy": "random",
                            "default_pools": [p["id"] for p in pools], "fallback_pool": "pool-sgp-1",
                            "random_steering": {"default_weight": 1, "pool_weights": {
                                "pool-sgp-1": 0.5, "pool-fra-1": 0.3, "pool-iad-1": 0.2}}}],
        "kv": {"lag_seconds": 0, "namespaces": {ns: {"title": "tenant-region-map", "keys": keys}}}}
with open(path, "w") as f:
    json.dump(seed, f)
PY
    python3 "$repo/tests/servers/cloudflare_standin.py" --port "$kv_port" --seed "$lab/cf-kv-seed.json" \
        >"$lab/cloudflare-kv.log" 2>&1 &
    echo "cloudflare-kv $!" >>"$lab/pids"
    # The drills' checks, where the fleet files can name them whatever the checkout's path.
    cp "$repo/scripts/lab_seed000_check.py" "$lab/seed000-check.py"
    cat >"$lab/seed003-data-check.sh" <<SH
#!/usr/bin/env bash
# Seed 003's data check before a cutover: the DO database (the lab's replica) holds what the
# AWS one (the lab's primary) holds, table by table (here: orders, by row count and last id).
set -euo pipefail
q="SELECT count(*) || ' rows, last id ' || coalesce(max(id), 0) FROM orders"
aws=\$("$(pg_bin)/psql" -h 127.0.0.1 -p $pg_port -U postgres -d postgres -XAtqc "\$q")
do=\$("$(pg_bin)/psql" -h 127.0.0.1 -p $((pg_port + 1)) -U postgres -d postgres -XAtqc "\$q")
if [[ "\$aws" == "\$do" ]]; then echo "orders match: \$aws"; exit 0; fi
echo "orders differ: AWS \$aws, DO \$do" >&2
exit 1
SH
    chmod +x "$lab/seed003-data-check.sh"
}

hook() { # region app succeed|fail [message]
    local region=${1:-} app=${2:-} verdict=${3:-} message=${4:-}
    [[ -n "$region" && -n "$app" && ( "$verdict" == succeed || "$verdict" == fail ) ]] ||
        die "usage: scripts/lab.sh hook REGION APP succeed|fail [MESSAGE]"
    local spec="migrate:$verdict"
    [[ -n "$message" ]] && spec="$spec:$message"
    KUBECONFIG="$lab/kubeconfig" "$kube_venv/bin/kubectl" --context "$region" -n argocd annotate --overwrite \
        application "$app" "standin.meridian.dev/presync-hook=$spec" >/dev/null
    say "$region: $app's PreSync Job migrate will $verdict on its next sync"
}

alarm() { # name state [reason]
    local name=${1:-} state=${2:-} reason=${3:-}
    [[ -n "$name" && ( "$state" == ALARM || "$state" == OK ) ]] || die "usage: scripts/lab.sh alarm NAME ALARM|OK [REASON]"
    (eval "$(aws_env)"; "$venv/bin/python" "$repo/scripts/lab_seed.py" "http://127.0.0.1:$moto_port" alarm "$name" "$state" ${reason:+"$reason"})
    say "CloudWatch alarm $name: $state"
}

kv_lag() {
    local secs=${1:-}
    [[ "$secs" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "usage: scripts/lab.sh kv-lag SECONDS"
    control "http://127.0.0.1:$kv_port/__standin/kv/consistency" "{\"lag_seconds\": $secs}"
    say "Workers KV (seed 000): reads lag writes by ${secs}s"
}

write_seed_fleets_000_003() { # zone
    mkdir -p "$(dirname "$seed000_fleet_file")" "$(dirname "$seed003_fleet_file")"
    cat >"$seed000_fleet_file" <<TOML
# Seed 000 on the lab (written by scripts/lab.sh up): tenants (workspaces) routed to a home
# region by a Cloudflare Workers KV map; phase 6 "Region registration" opens a region to
# sign-ups, teardown starts by closing it. The drill: README.md beside this file.
#   source <(scripts/lab.sh env); cargo run -- -c examples/seeds/000-region-registration/fleet.toml

[fleet]
name = "seed-000-cogrion"
description = "Seed 000: Cloudflare load balancer and Workers KV tenant -> region map, sgp-1 primary, iad-1 being registered"

[policy]
health_gate = "1m"

[traffic]
provider = "cloudflare"
account_id = "$cogrion_account"
zone_id = "$cogrion_zone"
load_balancers = ["auth.cogrion.com"]
endpoint_url = "http://127.0.0.1:$kv_port/client/v4"
api_token_env = "LAB_CLOUDFLARE_TOKEN"
timeout = "5s"

# The tenant -> region map the provisioning Worker writes (key tenant:<id>, a JSON document
# with a region field); signups:<region> is present while the region takes new tenants.
[tenant_routing]
provider = "cloudflare-kv"
account_id = "$cogrion_account"
namespace_id = "$cogrion_kv"
tenant_prefix = "tenant:"
value = "json"
signups_prefix = "signups:"
consistency_wait = "30s"
poll = "10s"
endpoint_url = "http://127.0.0.1:$kv_port/client/v4"
api_token_env = "LAB_CLOUDFLARE_TOKEN"
timeout = "5s"

[runner]
provider = "shell"
workdir = "$lab/runner"
environment = "lab"
timeout = "1m"

[[regions]]
id = "sgp-1"
name = "Singapore (primary: principals and provisioning)"
role = "primary"
steady_weight = 0.5
health = { provider = "cloudflare" }

[[regions]]
id = "fra-1"
name = "Frankfurt"
role = "secondary"
steady_weight = 0.3
health = { provider = "cloudflare" }

[[regions]]
id = "iad-1"
name = "N. Virginia (new: phases 1-5 done, not taking sign-ups yet)"
role = "secondary"
steady_weight = 0.2
health = { provider = "cloudflare" }

# Named workspaces of the map (the rest are counted per region, not listed).
[[tenants]]
id = "acme"
environment = "prd"
regions = ["sgp-1", "fra-1", "iad-1"]

[[tenants]]
id = "globex"
environment = "prd"
regions = ["sgp-1", "fra-1", "iad-1"]

[[tenants]]
id = "initech"
environment = "prd"
regions = ["sgp-1", "fra-1", "iad-1"]

# Phase 7 "Smoke test": the region's pool answers through the load balancer and the map
# says the region takes sign-ups (what the signup Worker reads).
[[phases]]
id = "smoke-test"
name = "Smoke test"
steps = [
  { name = "pool healthy", run = ["python3", "$lab/seed000-check.py", "--pool", "http://127.0.0.1:$kv_port/client/v4", "$cogrion_account", "$cogrion_kv", "{region}"], timeout = "10s" },
  { name = "takes sign-ups", run = ["python3", "$lab/seed000-check.py", "--signups", "http://127.0.0.1:$kv_port/client/v4", "$cogrion_account", "$cogrion_kv", "{region}"], timeout = "10s" },
]

# Phase 6 "Region registration": a region whose platform is up (phases 1-5) starts taking
# new tenants. Healthy first, then the KV entry, read back until every location sees it.
#   meridian rollout start region-registration --param region=iad-1 --reason CHG-2041
[[rollouts]]
id = "region-registration"
name = "Phase 6: region registration (open to sign-ups)"
params = ["region"]
steps = [
  { gate = "healthy", region = "{region}", for = "1m" },
  { signups = "open", region = "{region}" },
  { phase = "smoke-test", region = "{region}" },
]

# Teardown, reversed: first remove the region's KV entry (no new tenant lands there), then
# wait until no workspace is homed there (move them: meridian tenant move ID --to REGION),
# then take it out of the load balancer. Deleting the Argo CD apps and the Terraform state
# come after, outside meridian.
#   meridian rollout start region-teardown --param region=iad-1 --reason CHG-2077
[[rollouts]]
id = "region-teardown"
name = "Teardown: close sign-ups, empty, drain"
params = ["region"]
steps = [
  { signups = "close", region = "{region}" },
  { gate = "command", run = ["python3", "$lab/seed000-check.py", "--empty", "http://127.0.0.1:$kv_port/client/v4", "$cogrion_account", "$cogrion_kv", "{region}"], timeout = "7d" },
  { gate = "approval", by = "anyone" },
  { drain = "{region}" },
]
TOML
    cat >"$seed003_fleet_file" <<TOML
# Seed 003 on the lab (written by scripts/lab.sh up): the Laravel backend on DOKS (do-ams3)
# through Argo CD, one app per tenant ({tenant}-laravel, auto-sync, a PreSync migrate Job),
# idle next to the AWS stack until each tenant's cutover. The drill: README.md beside this file.
#   source <(scripts/lab.sh env); cargo run -- -c examples/seeds/003-gitops-cutover/fleet.toml

[fleet]
name = "seed-003-oep"
description = "Seed 003: AWS (ECS) to DigitalOcean (DOKS, Argo CD) per tenant; cutover preconditions and the failed-migration drill"

[policy]
health_gate = "1m"
production_environments = ["prd"]

[traffic]
provider = "route53"
hosted_zone_id = "$1"
record_name = "api.oep.lab.example"
record_type = "A"
endpoint_url = "http://127.0.0.1:$moto_port"
aws_region = "us-east-1"
change_timeout = "30s"

[gitops]
provider = "argocd"
timeout = "5s"
sync_timeout = "1m"

# "Alerts quiet 7 d": the tenants' alarms (tag tenant = ID), read from their history.
[alarms]
provider = "cloudwatch"
tags = { service = "oep" }
aws_regions = ["eu-central-1"]
endpoint_url = "http://127.0.0.1:$moto_port"

[[regions]]
id = "aws-eu-central-1"
name = "AWS (ECS, today's traffic)"
cloud_region = "eu-central-1"
role = "primary"
steady_weight = 100
endpoints = ["http://127.0.0.1:$((http_port + 3))/healthz", "http://127.0.0.1:$((http_port + 3))/health/ready"]
health = { provider = "http" }
database = { provider = "postgres", dsn_file = "$lab/secrets.toml", dsn_key = "us-east-1" }
lag = { provider = "postgres", dsn_file = "$lab/secrets.toml", dsn_key = "us-east-1" }

[[regions]]
id = "do-ams3"
name = "DigitalOcean DOKS oep-prd-cluster (idle until cutover)"
cloud_region = "eu-central-1"
role = "secondary"
steady_weight = 0
endpoints = ["http://127.0.0.1:$((http_port + 4))/healthz", "http://127.0.0.1:$((http_port + 4))/health/ready"]
health = { provider = "http" }
# The data migration (DM6) replicates the AWS database into DO's: the lab's replica.
database = { provider = "postgres", dsn_file = "$lab/secrets.toml", dsn_key = "eu-west-1" }
lag = { provider = "postgres", dsn_file = "$lab/secrets.toml", dsn_key = "eu-west-1" }
cluster = { context = "do-ams3", kubeconfig = "$lab/kubeconfig" }

[[tenants]]
id = "oep-stg"
environment = "stg"
regions = ["do-ams3"]
argo_app = "oep-stg-laravel"

[[tenants]]
id = "mansety-prd"
environment = "prd"
regions = ["do-ams3"]
argo_app = "mansety-prd-laravel"

[[tenants]]
id = "us-prd"
environment = "prd"
regions = ["do-ams3"]
argo_app = "us-prd-laravel"

# BD-7.5's cutover preconditions for one tenant: alarms quiet 7 d (answered at once from
# CloudWatch's history), the app Synced and Healthy, the data check, the DOKS deploy
# healthy for 7 d (counted from the gate's start), then a second person signs off.
#   meridian rollout start cutover-preconditions --param tenant=mansety-prd --reason BD-7.5
[[rollouts]]
id = "cutover-preconditions"
name = "Cutover preconditions (BD-7.5)"
params = ["tenant"]
steps = [
  { gate = "alarms", tag = "tenant={tenant}", for = "7d" },
  { gate = "command", run = ["sh", "-c", "s=\$(kubectl --kubeconfig $lab/kubeconfig --context do-ams3 -n argocd get application \"\$1-laravel\" --no-headers -o custom-columns=SYNC:.status.sync.status,HEALTH:.status.health.status) && echo \"\$1-laravel: \$s\" && [ \"\$(echo \$s)\" = 'Synced Healthy' ]", "app-check", "{tenant}"], timeout = "10m" },
  { gate = "command", run = ["$lab/seed003-data-check.sh"], timeout = "1h" },
  { gate = "healthy", region = "do-ams3", for = "7d" },
  { gate = "approval", by = "second-person" },
]

# A release the way do-deploy.yml makes one, watched by meridian: sync the tenant's app
# (its PreSync migrate Job runs first), then the DOKS deploy stays healthy.
#   meridian rollout start release --param tenant=mansety-prd --reason REL-118
[[rollouts]]
id = "release"
name = "Release one tenant on DOKS"
params = ["tenant"]
steps = [
  { sync = "{tenant}", region = "do-ams3" },
  { gate = "healthy", region = "do-ams3", for = "2m" },
]
TOML
}
