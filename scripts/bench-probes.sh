#!/usr/bin/env bash
# HTTP probe figures: a 12-region fleet whose health is 2 HTTP probes per region against a
# local health service (scripts/health_server.py), everything else simulated.
#   - one full refresh (`meridian status --json`, release build) with HTTP health, against
#     the same fleet with simulated health: the difference is what probing costs;
#   - the probe round trip meridian reports per region (median of its recent probes);
#   - the dashboard's idle CPU on that fleet (tmux, 100x30) over a window.
# Usage: scripts/bench-probes.sh [RUNS] [CPU_SECONDS]
set -euo pipefail
runs=${1:-20}
window=${2:-30}
cd "$(dirname "$0")/.."
cargo build --release --quiet
work=$(mktemp -d)
sock="meridian-probes-$$"
python3 scripts/health_server.py >"$work/server.out" 2>&1 &
server=$!
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
until grep -q ready "$work/server.out" 2>/dev/null; do sleep 0.05; done
port=$(awk '/ready/ {print $2}' "$work/server.out")

fleet() { # the health table of every region
    printf '[fleet]\nname = "probes-bench"\n'
    for i in $(seq 1 12); do
        role=secondary; [[ $i == 1 ]] && role=primary
        printf '[[regions]]\nid = "region-%s"\nrole = "%s"\nsteady_weight = 10\n' "$i" "$role"
        printf 'endpoints = ["http://127.0.0.1:%s/healthz", "http://127.0.0.1:%s/health/ready"]\n' "$port" "$port"
        printf 'health = %s\n' "$1"
    done
}
fleet '{ provider = "http" }' >"$work/http.toml"
fleet '{ provider = "sim" }' >"$work/sim.toml"

time_runs() { # fleet file -> median and slowest ms of `status --json`
    local f=$1 t0 t1
    : >"$work/times"
    for _ in $(seq 1 "$runs"); do
        t0=$(date +%s%N)
        MERIDIAN_STATE_DIR="$work/state" ./target/release/meridian -c "$f" status --json >"$work/last.json"
        t1=$(date +%s%N)
        echo $(( (t1 - t0) / 1000 )) >>"$work/times"
    done
    sort -n "$work/times" | awk '{a[NR]=$1} END {printf "median %.1f ms, slowest %.1f ms", a[int((NR+1)/2)]/1000, a[NR]/1000}'
}
echo "status --json, 12 regions, simulated health: $(time_runs "$work/sim.toml")"
echo "status --json, 12 regions, 2 HTTP probes each: $(time_runs "$work/http.toml")"
python3 - "$work/last.json" <<'PY'
import json, statistics, sys
regions = json.load(open(sys.argv[1]))["regions"]
lat = [r["latency_ms"] for r in regions if r["latency_ms"] is not None]
print(f"probe round trip per region (one run, 24 probes at once, new connections): median {statistics.median(lat):.1f} ms, max {max(lat):.1f} ms")
PY

python3 - "$port" "$runs" <<'PY'
# The same 24 GETs without meridian (threads, new connections), as a baseline.
import statistics, sys, threading, time, urllib.request
port, runs = sys.argv[1], int(sys.argv[2])
def one():
    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).read()
walls = []
for _ in range(runs):
    t = time.perf_counter()
    ts = [threading.Thread(target=one) for _ in range(24)]
    for x in ts: x.start()
    for x in ts: x.join()
    walls.append((time.perf_counter() - t) * 1000)
print(f"baseline, the same 24 GETs from Python threads: median {statistics.median(walls):.1f} ms, slowest {max(walls):.1f} ms")
PY

tmux -L "$sock" new-session -d -s probes -x 100 -y 30 \
  "env MERIDIAN_STATE_DIR=$work/state TERM=xterm-256color ./target/release/meridian -c $work/http.toml"
until tmux -L "$sock" capture-pane -p -t probes 2>/dev/null | grep -q 'Regions'; do sleep 0.05; done
sleep 5
pid=$(tmux -L "$sock" list-panes -t probes -F '#{pane_pid}')
ticks=$(getconf CLK_TCK)
read_cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
start=$(read_cpu); sleep "$window"; end=$(read_cpu)
interval=$(tmux -L "$sock" capture-pane -p -t probes | grep -o 'polling every [0-9]*s' | head -1 || true)
echo "dashboard idle CPU over ${window}s, 12 regions x 2 HTTP probes (${interval:-polling}): $(awk -v a="$start" -v b="$end" -v t="$ticks" -v w="$window" 'BEGIN { printf "%.2f%% of one core", (b - a) / t / w * 100 }')"
