#!/usr/bin/env bash
# A local lab: real servers on 127.0.0.1 seeded as a small 3-region fleet, so meridian's TUI
# and CLI run against Route 53 (moto), PostgreSQL and Redis replication for real.
#
#   scripts/lab.sh up                     start and seed everything, write examples/fleet-lab.toml
#                                         (PostgreSQL) and examples/fleet-lab-redis.toml (Redis)
#   scripts/lab.sh down                   stop everything (by recorded PID) and remove the lab
#   scripts/lab.sh lag on|off             pause/resume replay on the PostgreSQL replica (eu-west-1)
#                                         while writing on the primary, so lag grows
#   scripts/lab.sh redis-lag SECONDS      the Redis replica sleeps while the primary writes
#   scripts/lab.sh health REGION fail|ok  make a region's HTTP service (/healthz, /health/ready)
#                                         and its Route 53 health check fail or pass
#   scripts/lab.sh pool REGION fail|ok    make a region's Cloudflare pool unhealthy or healthy
#   scripts/lab.sh endpoint REGION STATUS set an Azure endpoint's monitor status
#                                         (Online, Degraded, Stopped, CheckingEndpoint)
#   scripts/lab.sh env                    print the environment meridian needs (source it)
#   scripts/lab.sh push REGION APP SHA    a push to Git: APP's branch head in REGION's cluster
#   scripts/lab.sh kube REGION FAULT      FAULT: blackhole | slow SECONDS | status CODE | malformed |
#                                         stop | resume
#   scripts/lab.sh hook REGION APP succeed|fail [MESSAGE]
#                                         APP's PreSync migrate Job succeeds or fails on its next sync
#   scripts/lab.sh alarm NAME ALARM|OK [REASON]   set a CloudWatch alarm's state (seed 003's gate)
#   scripts/lab.sh kv-lag SECONDS         Workers KV reads lag writes by SECONDS (0: at once)
#   scripts/lab.sh app-health REGION APP STATUS|clear
#                                         Argo CD reports APP in REGION with this health
#                                         (Degraded, Missing, ...) until cleared
#
# Then:  source <(scripts/lab.sh env); cargo run -- -c examples/fleet-lab.toml
#
# fleet-lab.toml: us-east-1 = PostgreSQL primary, eu-west-1 and ap-southeast-1 = streaming
# replicas. fleet-lab-redis.toml: the same traffic, with Redis as the database of us-east-1
# (primary), eu-west-1 and ap-southeast-1 (replicas). Traffic is the weighted record app.lab.example.
# in a moto hosted zone; health is HTTP probes of a small service per region
# (scripts/health_server.py) combined with one Route 53 health check per region. Phases run
# with the shell runner (deploy, smoke test against the region's service).
# fleet-lab-cloudflare.toml (seeds 000/001): us-east-2, eu-west-1, ap-south-1 behind two
# Cloudflare load balancers on the local Cloudflare stand-in. fleet-lab-azure.toml (seed
# 002): eastus 70 / westeurope 30 on the local Traffic Manager stand-in, tokens from its
# Entra endpoint through azure_identity. fleet-lab-latency.toml (seed 004): Route 53 latency
# records with health checks on moto, no weights. fleet-lab-geo.toml (seed 001): one
# geo-steered Cloudflare load balancer on the stand-in. Ports: LAB_MOTO_PORT (5055), LAB_PG_PORT (5433,
# replicas +1 and +2), LAB_REDIS_PORT (6380, replica +1), LAB_HTTP_PORT (8081, +1 and +2
# for the other regions), LAB_CF_PORT (5080), LAB_AZ_PORT (5443, HTTPS with a throwaway CA
# in the lab dir), LAB_KUBE_PORT (7440: us-east-1, +1 eu-west-1, +2 ap-southeast-1, +3 the
# control API, +4 do-ams3: seed 003's DOKS cluster), LAB_KV_PORT (5085: seed 000's
# Cloudflare account, load balancer and Workers KV tenant map), LAB_ELASTICACHE_PORT (5060,
# the ElastiCache Global Datastore stand-in).
#
# The seed drills (examples/seeds/*/README.md): 000-region-registration/fleet.toml (seed
# 000: tenants routed to a home region by Workers KV; phase 6 opens a region to sign-ups,
# teardown closes it first) and 003-gitops-cutover/fleet.toml (seed 003: Argo CD apps with
# a PreSync migrate hook on do-ams3, CloudWatch alarms on moto, the cutover preconditions).
#
# Also examples/seeds/002-release-with-plan-approval/fleet.toml (seed 002: per region a Terraform-
# plan artifact approved by a second person, apply, Helm deploy with its diff, synthetic
# checks, 15 minutes green, Traffic Manager 90/10 during and 70/30 after) and
# examples/seeds/004-whole-region-failover/fleet.toml (seed 004: Route 53 latency, an Aurora
# Global Database on moto and an ElastiCache Global Datastore on its stand-in failing over
# together). `scripts/lab.sh store-lag AURORA_MS CACHE_S` writes fresh lag readings.
#
# Kubernetes: the stand-in (tests/servers/kube_standin) serves one cluster per region with
# Argo CD Applications, an ApplicationSet, an AppProject and a Helm release (see
# scripts/lab_kube_seed.py); `scripts/lab.sh env` exports KUBECONFIG (one context per region),
# and the venv's kubectl and helm work against it. fleet-lab.toml reads them: [gitops]
# provider "argocd", a cluster per region, tenants checkout, platform (ApplicationSet) and
# aragora (Helm), and the fleet lock as a Lease in us-east-1's cluster.
# Everything lives in MERIDIAN_LAB_DIR (/tmp/meridian-lab). The Python environments are where
# scripts/ci-backends.sh installed them (scripts/venvs.sh: under the account's home whatever
# $HOME says; MERIDIAN_TEST_VENV and MERIDIAN_KUBE_VENV override).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
lab="${MERIDIAN_LAB_DIR:-/tmp/meridian-lab}"
source "$repo/scripts/venvs.sh"
venv="$MERIDIAN_TEST_VENV"
moto_port="${LAB_MOTO_PORT:-5055}"
pg_port="${LAB_PG_PORT:-5433}"
redis_port="${LAB_REDIS_PORT:-6380}"
kube_port="${LAB_KUBE_PORT:-7440}"
kube_venv="$MERIDIAN_KUBE_VENV"
cf_port="${LAB_CF_PORT:-5080}"
az_port="${LAB_AZ_PORT:-5443}"
http_port="${LAB_HTTP_PORT:-8081}"
kv_port="${LAB_KV_PORT:-5085}"
ec_port="${LAB_ELASTICACHE_PORT:-5060}"
lab_regions=(us-east-1 eu-west-1 ap-southeast-1)
fleet_file="$repo/examples/fleet-lab.toml"
redis_fleet_file="$repo/examples/fleet-lab-redis.toml"
cf_fleet_file="$repo/examples/fleet-lab-cloudflare.toml"
geo_fleet_file="$repo/examples/fleet-lab-geo.toml"
latency_fleet_file="$repo/examples/fleet-lab-latency.toml"
az_fleet_file="$repo/examples/fleet-lab-azure.toml"
seed000_fleet_file="$repo/examples/seeds/000-region-registration/fleet.toml"
seed003_fleet_file="$repo/examples/seeds/003-gitops-cutover/fleet.toml"
# Seed 003's two regions, each with its own HTTP health service (LAB_HTTP_PORT +3, +4).
seed003_regions=(aws-eu-central-1 do-ams3)
seed002_dir="$repo/examples/seeds/002-release-with-plan-approval"
seed004_dir="$repo/examples/seeds/004-whole-region-failover"

