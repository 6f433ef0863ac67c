"""A `helm`-compatible command line over the real Helm 4 SDK (PyPI helm-python-sdk).

No helm binary can be installed here, but helm-python-sdk bundles Helm's Go SDK as a shared
library, and that SDK installs, upgrades, rolls back and reads history against the Kubernetes
stand-in for real. This covers the subset meridian and its tests use:

  helm version
  helm install NAME CHART [--set k=v]... [-f values.yaml]... [--wait] [--timeout 5m0s] [--create-namespace]
  helm upgrade NAME CHART [--install] [same flags]
  helm rollback NAME [REVISION] [--wait] [--timeout D] [--dry-run]
  helm history NAME [-o table|json] [--max N]
  helm list [-o table|json]
  helm get manifest NAME [--revision N]
  helm get values NAME [--revision N] [-o yaml|json]   (the values the release was given;
      yaml prints them as JSON, which is YAML, under helm's header)
  helm template NAME CHART [--set k=v]... [-f values.yaml]... [--version V]   (the chart's
      objects as `helm template` prints them: `---`, `# Source: PATH`, the object; rendered
      cluster-aware, as `helm upgrade --dry-run=server` would)
with the global flags --namespace/-n, --kube-context, --kubeconfig. Errors print `Error: ...`
and exit 1, as helm does.
"""

import argparse
import json
import re
import sys
import time

try:
    import helm_python as helm
except ImportError:  # the venv from scripts/ci-backends.sh is missing
    print("Error: helm_python is not installed (run scripts/ci-backends.sh install)", file=sys.stderr)
    sys.exit(1)

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")


def duration(text):
    """Go duration text (5m0s, 300s, 1h) or plain seconds, as whole seconds."""
    if re.fullmatch(r"\d+", text):
        return int(text)
    parts = _DURATION.findall(text)
    if not parts or "".join(a + b for a, b in parts) != text:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}")
    scale = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    return max(1, int(sum(float(n) * scale[u] for n, u in parts)))


def _global(p):
    p.add_argument("-n", "--namespace", default="default")
    p.add_argument("--kube-context")
    p.add_argument("--kubeconfig")


def _chart_flags(p):
    p.add_argument("name")
    p.add_argument("chart")
    p.add_argument("--set", action="append", default=[])
    p.add_argument("-f", "--values", action="append", default=[])
    p.add_argument("--wait", action="store_true")
    p.add_argument("--timeout", type=duration, default=300)
    p.add_argument("--create-namespace", action="store_true")
    p.add_argument("--description")
    # As helm: a version constraint for a repository chart; a chart directory is used as is.
    p.add_argument("--version")


def parser():
    p = argparse.ArgumentParser(prog="helm", description="helm over the Helm 4 SDK (subset)")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("version")
    for name in ("install", "upgrade"):
        c = sub.add_parser(name)
        _global(c)
        _chart_flags(c)
        if name == "upgrade":
            c.add_argument("-i", "--install", action="store_true")
    c = sub.add_parser("rollback")
    _global(c)
    c.add_argument("name")
    c.add_argument("revision", nargs="?", type=int)
    c.add_argument("--wait", action="store_true")
    c.add_argument("--timeout", type=duration, default=300)
    c.add_argument("--dry-run", action="store_true")
    c = sub.add_parser("history")
    _global(c)
    c.add_argument("name")
    c.add_argument("-o", "--output", choices=("table", "json"), default="table")
    c.add_argument("--max", type=int, default=256)
    c = sub.add_parser("list")
    _global(c)
    c.add_argument("-o", "--output", choices=("table", "json"), default="table")
    c = sub.add_parser("get")
    c.add_argument("what", choices=("manifest", "values"))
    _global(c)
    c.add_argument("name")
    c.add_argument("--revision", type=int)
    c.add_argument("-o", "--output", choices=("yaml", "json"), default="yaml")
    c = sub.add_parser("template")
    _global(c)
    c.add_argument("name")
    c.add_argument("chart")
    c.add_argument("--set", action="append", default=[])
    c.add_argument("-f", "--values", action="append", default=[])
    c.add_argument("--version")
    return p


def _values(args):
    values = {}
    for path in args.values:
        with open(path) as f:
            values = _deep_merge(values, helm.values_from_yaml(f.read()))
    for expr in args.set:
        values = _deep_merge(values, helm.parse_set_string(expr))
    return values


