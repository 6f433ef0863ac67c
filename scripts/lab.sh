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
#   scripts/lab.sh env                    print the environment meridian needs (source it)
#
# Then:  source <(scripts/lab.sh env); cargo run -- -c examples/fleet-lab.toml
#
# fleet-lab.toml: us-east-1 = PostgreSQL primary, eu-west-1 and ap-southeast-1 = streaming
# replicas. fleet-lab-redis.toml: the same traffic, with the Redis pair as the database of
# us-east-1 (primary) and eu-west-1 (replica). Traffic is the weighted record app.lab.example.
# in a moto hosted zone; health is HTTP probes of a small service per region
# (scripts/health_server.py) combined with one Route 53 health check per region. Phases run
# with the shell runner (deploy, smoke test against the region's service). Ports:
# LAB_MOTO_PORT (5055), LAB_PG_PORT (5433, replicas +1 and +2), LAB_REDIS_PORT (6380,
# replica +1), LAB_HTTP_PORT (8081, +1 and +2 for the other regions).
# Everything lives in MERIDIAN_LAB_DIR (/tmp/meridian-lab).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
lab="${MERIDIAN_LAB_DIR:-/tmp/meridian-lab}"
venv="${MERIDIAN_TEST_VENV:-$HOME/.cache/meridian/venv-aws}"
moto_port="${LAB_MOTO_PORT:-5055}"
pg_port="${LAB_PG_PORT:-5433}"
redis_port="${LAB_REDIS_PORT:-6380}"
http_port="${LAB_HTTP_PORT:-8081}"
lab_regions=(us-east-1 eu-west-1 ap-southeast-1)
fleet_file="$repo/examples/fleet-lab.toml"
redis_fleet_file="$repo/examples/fleet-lab-redis.toml"

say() { echo "lab: $*" >&2; }
die() { say "$*"; exit 1; }

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
psql_at() { as_pg "$(pg_bin)/psql" -h 127.0.0.1 -p "$1" -U postgres -d postgres -XAtqc "$2"; }
aws_env() {
    # Static test credentials and no instance metadata: nothing leaves the machine.
    echo "export AWS_ACCESS_KEY_ID=lab AWS_SECRET_ACCESS_KEY=lab AWS_SESSION_TOKEN=lab"
    echo "export AWS_EC2_METADATA_DISABLED=true AWS_REGION=us-east-1"
    echo "export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null"
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

    say "HTTP health services :$http_port-$((http_port + 2))"
    local i
    for i in 0 1 2; do
        echo ok >"$lab/health-${lab_regions[$i]}"
        python3 "$repo/scripts/health_server.py" --port "$((http_port + i))" --state "$lab/health-${lab_regions[$i]}" \
            >"$lab/http-${lab_regions[$i]}.log" 2>&1 &
        echo "http-${lab_regions[$i]} $!" >>"$lab/pids"
        echo "http://127.0.0.1:$((http_port + i))" >"$lab/url-${lab_regions[$i]}"
    done
    mkdir -p "$lab/runner"

    say "redis primary :$redis_port, replica :$((redis_port + 1))"
    for port in "$redis_port" "$((redis_port + 1))"; do
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
    local opts="-k $lab/pg -c listen_addresses=127.0.0.1 -c wal_level=replica -c max_wal_senders=5 -c hot_standby=on"
    as_pg "$bin/initdb" -D "$lab/pg/primary" --auth=trust --no-sync -U postgres >/dev/null
    as_pg "$bin/pg_ctl" -D "$lab/pg/primary" -o "-p $pg_port $opts" -l "$lab/pg/primary.log" -w start >/dev/null
    local n
    for n in 1 2; do
        psql_at "$pg_port" "SELECT pg_create_physical_replication_slot('replica$n')" >/dev/null
        as_pg "$bin/pg_basebackup" -h 127.0.0.1 -p "$pg_port" -U postgres -D "$lab/pg/replica$n" -R -X stream -S "replica$n"
        as_pg "$bin/pg_ctl" -D "$lab/pg/replica$n" -o "-p $((pg_port + n)) $opts" -l "$lab/pg/replica$n.log" -w start >/dev/null
    done
    psql_at "$pg_port" "CREATE TABLE orders (id serial PRIMARY KEY, at timestamptz DEFAULT now())" >/dev/null

    for i in 0 1 2; do
        wait_until "HTTP service $((http_port + i))" 10 python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$((http_port + i))/healthz', timeout=1)"
    done
    wait_until moto 30 "$venv/bin/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$moto_port/moto-api/data.json', timeout=1)"
    wait_until "redis replica" 20 bash -c "redis-cli -p $((redis_port + 1)) INFO replication | grep -q master_link_status:up"
    say "seeding Route 53 (zone, weighted records, health checks)"
    local seeded
    seeded=$(eval "$(aws_env)"; "$venv/bin/python" "$repo/scripts/lab_seed.py" "http://127.0.0.1:$moto_port")
    local zone hc1 hc2 hc3
    read -r zone hc1 hc2 hc3 <<<"$seeded"

    cat >"$lab/secrets.toml" <<TOML
# Connection strings for the lab fleet (trust auth on loopback: no passwords here).
"us-east-1" = "postgres://postgres@127.0.0.1:$pg_port/postgres?connect_timeout=2"
"eu-west-1" = "postgres://postgres@127.0.0.1:$((pg_port + 1))/postgres?connect_timeout=2"
"ap-southeast-1" = "postgres://postgres@127.0.0.1:$((pg_port + 2))/postgres?connect_timeout=2"
"redis-us-east-1" = "redis://127.0.0.1:$redis_port"
"redis-eu-west-1" = "redis://127.0.0.1:$((redis_port + 1))"
TOML
    write_fleet "$zone" "$hc1" "$hc2" "$hc3"
    local ms=$((($(date +%s%N) - t0) / 1000000))
    say "up in $((ms / 1000)).$((ms % 1000 / 100))s; fleet files: examples/fleet-lab.toml, examples/fleet-lab-redis.toml"
    say "next: source <(scripts/lab.sh env); cargo run -- -c examples/fleet-lab.toml"
}

