#!/bin/sh
# A stand-in smoke test that runs anywhere (for trying the shell runner): it keeps its
# "test tenant" as a file in $TMPDIR and writes a report into the evidence folder.
# A real one would call the region's API; the shape (create, check, delete, exit codes,
# output) is the same.
set -eu
region=${MERIDIAN_REGION:?run me through meridian}
state="${TMPDIR:-/tmp}/meridian-smoke-$region"
case "${1:-}" in
    exists) test -e "$state" ;;
    create)
        echo "creating test tenant smoke-$region in $MERIDIAN_CLOUD_REGION"
        date -u +%FT%TZ >"$state"
        ;;
    auth)
        test -e "$state" || { echo "no test tenant: create it first" >&2; exit 2; }
        for check in "login page" "token issue" "token refresh" "logout"; do
            echo "auth flow: $check ... ok"
        done
        echo "smoke report for $region: 4/4 checks ok" >"$MERIDIAN_EVIDENCE/smoke-report.txt"
        ;;
    delete)
        rm -f "$state"
        echo "test tenant smoke-$region deleted"
        ;;
    *) echo "usage: smoke.sh exists|create|auth|delete" >&2; exit 64 ;;
esac