say() { echo "lab: $*" >&2; }
die() { say "$*"; exit 1; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
psql_at() { as_pg "$(pg_bin)/psql" -h 127.0.0.1 -p "$1" -U postgres -d postgres -XAtqc "$2"; }
aws_env() {
    # Static test credentials and no instance metadata: nothing leaves the machine.
    echo "export AWS_ACCESS_KEY_ID=lab AWS_SECRET_ACCESS_KEY=lab AWS_SESSION_TOKEN=lab"
    # Both names: the SDKs read AWS_REGION, the AWS CLI reads AWS_DEFAULT_REGION.
    echo "export AWS_EC2_METADATA_DISABLED=true AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1"
    echo "export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null"
    echo "export KUBECONFIG=$lab/kubeconfig PATH=$kube_venv/bin:\$PATH"
    # The stand-ins' own credentials, under names no real account uses.
    echo "export LAB_CLOUDFLARE_TOKEN=lab-cloudflare-token LAB_AZURE_SECRET=lab-azure-secret"
}

wait_until() { # what, seconds, command...
    local what=$1 limit=$2; shift 2
    for _ in $(seq 1 $((limit * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    die "$what not ready after ${limit}s"
}

up() {
    [[ -e "$lab/pids" ]] && die "a lab is already up in $lab (scripts/lab.sh down first)"
    [[ -x "$venv/bin/python" ]] && [[ -n "$(pg_bin)" ]] && command -v redis-server >/dev/null ||
        die "servers missing: run scripts/ci-backends.sh install"
    mkdir -p "$lab"
    chmod 755 "$lab"
    : >"$lab/pids"
    local t0; t0=$(date +%s%N)

    say "moto on 127.0.0.1:$moto_port"
    "$venv/bin/python" "$repo/tests/support/moto_launcher.py" -H 127.0.0.1 -p "$moto_port" >"$lab/moto.log" 2>&1 &
    echo "moto $!" >>"$lab/pids"

    say "kubernetes stand-in :$kube_port-$((kube_port + 2)), control :$((kube_port + 3))"
    (cd "$repo/tests/servers" && exec python3 -S -m kube_standin --cluster "us-east-1=$kube_port" \
        --cluster "eu-west-1=$((kube_port + 1))" --cluster "ap-southeast-1=$((kube_port + 2))" \
        --cluster "do-ams3=$((kube_port + 4))" --control-port "$((kube_port + 3))" --ports-file "$lab/kube.json" --sync-seconds 2 \
        --health-seconds 5) >"$lab/kube.log" 2>&1 &
    echo "kube-standin $!" >>"$lab/pids"
    write_kubeconfig
    say "HTTP health services :$http_port-$((http_port + 2))"
    local i
    for i in 0 1 2; do
        echo ok >"$lab/health-${lab_regions[$i]}"
        python3 "$repo/scripts/health_server.py" --port "$((http_port + i))" --state "$lab/health-${lab_regions[$i]}" \
            >"$lab/http-${lab_regions[$i]}.log" 2>&1 &
        echo "http-${lab_regions[$i]} $!" >>"$lab/pids"
        echo "http://127.0.0.1:$((http_port + i))" >"$lab/url-${lab_regions[$i]}"
    done
    for i in 0 1; do
        local r=${seed003_regions[$i]}
        echo ok >"$lab/health-$r"
        python3 "$repo/scripts/health_server.py" --port "$((http_port + 3 + i))" --state "$lab/health-$r" \
            >"$lab/http-$r.log" 2>&1 &
        echo "http-$r $!" >>"$lab/pids"
        echo "http://127.0.0.1:$((http_port + 3 + i))" >"$lab/url-$r"
    done
    mkdir -p "$lab/runner"

    say "redis primary :$redis_port, replicas :$((redis_port + 1)) :$((redis_port + 2))"
    for port in "$redis_port" "$((redis_port + 1))" "$((redis_port + 2))"; do
        local extra=()
        [[ $port != "$redis_port" ]] && extra=(--replicaof 127.0.0.1 "$redis_port")
        redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$lab" \
            --dbfilename "dump-$port.rdb" --repl-diskless-sync-delay 0 --enable-debug-command local \
            --daemonize yes --pidfile "$lab/redis-$port.pid" --logfile "$lab/redis-$port.log" "${extra[@]}"
    done

    say "postgres primary :$pg_port, replicas :$((pg_port + 1)) :$((pg_port + 2))"
    local bin; bin=$(pg_bin)
    mkdir -p "$lab/pg"
    [[ $(id -u) -eq 0 ]] && chown postgres:postgres "$lab/pg"
    # wal_log_hints: pg_rewind (`meridian rejoin`) needs it, or data checksums.
    local opts="-k $lab/pg -c listen_addresses=127.0.0.1 -c wal_level=replica -c max_wal_senders=5 -c hot_standby=on -c wal_log_hints=on"
    as_pg "$bin/initdb" -D "$lab/pg/primary" --auth=trust --no-sync -U postgres >/dev/null
    as_pg "$bin/pg_ctl" -D "$lab/pg/primary" -o "-p $pg_port $opts" -l "$lab/pg/primary.log" -w start >/dev/null
    local n
    for n in 1 2; do
        psql_at "$pg_port" "SELECT pg_create_physical_replication_slot('replica$n')" >/dev/null
        as_pg "$bin/pg_basebackup" -h 127.0.0.1 -p "$pg_port" -U postgres -D "$lab/pg/replica$n" -R -X stream -S "replica$n"
        as_pg "$bin/pg_ctl" -D "$lab/pg/replica$n" -o "-p $((pg_port + n)) $opts" -l "$lab/pg/replica$n.log" -w start >/dev/null
    done
    psql_at "$pg_port" "CREATE TABLE orders (id serial PRIMARY KEY, at timestamptz DEFAULT now())" >/dev/null

    start_standins

    for i in 0 1 2; do
        wait_until "HTTP service $((http_port + i))" 10 python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$((http_port + i))/healthz', timeout=1)"
    done
    wait_until moto 30 "$venv/bin/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$moto_port/moto-api/data.json', timeout=1)"
    for i in 1 2; do
        wait_until "redis replica $i" 20 bash -c "redis-cli -p $((redis_port + i)) INFO replication | grep -q master_link_status:up"
    done
    say "seeding Route 53 (zone, weighted records, health checks)"
    local seeded
    seeded=$(eval "$(aws_env)"; "$venv/bin/python" "$repo/scripts/lab_seed.py" "http://127.0.0.1:$moto_port")
    wait_until "kubernetes stand-in" 20 test -e "$lab/kube.json"
    say "seeding Argo CD apps and a Helm release per cluster with $(python3 "$repo/scripts/lab_kube_seed.py" \
        "$lab/kube.json" "$repo/scripts/lab-chart" "$repo/tests/servers/helm" "$lab/kubeconfig")"
    local zone hc1 hc2 hc3 latency_zone
    read -r zone hc1 hc2 hc3 latency_zone <<<"$seeded"

    cat >"$lab/secrets.toml" <<TOML
# Connection strings for the lab fleet (trust auth on loopback: no passwords here).
"us-east-1" = "postgres://postgres@127.0.0.1:$pg_port/postgres?connect_timeout=2"
"eu-west-1" = "postgres://postgres@127.0.0.1:$((pg_port + 1))/postgres?connect_timeout=2"
"ap-southeast-1" = "postgres://postgres@127.0.0.1:$((pg_port + 2))/postgres?connect_timeout=2"
"redis-us-east-1" = "redis://127.0.0.1:$redis_port"
"redis-eu-west-1" = "redis://127.0.0.1:$((redis_port + 1))"
"redis-ap-southeast-1" = "redis://127.0.0.1:$((redis_port + 2))"
TOML
    say "seeding the Aurora Global Database on moto and the stores' lag readings"
    local arns
    arns=$(eval "$(aws_env)"; "$venv/bin/python" "$repo/scripts/lab_seed_stores.py" "http://127.0.0.1:$moto_port")
    write_fleet "$zone" "$hc1" "$hc2" "$hc3"
    write_latency_fleet "$latency_zone" "$hc1" "$hc2" "$hc3"
    write_vendor_fleets
    write_seed_fleets_000_003 "$zone"
    # shellcheck disable=SC2086
    write_seed_fleets_002_004 "$latency_zone" "$hc1" "$hc2" "$hc3" $arns
    local ms=$((($(date +%s%N) - t0) / 1000000))
    say "up in $((ms / 1000)).$((ms % 1000 / 100))s; fleet files: examples/fleet-lab.toml, examples/fleet-lab-redis.toml,"
    say "  examples/fleet-lab-cloudflare.toml, examples/fleet-lab-azure.toml,"
    say "  examples/fleet-lab-latency.toml (seed 004), examples/fleet-lab-geo.toml (seed 001),"
    say "  examples/seeds/000-region-registration/fleet.toml, examples/seeds/003-gitops-cutover/fleet.toml"
    say "  examples/seeds/002-*/fleet.toml, examples/seeds/004-*/fleet.toml (the seed drills)"
    say "next: source <(scripts/lab.sh env); cargo run -- -c examples/fleet-lab.toml"
}

write_kubeconfig() {
    {
        echo "apiVersion: v1"
        echo "kind: Config"
        echo "clusters:"
        local i=0 r
        for r in us-east-1 eu-west-1 ap-southeast-1; do
            printf -- '- name: %s\n  cluster:\n    server: http://127.0.0.1:%s\n' "$r" "$((kube_port + i))"
            i=$((i + 1))
        done
        printf -- '- name: do-ams3\n  cluster:\n    server: http://127.0.0.1:%s\n' "$((kube_port + 4))"
        echo "contexts:"
        for r in us-east-1 eu-west-1 ap-southeast-1 do-ams3; do
            printf -- '- name: %s\n  context:\n    cluster: %s\n    user: lab\n' "$r" "$r"
        done
        printf 'users:\n- name: lab\n  user:\n    token: lab\ncurrent-context: us-east-1\n'
    } >"$lab/kubeconfig"
}

kube_control() { # path, JSON body
    python3 -c 'import sys, urllib.request as u
r = u.Request(sys.argv[1], data=sys.argv[2].encode(), method="POST", headers={"Content-Type": "application/json"})
try:
    u.urlopen(r, timeout=10)
except u.HTTPError as e:
    sys.exit("lab: " + e.read().decode())' "http://127.0.0.1:$((kube_port + 3))$1" "$2"
}

push() {
    local region=${1:-} app=${2:-} sha=${3:-}
    [[ -n "$region" && -n "$app" && -n "$sha" ]] || die "usage: scripts/lab.sh push REGION APP SHA"
    kube_control "/_standin/clusters/$region/apps/argocd/$app/head" "{\"revision\": \"$sha\"}"
    say "$region: $app's branch head is now $sha"
}

app_health() {
    local region=${1:-} app=${2:-} status=${3:-}
    [[ -n "$region" && -n "$app" && -n "$status" ]] || die "usage: scripts/lab.sh app-health REGION APP STATUS|clear"
    [[ $status == clear ]] && status=""
    kube_control "/_standin/clusters/$region/apps/argocd/$app/health" "{\"status\": \"$status\"}"
    say "$region: $app's health is ${status:-its own again}"
}

kube_fault() {
    local region=${1:-} mode=${2:-} arg=${3:-}
    case "$mode" in
        blackhole) kube_control "/_standin/clusters/$region/fault" '{"mode": "blackhole"}' ;;
        slow) kube_control "/_standin/clusters/$region/fault" "{\"mode\": \"slow\", \"seconds\": ${arg:-5}}" ;;
        status) kube_control "/_standin/clusters/$region/fault" "{\"mode\": \"status\", \"code\": ${arg:-500}}" ;;
        malformed) kube_control "/_standin/clusters/$region/fault" '{"mode": "malformed"}' ;;
        stop | resume) kube_control "/_standin/clusters/$region/$mode" '{}' ;;
        *) die "usage: scripts/lab.sh kube REGION blackhole|slow SECONDS|status CODE|malformed|stop|resume" ;;
    esac
    say "$region cluster: $mode $arg"
}

