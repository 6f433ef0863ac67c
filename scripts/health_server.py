#!/usr/bin/env python3
"""A small HTTP(S) service with health endpoints, for meridian's probe tests and the lab.

  health_server.py [--port N] [--cert PEM --key PEM] [--state FILE]

Binds 127.0.0.1 only and prints "ready PORT" once listening (port 0 picks a free one).
  /healthz /health/ready /health/live   200 "ok", or 503 "failing" while FILE says "fail"
  /status/NNN                           answers NNN
  /slow?ms=N                            answers 200 after N milliseconds
  /reset                                resets the connection (TCP RST) without answering
  /flap                                 200 and 503 in turn
  /body?text=T                          200 with body T
  /connections                          how many connections were accepted so far
  POST /control/fail, /control/ok       writes FILE (what `scripts/lab.sh health` does)
"""
import argparse
import http.server
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse

flap_lock = threading.Lock()
flap_count = [0]
accepted = [0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--state", help="file holding 'fail' or 'ok' for the health endpoints")
    args = ap.parse_args()

    def failing():
        if not args.state:
            return False
        try:
            with open(args.state) as f:
                return f.read().strip() == "fail"
        except OSError:
            return False

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self):
            with flap_lock:
                accepted[0] += 1
            super().setup()

        def log_message(self, *a):
            pass

        def answer(self, code, body=b""):
            self.send_response(code)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            url = urllib.parse.urlparse(self.path)
            q = urllib.parse.parse_qs(url.query)
            path = url.path
            if path in ("/healthz", "/health/ready", "/health/live"):
                if failing():
                    self.answer(503, b"failing")
                else:
                    self.answer(200, b"ok")
            elif path.startswith("/status/"):
                self.answer(int(path.rsplit("/", 1)[1]), b"as asked")
            elif path == "/slow":
                time.sleep(int(q.get("ms", ["1000"])[0]) / 1000.0)
                self.answer(200, b"slow ok")
            elif path == "/reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True
            elif path == "/flap":
                with flap_lock:
                    flap_count[0] += 1
                    n = flap_count[0]
                self.answer(200 if n % 2 == 1 else 503, b"flap")
            elif path == "/connections":
                with flap_lock:
                    n = accepted[0]
                self.answer(200, str(n).encode())
            elif path == "/body":
                self.answer(200, q.get("text", [""])[0].encode())
            else:
                self.answer(404, b"no such page")

        def do_POST(self):
            if self.path in ("/control/fail", "/control/ok") and args.state:
                with open(args.state, "w") as f:
                    f.write(self.path.rsplit("/", 1)[1])
                self.answer(200, b"set")
            else:
                self.answer(404, b"no such control")

    # Probes of many regions arrive at once: the default listen backlog (5) would drop some
    # connection attempts and cost them a SYN retransmit (a second).
    http.server.ThreadingHTTPServer.request_queue_size = 128
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print(f"ready {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
