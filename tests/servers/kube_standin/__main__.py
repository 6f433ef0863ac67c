"""python3 -m kube_standin --cluster NAME=PORT ... [--control-port P] [--ports-file F]"""

import argparse
import json
import os
import signal
import sys
import threading

from .cluster import Cluster
from .control import ControlServer


def _cluster(text):
    name, sep, port = text.partition("=")
    if not name or (sep and not port.isdigit()):
        raise argparse.ArgumentTypeError(f"--cluster wants NAME or NAME=PORT, got {text!r}")
    return name, int(port or 0)


def main(argv=None):
    p = argparse.ArgumentParser(prog="kube_standin", description=__doc__)
    p.add_argument("--cluster", action="append", type=_cluster, required=True,
                   help="NAME=PORT (0 or no port: a free one); repeat for more clusters")
    p.add_argument("--control-port", type=int, default=0, help="control API port (default: a free one)")
    p.add_argument("--ports-file", help="write the chosen ports here as JSON once serving")
    p.add_argument("--token", default="", help="require `Authorization: Bearer TOKEN` (default: accept any)")
    p.add_argument("--sync-seconds", type=float, default=0.3, help="how long an Argo operation runs")
    p.add_argument("--health-seconds", type=float, default=0.3, help="how long health stays Progressing")
    p.add_argument("--bookmark-seconds", type=float, default=5.0, help="watch bookmark interval")
    p.add_argument("--history", type=int, default=1000, help="watch events remembered per cluster")
    p.add_argument("--request-log", type=int, default=1000, help="requests remembered per cluster")
    args = p.parse_args(argv)

    clusters = {}
    for name, port in args.cluster:
        if name in clusters:
            p.error(f"cluster {name!r} given twice")
        clusters[name] = Cluster(name, port, args)
    try:
        for c in clusters.values():
            c.start()
        control = ControlServer(clusters, args.control_port)
    except OSError as err:
        print(f"kube_standin: cannot listen on 127.0.0.1: {err}", file=sys.stderr)
        return 1
    control.start()
    for c in clusters.values():
        c.start_controllers()
    ports = {"pid": os.getpid(), "control": control.server_address[1],
             "clusters": {name: c.port for name, c in clusters.items()}}
    if args.ports_file:
        tmp = args.ports_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(ports, f)
        os.replace(tmp, args.ports_file)  # readers never see a half-written file
    print(json.dumps(ports), flush=True)

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
