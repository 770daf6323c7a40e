#!/usr/bin/env python3
"""rr_proxy.py UPSTREAM_PORT... - a TCP load balancer on 127.0.0.1 for the interop tests: each
accepted connection goes to the next upstream port in turn (round robin), bytes copied both ways
until either side closes. Prints "listening on 127.0.0.1:PORT" once it accepts."""
import socket
import sys
import threading


def pipe(src, dst):
    try:
        while True:
            b = src.recv(65536)
            if not b:
                break
            dst.sendall(b)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def main():
    ups = [int(p) for p in sys.argv[1:]]
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(256)
    print("listening on 127.0.0.1:%d" % ls.getsockname()[1], flush=True)
    i = 0
    while True:
        c, _ = ls.accept()
        try:
            u = socket.create_connection(("127.0.0.1", ups[i % len(ups)]))
        except OSError:
            c.close()
            continue
        i += 1
        for a, b in ((c, u), (u, c)):
            threading.Thread(target=pipe, args=(a, b), daemon=True).start()


if __name__ == "__main__":
    main()
