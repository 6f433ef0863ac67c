#!/usr/bin/env bash
# Idle CPU and first-frame time of the real dashboard on the live demo fleet.
# Starts a release build under tmux (100x30), lets it settle, then reads the process's
# CPU time from /proc over a window. Usage: scripts/idle-cpu.sh [SECONDS]
set -euo pipefail
window=${1:-30}
cd "$(dirname "$0")/.."
cargo build --release --quiet
state=$(mktemp -d)
sock="meridian-idle-$$"
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$state"' EXIT
launched=$(date +%s%N)
tmux -L "$sock" new-session -d -s idle -x 100 -y 30 \
  "env MERIDIAN_STATE_DIR=$state TERM=xterm-256color ./target/release/meridian"
# Upper bound on time to first frame, tmux start-up included: poll the pane until the
# board appears.
until tmux -L "$sock" capture-pane -p -t idle 2>/dev/null | grep -q 'Regions'; do sleep 0.005; done
seen=$(date +%s%N)
echo "board on screen $(( (seen - launched) / 1000000 )) ms after launching tmux"
sleep 5
pid=$(tmux -L "$sock" list-panes -t idle -F '#{pane_pid}')
# The pane runs `env` which execs meridian, so the pane's pid is meridian's.
ticks=$(getconf CLK_TCK)
read_cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
start=$(read_cpu)
sleep "$window"
end=$(read_cpu)
first=$(tmux -L "$sock" capture-pane -p -t idle | grep -o 'first frame in [0-9]* ms' | head -1 || true)
echo "idle CPU over ${window}s: $(awk -v a="$start" -v b="$end" -v t="$ticks" -v w="$window" 'BEGIN { printf "%.2f%% of one core", (b - a) / t / w * 100 }')"
echo "${first:-first frame: not found on screen}"
