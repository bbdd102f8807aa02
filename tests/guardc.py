#!/usr/bin/env python3
"""guardc — a test client of the guard's socket, speaking the protocol by
hand so that tests can send what cutover itself never would.

  guardc.py SOCKET version N        hello of protocol N; print the answer
  guardc.py SOCKET garbage          a line that is not JSON; print the answer
  guardc.py SOCKET long             a line over the client limit
  guardc.py SOCKET watch SECS PHASE attach as a dashboard; exit 0 when a
                                    view shows PHASE (prints "ready" once
                                    attached), 1 after SECS
  guardc.py SOCKET changes SECS     attach as a dashboard for SECS; print
                                    each view's "changed" bits, one a line
  guardc.py SOCKET unasked NAME     as a command, send action NAME forced
                                    and marked unconfirmed; print the result
  guardc.py SOCKET view             attach as a dashboard; print the first
                                    view (JSON, one line)
Every read is bounded by a timeout."""
import json
import socket
import sys
import time


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s


def hello(proto=2, role="dashboard"):
    return (json.dumps({"type": "hello", "proto": proto, "program": "test",
                        "role": role, "tty": "/dev/pts/test",
                        "ssh_client": "192.0.2.7"}) + "\n").encode()


def lines(s, deadline):
    buf = b""
    while time.monotonic() < deadline:
        s.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            chunk = s.recv(1 << 16)
        except socket.timeout:
            return
        if not chunk:
            yield None
            return
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            yield json.loads(line)


def answer_then_close(s):
    for m in lines(s, time.monotonic() + 10):
        if m is None:
            print("closed")
            return
        print(json.dumps(m))


def main():
    path, mode = sys.argv[1], sys.argv[2]
    s = connect(path)
    if mode == "version":
        s.sendall(hello(int(sys.argv[3])))
        answer_then_close(s)
    elif mode == "garbage":
        s.sendall(b"\x1b[2J not json\n")
        answer_then_close(s)
    elif mode == "long":
        s.sendall(b"{" + b" " * 10000 + b"}\n")
        answer_then_close(s)
    elif mode == "unasked":
        s.sendall(hello(role="command"))
        s.sendall((json.dumps({"type": "action", "id": 7, "name": sys.argv[3],
                               "reason": "", "force": True,
                               "unconfirmed": True}) + "\n").encode())
        for m in lines(s, time.monotonic() + 30):
            if m is None:
                print("closed")
                sys.exit(1)
            if m["type"] == "result" and m["id"] == 7:
                print(json.dumps(m))
                sys.exit(0)
        sys.exit(1)
    elif mode == "view":
        s.sendall(hello())
        for m in lines(s, time.monotonic() + 20):
            if m is None:
                print("closed")
                sys.exit(1)
            if m["type"] == "view":
                print(json.dumps(m["view"]))
                sys.exit(0)
        sys.exit(1)
    elif mode == "changes":
        s.sendall(hello())
        for m in lines(s, time.monotonic() + float(sys.argv[3])):
            if m is None:
                print("closed")
                sys.exit(1)
            if m["type"] == "view":
                print(m["view"].get("changed"), flush=True)
    elif mode == "watch":
        secs, phase = float(sys.argv[3]), sys.argv[4]
        s.sendall(hello())
        said = False
        for m in lines(s, time.monotonic() + secs):
            if m is None:
                print("closed")
                sys.exit(1)
            if m["type"] == "view":
                if not said:
                    print("ready", flush=True)
                    said = True
                if m["view"]["state"]["phase"] == phase:
                    print("seen " + phase, flush=True)
                    sys.exit(0)
        sys.exit(1)


main()