write_fleet() {
    cat >"$fleet_file" <<TOML
# The local lab (written by scripts/lab.sh up): Route 53 on moto, PostgreSQL and Redis
# replication, and one Kubernetes cluster per region (the stand-in in tests/servers/kube_standin
# with Argo CD Applications, an ApplicationSet and a Helm release) on 127.0.0.1. Use it with:
#   source <(scripts/lab.sh env); cargo run -- -c examples/fleet-lab.toml
# Make things move: scripts/lab.sh lag on|off; scripts/lab.sh health eu-west-1 fail|ok;
#   scripts/lab.sh push us-east-1 checkout-us-east-1 <sha>; scripts/lab.sh kube eu-west-1 blackhole

[fleet]
name = "lab"
description = "Local lab: moto Route 53, PostgreSQL primary + two replicas, Argo CD and Helm on the Kubernetes stand-in"

[policy]
rpo_budget = "10s"
health_gate = "1m"

[traffic]
provider = "route53"
hosted_zone_id = "$1"
record_name = "app.lab.example"
record_type = "A"
endpoint_url = "http://127.0.0.1:$moto_port"
aws_region = "us-east-1"
change_timeout = "30s"

# Phase steps run here as real processes; evidence goes to the state directory.
[runner]
provider = "shell"
workdir = "$lab/runner"
environment = "lab"
timeout = "2m"

[probe_defaults]
timeout = "2s"

# Argo CD Applications, read and watched in each region's cluster (namespace argocd).
[gitops]
provider = "argocd"
timeout = "5s"
sync_timeout = "2m"

# The fleet lock is a Lease meridian-lab in us-east-1's cluster while an action runs.
[lock]
provider = "kube"
context = "us-east-1"
kubeconfig = "$lab/kubeconfig"
namespace = "default"

[[regions]]
id = "us-east-1"
name = "US East (lab PostgreSQL primary)"
role = "primary"
steady_weight = 50
endpoints = ["http://127.0.0.1:$http_port/healthz", "http://127.0.0.1:$http_port/health/ready"]
health = [{ provider = "http" }, { provider = "route53", health_check_id = "$2", source = "status" }]
database = { provider = "postgres", dsn_file = "$lab/secrets.toml" }
lag = { provider = "postgres", dsn_file = "$lab/secrets.toml" }
cluster = { context = "us-east-1", kubeconfig = "$lab/kubeconfig" }

[[regions]]
id = "eu-west-1"
name = "EU West (lab PostgreSQL replica)"
role = "secondary"
steady_weight = 30
endpoints = ["http://127.0.0.1:$((http_port + 1))/healthz", "http://127.0.0.1:$((http_port + 1))/health/ready"]
health = [{ provider = "http" }, { provider = "route53", health_check_id = "$3", source = "status" }]
database = { provider = "postgres", dsn_file = "$lab/secrets.toml" }
lag = { provider = "postgres", dsn_file = "$lab/secrets.toml" }
cluster = { context = "eu-west-1", kubeconfig = "$lab/kubeconfig" }

[[regions]]
id = "ap-southeast-1"
name = "Asia Pacific (lab PostgreSQL replica 2)"
role = "secondary"
steady_weight = 20
endpoints = ["http://127.0.0.1:$((http_port + 2))/healthz", "http://127.0.0.1:$((http_port + 2))/health/ready"]
health = [{ provider = "http" }, { provider = "route53", health_check_id = "$4", source = "status" }]
database = { provider = "postgres", dsn_file = "$lab/secrets.toml" }
lag = { provider = "postgres", dsn_file = "$lab/secrets.toml" }
cluster = { context = "ap-southeast-1", kubeconfig = "$lab/kubeconfig" }

# Tenants, as seeded by scripts/lab_kube_seed.py in every region's cluster.
# checkout: Argo CD apps checkout-{region} (manual sync; auto-sync in eu-west-1; a newer
# branch head, OutOfSync, in ap-southeast-1), three revisions of history each.
[[tenants]]
id = "checkout"
environment = "prd"
regions = ["us-east-1", "eu-west-1", "ap-southeast-1"]

# platform: the apps the ApplicationSet "platform" generates (auto-sync; a rollback is blocked
# until the ApplicationSet stops putting syncPolicy back, and the plan names the fix).
[[tenants]]
id = "platform"
environment = "prd"
regions = ["us-east-1", "eu-west-1", "ap-southeast-1"]
applicationset = "platform"

# aragora: a chart installed by Helm itself (release aragora, three revisions), rolled back
# with the real Helm 4 SDK behind tests/servers/helm.
[[tenants]]
id = "aragora"
environment = "prd"
regions = ["us-east-1", "eu-west-1", "ap-southeast-1"]
helm = { provider = "helm", release = "aragora", namespace = "aragora", binary = "$repo/tests/servers/helm", rollback_timeout = "2m" }

# Runnable phases: "deploy" renders and applies a config file for the region (skipped when
# it is already applied); "smoke-test" checks the region's service end to end.
[[phases]]
id = "deploy"
name = "Deploy"
steps = [
  { name = "render config", run = "mkdir -p {region} && printf 'region={region}\\nenv={env}\\n' > {region}/app.conf && cat {region}/app.conf" },
  { name = "apply config", run = "cp {region}/app.conf {region}/applied.conf && echo applied; cp {region}/applied.conf \$MERIDIAN_EVIDENCE/", check = "cmp -s {region}/app.conf {region}/applied.conf" },
]

[[phases]]
id = "smoke-test"
name = "Smoke test"
steps = [
  { name = "ready", run = ["python3", "-c", "import sys, urllib.request; r = urllib.request.urlopen(open('$lab/url-' + sys.argv[1]).read().strip() + '/health/ready', timeout=2); print(r.status, r.read().decode())", "{region}"], timeout = "10s" },
  { name = "live", run = ["python3", "-c", "import sys, urllib.request; r = urllib.request.urlopen(open('$lab/url-' + sys.argv[1]).read().strip() + '/health/live', timeout=2); print(r.status, r.read().decode())", "{region}"], timeout = "10s" },
]

# Seed 002's release flow on the lab's real servers: temporary weights on Route 53, a real
# Argo CD sync per region on the Kubernetes stand-in, health gates on the HTTP probes.
#   meridian rollout start release --reason CHG-1; meridian rollout next ...
[[rollouts]]
id = "release"
name = "Release, us-east-1 first"
steps = [
  { weights = { "us-east-1" = 10, "eu-west-1" = 60 }, for = "2h" },
  { sync = "checkout", region = "us-east-1" },
  { gate = "healthy", region = "us-east-1", for = "2m" },
  { gate = "approval", by = "second-person" },
  { sync = "checkout", region = "eu-west-1" },
  { gate = "healthy", region = "eu-west-1", for = "2m" },
  { restore = "all" },
]
TOML
    cat >"$redis_fleet_file" <<TOML
# The local lab with Redis replication as the database (written by scripts/lab.sh up).
# Same Route 53 record as fleet-lab.toml.
#   source <(scripts/lab.sh env); cargo run -- -c examples/fleet-lab-redis.toml

[fleet]
name = "lab-redis"
description = "Local lab: moto Route 53, Redis primary + two replicas"

[policy]
rpo_budget = "10s"
health_gate = "1m"

[traffic]
provider = "route53"
hosted_zone_id = "$1"
record_name = "app.lab.example"
endpoint_url = "http://127.0.0.1:$moto_port"
aws_region = "us-east-1"
change_timeout = "30s"

[[regions]]
id = "us-east-1"
name = "US East (lab Redis primary)"
role = "primary"
steady_weight = 50
health = { provider = "route53", health_check_id = "$2", source = "status" }
database = { provider = "redis", dsn_file = "$lab/secrets.toml", dsn_key = "redis-us-east-1" }
lag = { provider = "redis", dsn_file = "$lab/secrets.toml", dsn_key = "redis-us-east-1" }

[[regions]]
id = "eu-west-1"
name = "EU West (lab Redis replica)"
role = "secondary"
steady_weight = 30
health = { provider = "route53", health_check_id = "$3", source = "status" }
database = { provider = "redis", dsn_file = "$lab/secrets.toml", dsn_key = "redis-eu-west-1" }
lag = { provider = "redis", dsn_file = "$lab/secrets.toml", dsn_key = "redis-eu-west-1" }

[[regions]]
id = "ap-southeast-1"
name = "Asia Pacific (lab Redis replica 2)"
role = "secondary"
steady_weight = 20
health = { provider = "route53", health_check_id = "$4", source = "status" }
database = { provider = "redis", dsn_file = "$lab/secrets.toml", dsn_key = "redis-ap-southeast-1" }
lag = { provider = "redis", dsn_file = "$lab/secrets.toml", dsn_key = "redis-ap-southeast-1" }
TOML
}

