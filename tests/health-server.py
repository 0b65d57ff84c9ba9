#!/usr/bin/env python3
"""A member's HTTP server for tests/health.at.

health-server.py ADDRESS PORT [--delay SECONDS] [--status CODE]

Answers every GET with CODE (default 200) after sleeping SECONDS (default
0), so a test can make a member slow (fastest-response, rtt_ms) or make it
fail an HTTP monitor's "expect" without failing its TCP connect.  Each
request runs in its own thread, so a slow answer does not queue the next
probe behind it.  Writes nothing to stdout or stderr per request.
"""

import argparse
import http.server
import socket
import socketserver
import time


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.server.delay:
            time.sleep(self.server.delay)
        body = b"flowlb health test\n"
        self.send_response(self.server.status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("address")
    parser.add_argument("port", type=int)
    parser.add_argument("--delay", type=float, default=0)
    parser.add_argument("--status", type=int, default=200)
    args = parser.parse_args()

    if ":" in args.address:
        Server.address_family = socket.AF_INET6
    server = Server((args.address, args.port), Handler)
    server.delay = args.delay
    server.status = args.status
    server.serve_forever()


if __name__ == "__main__":
    main()
