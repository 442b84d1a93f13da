"""Line server for the socket tests: answers each line of each connection
with 'answer to <line>'. Usage: echo_server.py tcp|tcp6 PORTFILE | unix PATH.
For tcp (tcp6) it listens on 127.0.0.1 (::1) at a free port and writes the
port to PORTFILE; it runs until killed."""
import socket
import os
import socketserver
import sys


class Lines(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            try:
                self.wfile.write(b"answer to " + line)
                self.wfile.flush()
            except OSError:
                return


class TCP(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class TCP6(TCP):
    address_family = socket.AF_INET6


class Unix(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True


if sys.argv[1] in ("tcp", "tcp6"):
    if sys.argv[1] == "tcp":
        srv = TCP(("127.0.0.1", 0), Lines)
    else:
        srv = TCP6(("::1", 0), Lines)
    with open(sys.argv[2] + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(sys.argv[2] + ".tmp", sys.argv[2])
else:
    srv = Unix(sys.argv[2], Lines)
srv.serve_forever()
