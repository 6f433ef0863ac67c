#!/usr/bin/env bash
# Figures for the Kubernetes providers, measured with the release build of the real dashboard:
#
#   1. change -> screen: time from a change on the API server (the controller stand-in's
#      health for checkout-us-east-1, set through the control API, written to the
#      Application, sent down the watch) until the dashboard under tmux shows it;
#   2. idle CPU of the dashboard on the lab fleet (examples/fleet-lab.toml: Argo CD by
#      watch, plus the lab's polled PostgreSQL, Route 53, HTTP probes and Helm Secrets), and
#      on the same three clusters with only Argo CD real (everything else simulated, still);
#   3. memory (RSS) and start-up of the dashboard with 100 regions x 30 Argo CD apps on the
#      stand-in (one cluster per region, 3,000 Applications, 300 watches).
#
# Needs the lab for 1 and 2 (`scripts/lab.sh up`); 3 starts its own stand-in on free ports.
# Usage: scripts/bench-kube.sh [IDLE_SECONDS (60)] [TRIALS (10)] [PARTS ("1 2 3")]
# Everything listens on 127.0.0.1 only; every process started here is stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
window=${1:-60}
trials=${2:-10}
parts=${3:-1 2 3}
lab="${MERIDIAN_LAB_DIR:-/tmp/meridian-lab}"
[[ -e "$lab/kube.json" || "$parts" == "3" ]] || { echo "bench-kube: no lab in $lab: run scripts/lab.sh up first" >&2; exit 1; }
cargo build --release --quiet
bin=$repo/target/release/meridian
work=$(mktemp -d)
sock="meridian-bench-kube-$$"
standin_pid=""
cleanup() {
    tmux -L "$sock" kill-server 2>/dev/null || true
    if [[ -n "$standin_pid" ]]; then
        kill "$standin_pid" 2>/dev/null || true
        wait "$standin_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
if [[ -e "$lab/kube.json" ]]; then
    eval "$(scripts/lab.sh env)"
    control=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["control"])' "$lab/kube.json")
fi
ticks=$(getconf CLK_TCK)