# The Cloudflare and Azure Traffic Manager stand-ins (tests/servers/), seeded like seeds
# 000/001 and 002.
start_standins() {
    say "Cloudflare stand-in :$cf_port, Azure Traffic Manager stand-in :$az_port (HTTPS)"
    cat >"$lab/cf-seed.json" <<'JSON'
{"tokens": {"lab-cloudflare-token": "write"},
 "account_id": "0123456789abcdef0123456789abcdef", "zone_id": "fedcba9876543210fedcba9876543210",
 "pools": [
  {"id": "pool-us-east-2", "name": "us-east-2", "monitor": "mon-http", "origins": [{"name": "use2", "address": "192.0.2.10"}]},
  {"id": "pool-eu-west-1", "name": "eu-west-1", "monitor": "mon-http", "origins": [{"name": "euw1", "address": "192.0.2.20"}]},
  {"id": "pool-ap-south-1", "name": "ap-south-1", "monitor": "mon-http", "origins": [{"name": "aps1", "address": "192.0.2.30"}]}],
 "load_balancers": [
  {"id": "lb-api", "name": "api.aragora.example", "steering_policy": "random",
   "default_pools": ["pool-us-east-2", "pool-eu-west-1", "pool-ap-south-1"], "fallback_pool": "pool-us-east-2",
   "random_steering": {"default_weight": 1, "pool_weights": {"pool-us-east-2": 0.5, "pool-eu-west-1": 0.3, "pool-ap-south-1": 0.2}}},
  {"id": "lb-ws", "name": "ws.aragora.example", "steering_policy": "random",
   "default_pools": ["pool-us-east-2", "pool-eu-west-1", "pool-ap-south-1"], "fallback_pool": "pool-us-east-2",
   "random_steering": {"default_weight": 1, "pool_weights": {"pool-us-east-2": 0.5, "pool-eu-west-1": 0.3, "pool-ap-south-1": 0.2}}},
  {"id": "lb-geo", "name": "geo.aragora.example", "steering_policy": "geo",
   "default_pools": ["pool-us-east-2", "pool-eu-west-1", "pool-ap-south-1"], "fallback_pool": "pool-us-east-2",
   "region_pools": {"WNAM": ["pool-us-east-2"], "ENAM": ["pool-us-east-2"], "WEU": ["pool-eu-west-1"],
                    "EEU": ["pool-eu-west-1"], "SEAS": ["pool-ap-south-1"], "SAS": ["pool-ap-south-1"]}}]}
JSON
    cat >"$lab/az-seed.json" <<'JSON'
{"tenant_id": "11111111-2222-3333-4444-555555555555", "client_id": "66666666-7777-8888-9999-000000000000",
 "client_secret": "lab-azure-secret", "subscription_id": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
 "resource_group": "rg-contoso-global",
 "profiles": [{"name": "contoso-tm", "trafficRoutingMethod": "Weighted", "endpoints": [
  {"name": "eastus", "type": "azureEndpoints", "weight": 70, "target": "contoso-eastus.example.net"},
  {"name": "westeurope", "type": "azureEndpoints", "weight": 30, "target": "contoso-westeurope.example.net"}]}]}
JSON
    python3 "$repo/tests/servers/cloudflare_standin.py" --port "$cf_port" --seed "$lab/cf-seed.json" >"$lab/cloudflare.log" 2>&1 &
    echo "cloudflare $!" >>"$lab/pids"
    python3 "$repo/tests/servers/azure_tm_standin.py" --port "$az_port" --seed "$lab/az-seed.json" --tls-dir "$lab/az-tls" >"$lab/azure.log" 2>&1 &
    echo "azure $!" >>"$lab/pids"
    start_kv
    say "ElastiCache Global Datastore stand-in :$ec_port"
    cat >"$lab/ec-seed.json" <<'JSON'
{"account": "123456789012", "global_replication_groups": [{
  "GlobalReplicationGroupId": "ldgnf-sessions", "CacheNodeType": "cache.r6g.large", "EngineVersion": "7.1",
  "Members": [
    {"ReplicationGroupId": "sessions-use1", "ReplicationGroupRegion": "us-east-1", "Role": "PRIMARY"},
    {"ReplicationGroupId": "sessions-euw1", "ReplicationGroupRegion": "eu-west-1", "Role": "SECONDARY"},
    {"ReplicationGroupId": "sessions-apse1", "ReplicationGroupRegion": "ap-southeast-1", "Role": "SECONDARY"}]}]}
JSON
    "$venv/bin/python" "$repo/tests/servers/elasticache_standin.py" --port "$ec_port" --seed "$lab/ec-seed.json" >"$lab/elasticache.log" 2>&1 &
    echo "elasticache $!" >>"$lab/pids"
    wait_until "ElastiCache stand-in" 20 grep -q ready "$lab/elasticache.log"
    wait_until "Cloudflare stand-in" 10 grep -q ready "$lab/cloudflare.log"
    wait_until "seed 000's Cloudflare stand-in" 10 grep -q ready "$lab/cloudflare-kv.log"
    wait_until "Azure stand-in" 20 grep -q ready "$lab/azure.log"
}