def _deep_merge(a, b):
    out = dict(a)
    for k, v in b.items():
        out[k] = _deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _ansic(stamp):
    """Helm's table time format (Go's ANSIC layout) from an RFC 3339 timestamp."""
    try:
        t = time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S")
    except (TypeError, ValueError):
        return stamp or ""
    return time.strftime("%a %b ", t) + f"{t.tm_mday:2d}" + time.strftime(" %H:%M:%S %Y", t)


def _table(headers, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    for row in [headers] + rows:
        print("\t".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())


def run(args):
    if args.command == "version":
        print(f'version.BuildInfo{{Version:"{helm.helm_sdk_version()}", GitCommit:"", GitTreeState:"", '
              f'GoVersion:"", KubeClientVersion:"", SDK:"helm-python-sdk {helm.__version__}"}}')
        return 0
    opts = {"namespace": args.namespace}
    if args.kube_context:
        opts["kube_context"] = args.kube_context
    if args.kubeconfig:
        opts["kubeconfig_path"] = args.kubeconfig
    with helm.Config(**opts) as cfg:
        if args.command in ("install", "upgrade"):
            common = {"timeout": args.timeout, "wait": "watcher" if args.wait else None,
                      "description": args.description}
            fresh = args.command == "install" or (args.install and args.name not in [r["name"] for r in cfg.list()])
            if not fresh:
                rel = cfg.upgrade(args.chart, args.name, _values(args), **common)
            else:
                rel = cfg.install(args.chart, args.name, _values(args), create_namespace=args.create_namespace, **common)
            print(f"Release \"{args.name}\" has been {'upgraded' if rel['revision'] > 1 else 'installed'}. "
                  f"Happy Helming!\nNAME: {args.name}\nNAMESPACE: {args.namespace}\nSTATUS: {rel['status']}\n"
                  f"REVISION: {rel['revision']}")
        elif args.command == "rollback":
            cfg.rollback(args.name, version=args.revision, timeout=args.timeout,
                         wait="watcher" if args.wait else None, dry_run="client" if args.dry_run else None)
            print("Rollback was a success! Happy Helming!")
        elif args.command == "history":
            entries = cfg.history(args.name, max_revisions=args.max)
            out = []
            for h in entries:
                info = cfg.get_all(args.name, revision=h["revision"]).get("info") or {}
                out.append({"revision": h["revision"], "updated": info.get("last_deployed", h.get("deployed_at", "")),
                            "status": h["status"], "chart": f"{h['chart_name']}-{h['chart_version']}",
                            "app_version": h.get("app_version", ""), "description": info.get("description", "")})
            if args.output == "json":
                print(json.dumps(out, separators=(",", ":")))
            else:
                _table(["REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION", "DESCRIPTION"],
                       [[o["revision"], _ansic(o["updated"]), o["status"], o["chart"], o["app_version"],
                         o["description"]] for o in out])
        elif args.command == "get" and args.what == "values":
            # The values the release was given (helm's "USER-SUPPLIED VALUES").
            rel = cfg.get_all(args.name, revision=args.revision) if args.revision else cfg.get_all(args.name)
            values = rel.get("config") or {}
            if args.output == "json":
                print(json.dumps(values, separators=(",", ":")))
            else:
                print("USER-SUPPLIED VALUES:")
                print(json.dumps(values, indent=2))
        elif args.command == "get":
            if args.revision is not None:
                rel = cfg.get_all(args.name, revision=args.revision).get("summary") or {}
            else:
                rel = cfg.status(args.name)
            sys.stdout.write(rel.get("manifest", ""))
        elif args.command == "template":
            chart = helm.Chart.load(args.chart) if hasattr(helm.Chart, "load") else helm.Chart(args.chart)
            out = cfg.render(chart, _values(args), name=args.name, namespace=args.namespace, is_upgrade=True)
            for path in sorted(out):
                text = out[path].strip()
                if text:
                    sys.stdout.write(f"---\n# Source: {path}\n{text}\n")
        elif args.command == "list":
            rels = cfg.list()
            if args.output == "json":
                print(json.dumps([{"name": r["name"], "namespace": r["namespace"], "revision": str(r["revision"]),
                                   "updated": r.get("deployed_at", ""), "status": r["status"],
                                   "chart": f"{r['chart_name']}-{r['chart_version']}",
                                   "app_version": r.get("app_version", "")} for r in rels], separators=(",", ":")))
            else:
                _table(["NAME", "NAMESPACE", "REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION"],
                       [[r["name"], r["namespace"], r["revision"], r.get("deployed_at", ""), r["status"],
                         f"{r['chart_name']}-{r['chart_version']}", r.get("app_version", "")] for r in rels])
    return 0


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        return run(args)
    except helm.HelmError as err:
        print(f"Error: {err}", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"Error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