write_fleet() {
    cat >"$fleet_file" <<TOML
# The local lab (written by scripts/lab.sh up): Route 53 on moto, PostgreSQL and Redis
# replication on 127.0.0.1. Use it with:
#   source <(scripts/lab.sh env); cargo run -- -c examples/fleet-lab.toml
# Make things move: scripts/lab.sh lag on|off; scripts/lab.sh health eu-west-1 fail|ok

[fleet]
name = "lab"
description = "Local lab: moto Route 53, PostgreSQL primary + replica, Redis replica"

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

[[regions]]
id = "us-east-1"
name = "US East (lab PostgreSQL primary)"
role = "primary"
steady_weight = 50
endpoints = ["http://127.0.0.1:$http_port/healthz", "http://127.0.0.1:$http_port/health/ready"]
health = [{ provider = "http" }, { provider = "route53", health_check_id = "$2", source = "status" }]
database = { provider = "postgres", dsn_file = "$lab/secrets.toml" }
lag = { provider = "postgres", dsn_file = "$lab/secrets.toml" }

[[regions]]
id = "eu-west-1"
name = "EU West (lab PostgreSQL replica)"
role = "secondary"
steady_weight = 30
endpoints = ["http://127.0.0.1:$((http_port + 1))/healthz", "http://127.0.0.1:$((http_port + 1))/health/ready"]
health = [{ provider = "http" }, { provider = "route53", health_check_id = "$3", source = "status" }]
database = { provider = "postgres", dsn_file = "$lab/secrets.toml" }
lag = { provider = "postgres", dsn_file = "$lab/secrets.toml" }

[[regions]]
id = "ap-southeast-1"
name = "Asia Pacific (lab PostgreSQL replica 2)"
role = "secondary"
steady_weight = 20
endpoints = ["http://127.0.0.1:$((http_port + 2))/healthz", "http://127.0.0.1:$((http_port + 2))/health/ready"]
health = [{ provider = "http" }, { provider = "route53", health_check_id = "$4", source = "status" }]
database = { provider = "postgres", dsn_file = "$lab/secrets.toml" }
lag = { provider = "postgres", dsn_file = "$lab/secrets.toml" }

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
TOML
    cat >"$redis_fleet_file" <<TOML
# The local lab with Redis replication as the database (written by scripts/lab.sh up).
# Same Route 53 record as fleet-lab.toml; ap-southeast-1's set shows as unmanaged here.
#   source <(scripts/lab.sh env); cargo run -- -c examples/fleet-lab-redis.toml

[fleet]
name = "lab-redis"
description = "Local lab: moto Route 53, Redis primary + replica"

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
TOML
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
    redis-lag) redis_lag "${2:-5}" ;;
    env) aws_env ;;
    *) die "usage: scripts/lab.sh up|down|lag on|off|redis-lag SECONDS|health REGION fail|ok|env" ;;
esac