# Seed 004: Route 53 latency records with health checks (no weights), on moto.
write_latency_fleet() { # zone hc1 hc2 hc3
    cat >"$latency_fleet_file" <<TOML
# The local lab, Route 53 latency routing (written by scripts/lab.sh up), like seed 004:
# one latency record per region, each with a health check, no weights.
#   source <(scripts/lab.sh env); cargo run -- -c examples/fleet-lab-latency.toml
#   cargo run -- -c examples/fleet-lab-latency.toml drain eu-west-1 --yes   (then restore)
# Make things move: scripts/lab.sh health eu-west-1 fail|ok

[fleet]
name = "lab-latency"
description = "Local lab: moto Route 53 latency records with health checks (seed 004)"

[policy]
health_gate = "1m"

[traffic]
provider = "route53"
hosted_zone_id = "$1"
record_name = "api.latency.lab.example"
endpoint_url = "http://127.0.0.1:$moto_port"
aws_region = "us-east-1"
change_timeout = "30s"

# Under latency routing a region has no weight: 1 means "in rotation" in steady state.
[[regions]]
id = "us-east-1"
role = "primary"
steady_weight = 1
health = { provider = "route53", health_check_id = "$2", source = "status" }

[[regions]]
id = "eu-west-1"
role = "secondary"
steady_weight = 1
health = { provider = "route53", health_check_id = "$3", source = "status" }

[[regions]]
id = "ap-southeast-1"
role = "secondary"
steady_weight = 1
health = { provider = "route53", health_check_id = "$4", source = "status" }
TOML
}

