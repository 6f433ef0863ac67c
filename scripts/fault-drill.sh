#!/usr/bin/env bash
# Tries each fault class of issue 8 against the real binary on the demo fleet and prints
# how long meridian took to answer and what it said. Everything runs in a temporary state
# directory; nothing leaves the machine. Needs tmux for the dashboard cases.
#
#   scripts/fault-drill.sh [path/to/meridian]     (default: target/debug/meridian)
set -uo pipefail
cd "$(dirname "$0")/.."
bin="$(realpath "${1:-target/debug/meridian}")"
work="$(mktemp -d)"
trap 'tmux -L fault-drill kill-server 2>/dev/null; rm -rf "$work"' EXIT
export MERIDIAN_STATE_DIR="$work/state" XDG_CONFIG_HOME="$work/config" RUST_BACKTRACE=0
unset MERIDIAN_CONFIG MERIDIAN_READ_ONLY MERIDIAN_SEED MERIDIAN_SIM_SPEED
audit="$work/state/fleets/demo/audit.jsonl"

ms() { date +%s%3N; }
show() { printf '%-44s %6s ms  exit %-3s %s\n' "$1" "$2" "$3" "$(head -c 150 <<<"$4" | tr '\n' ' ')"; }
timed() { # label, command...
    local label=$1 t0 out rc
    shift
    t0=$(ms)
    out=$("$@" 2>&1)
    rc=$?
    show "$label" $(($(ms) - t0)) "$rc" "$(tail -n 1 <<<"$out")"
}
wait_started() {
    for _ in $(seq 300); do
        grep -q '"outcome":"started"' "$audit" 2>/dev/null && return
        sleep 0.05
    done
}

echo "== bad input"
timed "--sim-speed 1e-300" "$bin" status --sim-speed 1e-300
timed "weights eu-west-1=99999999999" "$bin" weights eu-west-1=99999999999 --yes
timed "MERIDIAN_READ_ONLY=on drain" env MERIDIAN_READ_ONLY=on "$bin" drain eu-west-1 --yes
printf '[fleet]\nname = "%s"\n' "$(printf 'a%.0s' $(seq 300))" >"$work/long.toml"
timed "fleet.name of 300 characters" "$bin" config check "$work/long.toml"
printf '[fleet]\nname = "x"\n[[regions]]\nid = "a"\nrole = "primary"\nsteady_weight = 1\ndatabase = { provider = "postgres", dsn_env = "postgres://u:hunter2@db/x" }\n' >"$work/dsn.toml"
timed "dsn_env holding a connection string" "$bin" config check "$work/dsn.toml"
printf '[fleet]\nname = "\xff"\n' >"$work/bytes.toml"
timed "fleet file that is not UTF-8" "$bin" config check "$work/bytes.toml"
timed "demo fault --json" "$bin" demo fault eu-west-1 clear --json

echo "== signals mid-action (CLI, weight change in flight)"
for sig in INT TERM HUP QUIT; do
    rm -rf "$work/state"
    MERIDIAN_SIM_SPEED=0.02 "$bin" drain eu-west-1 --yes >"$work/out" 2>&1 &
    pid=$!
    wait_started
    t0=$(ms)
    kill -"$sig" "$pid"
    wait "$pid"
    rc=$?
    show "SIG$sig mid-drain" $(($(ms) - t0)) "$rc" "$(tail -n 1 "$work/out")"
done

echo "== kill -9 mid-action, then the next start"
rm -rf "$work/state"
MERIDIAN_SIM_SPEED=0.02 "$bin" drain eu-west-1 --yes >/dev/null 2>&1 &
pid=$!
wait_started
kill -KILL "$pid"
wait "$pid" 2>/dev/null
timed "status after kill -9 (settles the record)" "$bin" status
timed "drain after kill -9 (takes over the lock)" "$bin" drain eu-west-1 --yes
"$bin" audit | cut -c1-150

echo "== damaged state files"
rm -rf "$work/state"
"$bin" status >/dev/null
echo '{"user":"x@y","host":"elsewhere","pid":4294967295,"action":"drain","since_ms":9223372036854775807}' \
    >"$work/state/fleets/demo/fleet.lock"
timed "status with an impossible lock file" "$bin" status --json
printf '{"id":"1","time":"2026' >>"$audit"
timed "drain after a torn audit line" "$bin" drain eu-west-1 --yes
timed "audit reports the torn line" "$bin" audit

echo "== the dashboard (tmux), from the signal to the shell prompt"
for how in INT TERM HUP QUIT panic; do
    rm -rf "$work/state"
    env=""
    [[ $how == panic ]] && env="MERIDIAN_TEST_PANIC=action"
    tmux -L fault-drill kill-server 2>/dev/null
    tmux -L fault-drill new-session -d -s d -x 100 -y 30 \
        "env $env MERIDIAN_SIM_SPEED=0.05 TERM=xterm-256color '$bin'; echo EXIT=\$?; sleep 30"
    for _ in $(seq 100); do tmux -L fault-drill capture-pane -p -t d | grep -q Regions && break; sleep 0.1; done
    shell=$(tmux -L fault-drill list-panes -t d -F '#{pane_pid}')
    pid=$(pgrep -P "$shell" | head -n 1)
    tmux -L fault-drill send-keys -t d Down d
    sleep 0.5
    tmux -L fault-drill send-keys -t d -l eu-west-1
    tmux -L fault-drill send-keys -t d Enter
    sleep 0.3
    tmux -L fault-drill send-keys -t d Enter
    wait_started
    t0=$(ms)
    [[ $how == panic ]] || kill -"$how" "$pid"
    for _ in $(seq 300); do tmux -L fault-drill capture-pane -p -t d | grep -q EXIT= && break; sleep 0.02; done
    took=$(($(ms) - t0))
    [[ $how == panic ]] && took="n/a"
    screen=$(tmux -L fault-drill capture-pane -p -t d | grep -E 'EXIT=|interrupted' | tr '\n' ' ')
    alt=$(tmux -L fault-drill display -p -t d '#{alternate_on}')
    show "dashboard $how mid-drain (alternate=$alt)" "$took" "-" "$screen"
done
