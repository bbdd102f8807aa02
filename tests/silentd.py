#!/usr/bin/env python3
"""silentd.py -- a server that accepts TCP connections and never answers.

Stands in for a Prometheus or a Kubernetes API server that hangs: the
connection is made, the request is never read and no byte comes back, so
only the client's own deadline ends the request.  Listens on 127.0.0.1 at
a free port and prints "ready PORT" once listening.
"""
import socket


def main():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(128)
    print("ready %d" % s.getsockname()[1], flush=True)
    held = []
    while True:
        c, _ = s.accept()
        held.append(c)      # kept open, never read, never answered


if __name__ == "__main__":
    main()