write_vendor_fleets() {
    cat >"$geo_fleet_file" <<TOML
# The local lab, Cloudflare geo steering (written by scripts/lab.sh up), like seed 001:
# geo.aragora.example sends each Cloudflare region to its pool (WNAM/ENAM us-east-2,
# WEU/EEU eu-west-1, SEAS/SAS ap-south-1), default pools for the rest.
#   source <(scripts/lab.sh env); cargo run -- -c examples/fleet-lab-geo.toml
# Make things move: scripts/lab.sh pool eu-west-1 fail|ok

[fleet]
name = "lab-geo"
description = "Local lab: Cloudflare stand-in, one geo-steered load balancer (seed 001)"

[policy]
health_gate = "1m"

[traffic]
provider = "cloudflare"
account_id = "0123456789abcdef0123456789abcdef"
zone_id = "fedcba9876543210fedcba9876543210"
load_balancers = ["geo.aragora.example"]
endpoint_url = "http://127.0.0.1:$cf_port/client/v4"
api_token_env = "LAB_CLOUDFLARE_TOKEN"
timeout = "5s"

# Under geo steering a region has no weight: 1 means "in rotation" in steady state.
[[regions]]
id = "us-east-2"
role = "primary"
steady_weight = 1
health = { provider = "cloudflare" }

[[regions]]
id = "eu-west-1"
role = "secondary"
steady_weight = 1
health = { provider = "cloudflare" }

[[regions]]
id = "ap-south-1"
role = "secondary"
steady_weight = 1
health = { provider = "cloudflare" }
TOML
    cat >"$cf_fleet_file" <<TOML
# The local lab, Cloudflare Load Balancing (written by scripts/lab.sh up), like seeds 000/001.
#   source <(scripts/lab.sh env); cargo run -- -c examples/fleet-lab-cloudflare.toml
# Make things move: scripts/lab.sh pool eu-west-1 fail|ok

[fleet]
name = "lab-cloudflare"
description = "Local lab: Cloudflare stand-in, three pools, two load balancers"

[policy]
health_gate = "1m"

[traffic]
provider = "cloudflare"
account_id = "0123456789abcdef0123456789abcdef"
zone_id = "fedcba9876543210fedcba9876543210"
load_balancers = ["api.aragora.example", "ws.aragora.example"]
endpoint_url = "http://127.0.0.1:$cf_port/client/v4"
api_token_env = "LAB_CLOUDFLARE_TOKEN"
timeout = "5s"

[[regions]]
id = "us-east-2"
role = "primary"
steady_weight = 0.5
health = { provider = "cloudflare" }

[[regions]]
id = "eu-west-1"
role = "secondary"
steady_weight = 0.3
health = { provider = "cloudflare" }

[[regions]]
id = "ap-south-1"
role = "secondary"
steady_weight = 0.2
health = { provider = "cloudflare" }
TOML
    cat >"$az_fleet_file" <<TOML
# The local lab, Azure Traffic Manager (written by scripts/lab.sh up), like seed 002.
#   source <(scripts/lab.sh env); cargo run -- -c examples/fleet-lab-azure.toml
#   cargo run -- -c examples/fleet-lab-azure.toml weights eastus=90% westeurope=10% --yes
# Make things move: scripts/lab.sh endpoint westeurope Degraded|Online

[fleet]
name = "lab-azure"
description = "Local lab: Traffic Manager stand-in, eastus 70 / westeurope 30"

[policy]
health_gate = "1m"

[traffic]
provider = "azure-traffic-manager"
subscription_id = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
resource_group = "rg-contoso-global"
profile = "contoso-tm"
endpoint_url = "https://127.0.0.1:$az_port"
authority_host = "https://127.0.0.1:$az_port"
ca_file = "$lab/az-tls/ca.pem"
credential = "environment"
tenant_id = "11111111-2222-3333-4444-555555555555"
client_id = "66666666-7777-8888-9999-000000000000"
client_secret_env = "LAB_AZURE_SECRET"
timeout = "5s"

[[regions]]
id = "eastus"
role = "primary"
steady_weight = 70
health = { provider = "azure-traffic-manager" }

[[regions]]
id = "westeurope"
role = "secondary"
steady_weight = 30
health = { provider = "azure-traffic-manager" }
TOML
}

