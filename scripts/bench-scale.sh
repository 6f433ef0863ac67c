#!/usr/bin/env bash
# meridian on a big simulated fleet, through the real binary (release build):
# `config check` and `status --json` time and peak RSS, then the dashboard under tmux: time
# to the first readings and to all of them, idle CPU and RSS after it settles.
# Usage: scripts/bench-scale.sh [REGIONS] [TENANTS] [IDLE_SECONDS]   (default 100 1000 30)
# With MERIDIAN_BENCH_FLEET set, that fleet file is measured instead of a generated one
# (scripts/bench-real.sh does this for a fleet on real local servers).
set -euo pipefail
regions=${1:-100}
tenants=${2:-1000}
window=${3:-30}
cd "$(dirname "$0")/.."
# MERIDIAN_BENCH_PROFILE=dist measures the packaged build (Cargo.toml's [profile.dist]).
profile=${MERIDIAN_BENCH_PROFILE:-release}
# MERIDIAN_BENCH_BIN measures that binary as it is (a copy: the target directory may be
# shared with other builds); else the build in CARGO_TARGET_DIR (or ./target).
if [[ -n "${MERIDIAN_BENCH_BIN:-}" ]]; then
    bin=$MERIDIAN_BENCH_BIN
else
    cargo build --profile "$profile" --quiet
    bin=${CARGO_TARGET_DIR:-$PWD/target}/$profile/meridian
fi
work=$(mktemp -d)
sock="meridian-scale-$$"
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$work"' EXIT
if [[ -n "${MERIDIAN_BENCH_FLEET:-}" ]]; then
    cp "$MERIDIAN_BENCH_FLEET" "$work/fleet.toml"
else
    scripts/gen-fleet.py "$regions" "$tenants" >"$work/fleet.toml"
fi
export MERIDIAN_STATE_DIR=$work/state
echo "fleet: $regions regions x $tenants tenants ($((regions * tenants)) apps)"

# CPU ticks spent so far by the servers in MERIDIAN_BENCH_SERVER_PIDS (scripts/bench-real.sh
# sets it), their exited children included: a PostgreSQL backend's work is added to its
# server's when the server reaps it.
server_ticks() {
    local p sum=0 t
    for p in ${MERIDIAN_BENCH_SERVER_PIDS:-}; do
        t=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat" 2>/dev/null || echo 0)
        sum=$((sum + t))
    done
    echo "$sum"
}
ticks=$(getconf CLK_TCK)

# Wall time in ms, peak RSS in MiB, meridian's CPU in ms and the servers' CPU in ms of one
# run of meridian with the given arguments.
measure() {
    local start end out s0 s1
    s0=$(server_ticks)
    start=$(date +%s%N)
    out=$(/usr/bin/time -f '%M %U %S' "$bin" -c "$work/fleet.toml" "$@" 2>&1 >/dev/null | tail -1)
    end=$(date +%s%N)
    # A PostgreSQL backend exits after meridian does; give its server a moment to reap it.
    [[ -n ${MERIDIAN_BENCH_SERVER_PIDS:-} ]] && sleep 0.5
    s1=$(server_ticks)
    awk -v ms="$(((end - start) / 1000000))" -v o="$out" -v s="$(((s1 - s0) * 1000 / ticks))" \
        'BEGIN {split(o, f, " "); printf "%d %d %d %d\n", ms, f[1] / 1024, (f[2] + f[3]) * 1000, s}'
}
report() { # label, runs...
    local label=$1
    shift
    sort -n <<<"$(printf '%s\n' "$@" | awk '{print $1}')" | awk -v l="$label" \
        '{a[NR] = $1} END {printf "%s: median %d ms, slowest %d ms (%d runs)\n", l, a[int((NR + 1) / 2)], a[NR], NR}'
    printf '%s\n' "$@" | awk -v l="$label" 'BEGIN {m = 0} $2 > m {m = $2} END {printf "%s: peak RSS %d MiB\n", l, m}'
    printf '%s\n' "$@" | awk -v l="$label" -v servers="${MERIDIAN_BENCH_SERVER_PIDS:-}" \
        '{c += $3; s += $4} END {printf "%s: CPU per run: meridian %d ms", l, c / NR;
          if (servers != "") printf ", the local servers %d ms (the same two cores)", s / NR; print ""}'
}

# The first run creates the simulated world; later runs read it.
measure status --json >/dev/null
runs=()
for _ in 1 2 3 4 5; do runs+=("$(measure config check)"); done
report "config check" "${runs[@]}"
runs=()
for _ in 1 2 3 4 5; do runs+=("$(measure status --json)"); done
report "status --json" "${runs[@]}"
echo "status --json output: $("$bin" -c "$work/fleet.toml" status --json | wc -c) bytes"

launched=$(date +%s%N)
tmux -L "$sock" new-session -d -s scale -x 200 -y 50 \
    "env MERIDIAN_STATE_DIR=$work/state TERM=xterm-256color $bin -c $work/fleet.toml"
pane() { tmux -L "$sock" capture-pane -p -t scale 2>/dev/null || true; }
until pane | grep -q 'Regions'; do sleep 0.005; done
echo "dashboard: board on screen $((($(date +%s%N) - launched) / 1000000)) ms after launching tmux"
until pane | grep -q '● live'; do sleep 0.01; done
echo "dashboard: every first reading in $((($(date +%s%N) - launched) / 1000000)) ms"
pid=$(tmux -L "$sock" list-panes -t scale -F '#{pane_pid}')
sleep 5
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
a=$(cpu)
sleep "$window"
b=$(cpu)
awk -v a="$a" -v b="$b" -v t="$ticks" -v w="$window" \
    'BEGIN { printf "dashboard: idle CPU over %ds: %.2f%% of one core\n", w, (b - a) / t / w * 100 }'
grep -E 'VmRSS|VmHWM' "/proc/$pid/status" | awk '{printf "dashboard: %s %d MiB\n", $1, $2 / 1024}'
# What the dashboard spent on each provider's API (its header), and what status --json says.
pane | grep -o 'API .*' | sed 's/  */ /g; s/^/dashboard: /' || true
"$bin" -c "$work/fleet.toml" status --json | python3 -c '
import json, sys
api = json.load(sys.stdin).get("api") or {}
print("status --json api section:", json.dumps(api, separators=(",", ":"))[:600])'
