#!/usr/bin/env bash
# The 100-region x 1,000-tenant figures on real local servers instead of the simulator:
# traffic weights and Route 53 health checks (as CloudWatch HealthCheckStatus metrics) on
# moto through the real AWS SDK, two HTTP probes per region against local services, and
# database and lag from real replication (PostgreSQL primary + 2 streaming replicas, or
# Redis primary + 2 replicas). Applications and phases stay simulated: Argo CD at 100
# clusters is scripts/bench-kube.sh's part 3.
#
# Starts the servers on free 127.0.0.1 ports, seeds them, writes the fleet with
# scripts/gen-fleet.py --real, measures it with scripts/bench-scale.sh (status --json,
# first readings, idle CPU, RSS, API calls), and stops everything by PID.
# Usage: scripts/bench-real.sh [REGIONS (100)] [TENANTS (1000)] [IDLE_SECONDS (30)] [postgres|redis] [serve]
# With "serve", the servers stay up and the fleet's path and environment are printed instead
# of measuring, until the script is interrupted (for profiling by hand).
# Needs what scripts/ci-backends.sh install installs.
set -euo pipefail
regions=${1:-100}
tenants=${2:-1000}
window=${3:-30}
db=${4:-postgres}
mode=${5:-measure}
[[ $db == postgres || $db == redis ]] || { echo "bench-real: database is postgres or redis, not $db" >&2; exit 2; }
cd "$(dirname "$0")/.."
repo=$PWD
venv="${MERIDIAN_TEST_VENV:-$HOME/.cache/meridian/venv-aws}"
scripts/ci-backends.sh check >/dev/null || { echo "bench-real: run scripts/ci-backends.sh install first" >&2; exit 1; }
work=$(mktemp -d)
chmod 755 "$work"
pids=()
pg_dirs=()
redis_ports=()
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
    local p d
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for d in "${pg_dirs[@]}"; do as_pg "$pg_bin/pg_ctl" -D "$d" -m immediate stop >/dev/null 2>&1 || true; done
    for p in "${redis_ports[@]}"; do redis-cli -p "$p" shutdown nosave >/dev/null 2>&1 || true; done
    rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { # what, command...
    local what=$1
    shift
    for _ in $(seq 300); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    echo "bench-real: $what did not start" >&2
    exit 1
}

moto_port=$(free_port)
"$venv/bin/python" tests/support/moto_launcher.py -H 127.0.0.1 -p "$moto_port" >"$work/moto.log" 2>&1 &
pids+=($!)

# Four services answer every region's probes (a real fleet has one per region; four
# Python servers keep the machine's two cores for meridian).
http_urls=()
for i in 1 2 3 4; do
    echo ok >"$work/health"
    python3 scripts/health_server.py --port 0 --state "$work/health" >"$work/http-$i.log" 2>&1 &
    pids+=($!)
    wait_for "HTTP service $i" grep -q '^ready' "$work/http-$i.log"
    http_urls+=("http://127.0.0.1:$(awk '/^ready/ {print $2; exit}' "$work/http-$i.log")")
done

dsns=()
if [[ $db == postgres ]]; then
    mkdir -p "$work/pg"
    [[ $(id -u) -eq 0 ]] && chown postgres:postgres "$work/pg"
    opts="-k $work/pg -c listen_addresses=127.0.0.1 -c wal_level=replica -c max_wal_senders=5 -c hot_standby=on -c max_connections=300"
    ports=()
    for n in 0 1 2; do ports+=("$(free_port)"); done
    as_pg "$pg_bin/initdb" -D "$work/pg/primary" --auth=trust --no-sync -U postgres >/dev/null
    as_pg "$pg_bin/pg_ctl" -D "$work/pg/primary" -o "-p ${ports[0]} $opts" -l "$work/pg/primary.log" -w start >/dev/null
    pg_dirs+=("$work/pg/primary")
    for n in 1 2; do
        as_pg "$pg_bin/pg_basebackup" -h 127.0.0.1 -p "${ports[0]}" -U postgres -D "$work/pg/replica$n" -R -X stream
        as_pg "$pg_bin/pg_ctl" -D "$work/pg/replica$n" -o "-p ${ports[$n]} $opts" -l "$work/pg/replica$n.log" -w start >/dev/null
        pg_dirs+=("$work/pg/replica$n")
    done
    for p in "${ports[@]}"; do dsns+=("postgres://postgres@127.0.0.1:$p/postgres?connect_timeout=2"); done
else
    for n in 0 1 2; do
        port=$(free_port)
        extra=()
        ((n > 0)) && extra=(--replicaof 127.0.0.1 "${redis_ports[0]}")
        redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" \
            --daemonize yes --pidfile "$work/redis-$port.pid" --logfile "$work/redis-$port.log" "${extra[@]}"
        redis_ports+=("$port")
        dsns+=("redis://127.0.0.1:$port")
    done
    for n in 1 2; do
        wait_for "redis replica $n" bash -c "redis-cli -p ${redis_ports[$n]} INFO replication | grep -q master_link_status:up"
    done