source "$repo/scripts/lab_seeds_000_003.sh"
source "$repo/scripts/lab_seeds_002_004.sh"

# A stand-in's control API (plain HTTP for Cloudflare, HTTPS with the lab CA for Azure).
control() { # url json
    python3 - "$1" "$2" "$lab/az-tls/ca.pem" <<'PY'
import ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[3]) if sys.argv[1].startswith("https") else None
req = urllib.request.Request(sys.argv[1], data=sys.argv[2].encode(), method="POST")
urllib.request.urlopen(req, context=ctx, timeout=5).read()
PY
}

pool() {
    local region=${1:-} state=${2:-}
    [[ -n "$region" && ( "$state" == fail || "$state" == ok ) ]] || die "usage: scripts/lab.sh pool REGION fail|ok"
    local healthy=true; [[ $state == fail ]] && healthy=false
    control "http://127.0.0.1:$cf_port/__standin/pools/$region/health" "{\"healthy\": $healthy}"
    say "Cloudflare pool $region: $state"
}

endpoint() {
    local region=${1:-} status=${2:-}
    [[ -n "$region" && -n "$status" ]] || die "usage: scripts/lab.sh endpoint REGION Online|Degraded|Stopped|CheckingEndpoint"
    control "https://127.0.0.1:$az_port/__standin/endpoints/contoso-tm/$region" "{\"monitor\": \"$status\"}"
    say "Traffic Manager endpoint $region: $status"
}

