#!/usr/bin/env bash
# Runs meridian's whole test suite on this machine: installs what the tests need if it
# is missing, starts any local servers on 127.0.0.1, runs `cargo test`, stops them.
# This is the README's test command, and what .ci/run runs after fmt and clippy.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v tmux >/dev/null || need_apt+=(tmux)
command -v script >/dev/null || need_apt+=(bsdutils)
if ((${#need_apt[@]})); then
    echo "test.sh: installing ${need_apt[*]}" >&2
    if [[ $(id -u) -eq 0 ]]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
    else
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
    fi
fi

# PostgreSQL, Redis and the moto AWS server for the backend tests; each test starts its
# own servers on free 127.0.0.1 ports and stops them.
scripts/ci-backends.sh install
# The tests find the venvs where ci-backends.sh put them, whatever $HOME says.
source scripts/venvs.sh

# Most tests wait on servers and child processes, not on the CPU: six at a time halves
# the backend tests' wall time on a 2-core machine (88 s -> 45 s) and stayed stable over
# repeated runs. RUST_TEST_THREADS in the environment still wins.
export RUST_TEST_THREADS="${RUST_TEST_THREADS:-6}"
cargo test --workspace --tests "$@"