fi
# The first region is the writer; the others follow one of the two replicas.
{
    echo "# Connection strings of the bench fleet (trust auth on loopback)."
    for i in $(seq 0 $((regions - 1))); do
        if ((i == 0)); then d=${dsns[0]}; else d=${dsns[$((1 + i % 2))]}; fi
        printf '"region-%03d" = "%s"\n' "$i" "$d"
    done
} >"$work/secrets.toml"

wait_for moto "$venv/bin/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$moto_port/moto-api/data.json', timeout=1)"
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_SESSION_TOKEN=bench
export AWS_EC2_METADATA_DISABLED=true AWS_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
seed_start=$(date +%s%N)
"$venv/bin/python" - "http://127.0.0.1:$moto_port" "$regions" "$db" "$work/secrets.toml" "${http_urls[@]}" >"$work/servers.json" <<'PY'
import json, sys, uuid
import boto3
endpoint, regions, db, secrets, urls = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5:]
r53 = boto3.client("route53", endpoint_url=endpoint, region_name="us-east-1")
cw = boto3.client("cloudwatch", endpoint_url=endpoint, region_name="us-east-1")
zone = r53.create_hosted_zone(Name="bench.example", CallerReference=str(uuid.uuid4()))
zone_id = zone["HostedZone"]["Id"].split("/")[-1]
checks, changes = [], []
for i in range(regions):
    hc = r53.create_health_check(CallerReference=str(uuid.uuid4()), HealthCheckConfig={
        "IPAddress": "192.0.2.1", "Port": 80, "Type": "HTTP", "ResourcePath": "/healthz"})["HealthCheck"]["Id"]
    checks.append(hc)
    changes.append({"Action": "CREATE", "ResourceRecordSet": {
        "Name": "app.bench.example.", "Type": "A", "SetIdentifier": f"region-{i:03}",
        "Weight": 1 + i % 50, "TTL": 60, "HealthCheckId": hc,
        "ResourceRecords": [{"Value": f"192.0.2.{1 + i % 250}"}]}})
for start in range(0, len(changes), 100):
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes[start:start + 100]})
data = [{"MetricName": "HealthCheckStatus", "Dimensions": [{"Name": "HealthCheckId", "Value": hc}], "Value": 1.0}
        for hc in checks]
for start in range(0, len(data), 20):
    cw.put_metric_data(Namespace="AWS/Route53", MetricData=data[start:start + 20])
print(json.dumps({"moto": endpoint, "zone": zone_id, "checks": checks, "http": urls,
                  "secrets": secrets, "db": db}))
PY
echo "servers: moto, 4 HTTP services, $db primary + 2 replicas; seeded $regions records, health checks and metrics in $((($(date +%s%N) - seed_start) / 1000000)) ms"
# Route 53 publishes HealthCheckStatus every minute; so does this, or health reads
# "no datapoint" after ten minutes.
"$venv/bin/python" - "$work/servers.json" <<'PY' >"$work/metrics.log" 2>&1 &
import json, sys, time
import boto3
s = json.load(open(sys.argv[1]))
cw = boto3.client("cloudwatch", endpoint_url=s["moto"], region_name="us-east-1")
while True:
    time.sleep(60)
    data = [{"MetricName": "HealthCheckStatus", "Dimensions": [{"Name": "HealthCheckId", "Value": hc}],
             "Value": 1.0} for hc in s["checks"]]
    for start in range(0, len(data), 20):
        cw.put_metric_data(Namespace="AWS/Route53", MetricData=data[start:start + 20])
PY
pids+=($!)
scripts/gen-fleet.py "$regions" "$tenants" --real "$work/servers.json" >"$work/fleet.toml"
if [[ $mode == serve ]]; then
    echo "fleet: $work/fleet.toml"
    echo "environment: export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_SESSION_TOKEN=bench AWS_EC2_METADATA_DISABLED=true AWS_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null"
    echo "serving until interrupted"
    sleep infinity &
    wait $!
fi
# The servers whose CPU bench-scale.sh counts beside meridian's: every process started here
# (moto, the HTTP services, the metric publisher) and the database servers.
server_pids=("${pids[@]}")
for d in "${pg_dirs[@]}"; do server_pids+=("$(head -1 "$d/postmaster.pid")"); done
for p in "${redis_ports[@]}"; do server_pids+=("$(cat "$work/redis-$p.pid")"); done
MERIDIAN_BENCH_SERVER_PIDS="${server_pids[*]}" MERIDIAN_BENCH_FLEET=$work/fleet.toml \
    scripts/bench-scale.sh "$regions" "$tenants" "$window"
