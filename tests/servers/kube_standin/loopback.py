"""The threaded HTTP server both the clusters and the control API use, tuned for loopback."""

import socket
import socketserver
from http.server import ThreadingHTTPServer


class LoopbackServer(ThreadingHTTPServer):
    """ThreadingHTTPServer without its two slow habits here: a reverse DNS lookup of the bound
    address at start (half a second with no resolver), and Nagle's algorithm, which with the
    client's delayed ACKs held every answer's body back ~40 ms."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def server_bind(self):
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = host, port

    def get_request(self):
        conn, addr = super().get_request()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn, addr