down() {
    [[ -e "$lab/pids" ]] || { say "no lab in $lab"; return 0; }
    local bin; bin=$(pg_bin)
    for which in replica2 replica1 primary; do
        [[ -d "$lab/pg/$which" ]] && as_pg "$bin/pg_ctl" -D "$lab/pg/$which" -m fast -w stop >/dev/null 2>&1 || true
    done
    for f in "$lab"/redis-*.pid; do
        [[ -e "$f" ]] || continue
        local pid; pid=$(cat "$f")
        kill "$pid" 2>/dev/null || true
        while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    done
    while read -r name pid; do
        kill "$pid" 2>/dev/null || true
        while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
        say "stopped $name ($pid)"
    done <"$lab/pids"
    rm -rf "$lab"
    say "down"
}

lag() {
    case "${1:-}" in
        on)
            psql_at "$((pg_port + 1))" "SELECT pg_wal_replay_pause()" >/dev/null
            psql_at "$pg_port" "INSERT INTO orders DEFAULT VALUES" >/dev/null
            say "replay paused on eu-west-1; lag grows from now (scripts/lab.sh lag off to resume)"
            ;;
        off)
            psql_at "$((pg_port + 1))" "SELECT pg_wal_replay_resume()" >/dev/null
            say "replay resumed on eu-west-1"
            ;;
        *) die "usage: scripts/lab.sh lag on|off" ;;
    esac
}

redis_lag() {
    local secs=${1:-5}
    redis-cli -p "$((redis_port + 1))" DEBUG SLEEP "$secs" >/dev/null &
    sleep 0.2
    redis-cli -p "$redis_port" SET lab:tick "$(date +%s)" >/dev/null
    say "Redis replica (eu-west-1 in fleet-lab-redis) sleeps ${secs}s while the primary writes"
}

health() {
    local region=${1:-} state=${2:-}
    [[ -n "$region" && ( "$state" == fail || "$state" == ok ) ]] || die "usage: scripts/lab.sh health REGION fail|ok"
    if [[ " ${seed003_regions[*]} " == *" $region "* ]]; then
        echo "$state" >"$lab/health-$region"
        say "$region HTTP service (seed 003): /healthz and /health/ready answer $([[ $state == ok ]] && echo 200 || echo 503)"
        return 0
    fi
    local id
    id=$(grep -A6 "^id = \"$region\"" "$fleet_file" | sed -n 's/.*health_check_id = "\([^"]*\)".*/\1/p')
    [[ -n "$id" ]] || die "no region $region in $fleet_file"
    echo "$state" >"$lab/health-$region"
    say "$region HTTP service: /healthz and /health/ready answer $([[ $state == ok ]] && echo 200 || echo 503)"
    (eval "$(aws_env)"; "$venv/bin/python" "$repo/scripts/lab_seed.py" "http://127.0.0.1:$moto_port" health "$id" "$state")
    say "$region health check $id: $state"
}


case "${1:-}" in
    up) up ;;
    down) down ;;
    lag) lag "${2:-}" ;;
    health) health "${2:-}" "${3:-}" ;;
    hook) hook "${2:-}" "${3:-}" "${4:-}" "${5:-}" ;;
    alarm) alarm "${2:-}" "${3:-}" "${4:-}" ;;
    kv-lag) kv_lag "${2:-}" ;;
    pool) pool "${2:-}" "${3:-}" ;;
    endpoint) endpoint "${2:-}" "${3:-}" ;;
    redis-lag) redis_lag "${2:-5}" ;;
    store-lag) (eval "$(aws_env)"; "$venv/bin/python" "$repo/scripts/lab_seed_stores.py" "http://127.0.0.1:$moto_port" lag "${2:-300}" "${3:-1}") ;;
    env) aws_env ;;
    push) push "${2:-}" "${3:-}" "${4:-}" ;;
    kube) kube_fault "${2:-}" "${3:-}" "${4:-}" ;;
    app-health) app_health "${2:-}" "${3:-}" "${4:-}" ;;
    *) die "usage: scripts/lab.sh up|down|lag on|off|redis-lag SECONDS|health REGION fail|ok|pool REGION fail|ok|endpoint REGION STATUS|push REGION APP SHA|kube REGION FAULT|hook REGION APP succeed|fail [MESSAGE]|alarm NAME ALARM|OK|kv-lag SECONDS|store-lag AURORA_MS CACHE_S|app-health REGION APP STATUS|env" ;;
esac
