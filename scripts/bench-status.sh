#!/usr/bin/env bash
# How long `meridian status` takes on the demo fleet: N runs of the release binary in a
# scratch state directory; prints the median and the slowest wall time, and peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-50}
cargo build --release --quiet
bin=target/release/meridian
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
export MERIDIAN_STATE_DIR=$state XDG_CONFIG_HOME=$state/config
"$bin" status >/dev/null # create the simulated world first
times=()
for _ in $(seq "$runs"); do
    start=$(date +%s%N)
    "$bin" status >/dev/null
    end=$(date +%s%N)
    times+=($(((end - start) / 1000)))
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
median=$(echo "$sorted" | sed -n "$((runs / 2 + 1))p")
max=$(echo "$sorted" | tail -1)
rss=$(/usr/bin/time -f '%M' "$bin" status 2>&1 >/dev/null | tail -1)
echo "meridian status (demo fleet, $runs runs): median ${median} us, slowest ${max} us, peak RSS ${rss} KiB"