# Start the dashboard on FLEET in tmux session NAME (W x H); print meridian's PID.
dashboard() { # name fleet width height [extra args...]
    local name=$1 fleet=$2 w=$3 h=$4
    shift 4
    tmux -L "$sock" new-session -d -s "$name" -x "$w" -y "$h" \
        "exec env MERIDIAN_STATE_DIR=$work/state-$name TERM=xterm-256color $bin -c $fleet $*"
    tmux -L "$sock" list-panes -t "$name" -F '#{pane_pid}'
}
screen() { tmux -L "$sock" capture-pane -p -t "$1"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kib() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
percent() { awk -v a="$1" -v b="$2" -v t="$ticks" -v w="$3" 'BEGIN { printf "%.2f%%", (b - a) / t / w * 100 }'; }
health() { # region app status ('' clears the override)
    local body='{}'
    [[ -n "$3" ]] && body="{\"status\": \"$3\"}"
    python3 - "http://127.0.0.1:$control/_standin/clusters/$1/apps/argocd/$2/health" "$body" <<'PY'
import sys, urllib.request
req = urllib.request.Request(sys.argv[1], data=sys.argv[2].encode(), method="POST",
                             headers={"Content-Type": "application/json"})
urllib.request.urlopen(req, timeout=5).read()
PY
}

if [[ " $parts " == *" 1 "* || " $parts " == *" 2 "* ]]; then
echo "== 1. change on the server -> on the dashboard (lab, release build, $trials trials)"
pid=$(dashboard lab "$repo/examples/fleet-lab.toml" 200 50)
until screen lab | grep -q 'checkout'; do sleep 0.05; done
sleep 3 # every watch open
ms=()
for i in $(seq "$trials"); do
    # Alternate Degraded and back; time from the control call's return until the screen
    # shows (or stops showing) Degraded, polling the screen every ~15 ms.
    if ((i % 2)); then want=Degraded; else want=""; fi
    start=$(date +%s%N)
    health us-east-1 checkout-us-east-1 "$want"
    if [[ -n "$want" ]]; then
        until screen lab | grep -q Degraded; do sleep 0.01; done
    else
        while screen lab | grep -q Degraded; do sleep 0.01; done
    fi
    end=$(date +%s%N)
    ms+=($(((end - start) / 1000000)))
    sleep 0.5
done
sorted=$(printf '%s\n' "${ms[@]}" | sort -n)
echo "change -> screen: median $(echo "$sorted" | sed -n "$((trials / 2 + 1))p") ms, slowest $(echo "$sorted" | tail -1) ms (all: ${ms[*]})"

echo "== 2. idle CPU over ${window}s"
sleep 5
a=$(cpu_ticks "$pid")
sleep "$window"
b=$(cpu_ticks "$pid")
echo "lab fleet (Argo CD watched; PostgreSQL, Route 53, HTTP probes, Helm Secrets polled): $(percent "$a" "$b" "$window") of one core, RSS $(rss_kib "$pid") KiB"
tmux -L "$sock" kill-session -t lab

# The same clusters, with only Argo CD real: the cost of the watches themselves.
python3 - "$lab/kubeconfig" >"$work/argo-only.toml" <<'PY'
import sys
kc = sys.argv[1]
print('[fleet]\nname = "argo-only"\n[gitops]\nprovider = "argocd"\ntimeout = "5s"\n')
regions = ["us-east-1", "eu-west-1", "ap-southeast-1"]
for i, r in enumerate(regions):
    role = "primary" if i == 0 else "secondary"
    print(f'[[regions]]\nid = "{r}"\nrole = "{role}"\nsteady_weight = 10\n'
          f'cluster = {{ context = "{r}", kubeconfig = "{kc}" }}\n')
listed = ", ".join(f'"{r}"' for r in regions)
print(f'[[tenants]]\nid = "checkout"\nenvironment = "prd"\nregions = [{listed}]\n')
print(f'[[tenants]]\nid = "platform"\nenvironment = "prd"\nregions = [{listed}]\napplicationset = "platform"\n')
PY
pid=$(dashboard argo "$work/argo-only.toml" 200 50 --sim-speed 0)
until screen argo | grep -q 'platform'; do sleep 0.05; done
sleep 5
a=$(cpu_ticks "$pid")
sleep "$window"
b=$(cpu_ticks "$pid")
echo "Argo CD only (3 clusters, 6 apps, 9 watches; the rest simulated and still): $(percent "$a" "$b" "$window") of one core, RSS $(rss_kib "$pid") KiB"
tmux -L "$sock" kill-session -t argo
fi

[[ " $parts " == *" 3 "* ]] || exit 0
echo "== 3. 100 regions x 30 apps on the stand-in"
args=()
for i in $(seq -w 0 99); do args+=(--cluster "r$i"); done
(cd "$repo/tests/servers" && exec python3 -S -m kube_standin "${args[@]}" --ports-file "$work/big.json" \
    --sync-seconds 0.2 --health-seconds 0.2) >"$work/standin.log" 2>&1 &
standin_pid=$!
for _ in $(seq 600); do [[ -e "$work/big.json" ]] && break; sleep 0.1; done
[[ -e "$work/big.json" ]] || { echo "bench-kube: the stand-in did not start" >&2; exit 1; }
seed_start=$(date +%s%N)
python3 - "$work/big.json" "$work" <<'PY'
import json, sys, threading, urllib.request
ports = json.load(open(sys.argv[1]))["clusters"]
work = sys.argv[2]
revs = [f"{n:x}" * 40 for n in (1, 2, 3)]
def seed(region, port):
    for t in range(30):
        src = {"repoURL": "https://git.example.com/deploy.git", "path": f"apps/t{t:02}", "targetRevision": "main"}
        app = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
               "metadata": {"name": f"tenant-{t:02}-{region}", "namespace": "argocd",
                            "annotations": {"standin.meridian.dev/head-revision": revs[-1][:40]}},
               "spec": {"project": "default", "source": src,
                        "destination": {"server": "https://kubernetes.default.svc", "namespace": f"t{t:02}"}},
               "status": {"history": [{"id": i, "revision": r[:40], "deployedAt": f"2026-01-0{i + 1}T10:00:00Z",
                                       "source": src} for i, r in enumerate(revs)]}}
        req = urllib.request.Request(f"http://127.0.0.1:{port}/apis/argoproj.io/v1alpha1/namespaces/argocd/applications",
                                     data=json.dumps(app).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        urllib.request.urlopen(req, timeout=30).read()
threads = [threading.Thread(target=seed, args=item) for item in ports.items()]
for t in threads: t.start()
for t in threads: t.join()
lines = ["apiVersion: v1", "kind: Config", "clusters:"]
lines += [f"- name: {r}\n  cluster:\n    server: http://127.0.0.1:{p}" for r, p in ports.items()]
lines += ["contexts:"] + [f"- name: {r}\n  context:\n    cluster: {r}\n    user: u" for r in ports]
lines += ["users:", "- name: u\n  user:\n    token: bench"]
open(f"{work}/big-kubeconfig", "w").write("\n".join(lines) + "\n")
out = ['[fleet]\nname = "kube-100x30"\n[gitops]\nprovider = "argocd"\ntimeout = "10s"\n']
for i, r in enumerate(ports):
    role = "primary" if i == 0 else "secondary"
    out.append(f'[[regions]]\nid = "{r}"\nrole = "{role}"\nsteady_weight = 1\n'
               f'cluster = {{ context = "{r}", kubeconfig = "{work}/big-kubeconfig" }}\n')
listed = ", ".join(f'"{r}"' for r in ports)
for t in range(30):
    out.append(f'[[tenants]]\nid = "tenant-{t:02}"\nenvironment = "stg"\nregions = [{listed}]\n')
open(f"{work}/big.toml", "w").write("\n".join(out))
PY
echo "seeded 3,000 Applications in $((($(date +%s%N) - seed_start) / 1000000)) ms"
# status --json: one list per cluster, all 100 at once.
start=$(date +%s%N)
peak=$(MERIDIAN_STATE_DIR=$work/state-status /usr/bin/time -f '%M' "$bin" -c "$work/big.toml" --sim-speed 0 status --json 2>&1 >"$work/big-status.json" | tail -1)
took=$((($(date +%s%N) - start) / 1000000))
complete=$(python3 -c '
import collections, json, sys
d = json.load(open(sys.argv[1]))
cells = [c for t in d["tenants"] for c in t["regions"]]
synced = sum(1 for c in cells if c.get("sync") == "Synced")
errors = collections.Counter((c.get("error") or "").split(" — ")[0].split(": ", 1)[-1] for c in cells if c.get("error"))
print(f"{synced} of {len(cells)} cells Synced" + "".join(f"; {n} x {e}" for e, n in errors.most_common(3)))' "$work/big-status.json")
echo "status --json: $took ms, peak RSS $peak KiB, $complete"
launched=$(date +%s%N)
pid=$(dashboard big "$work/big.toml" 200 50 --sim-speed 0)
until screen big | grep -q 'tenant-00'; do sleep 0.05; done
echo "dashboard: tenant matrix on screen $((($(date +%s%N) - launched) / 1000000)) ms after launch"
sleep 20 # every region's first list and its watches
a=$(cpu_ticks "$pid")
sleep 30
b=$(cpu_ticks "$pid")
echo "dashboard, 100 regions x 30 apps (300 watches): RSS $(rss_kib "$pid") KiB (peak $(hwm_kib "$pid") KiB), idle CPU $(percent "$a" "$b" 30) of one core over 30s"
echo "stand-in (Python, 100 clusters): RSS $(rss_kib "$standin_pid") KiB"
