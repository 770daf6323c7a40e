#!/usr/bin/env python3
# record_proxy.py - loopback TCP proxy that records both directions of each connection, for the
# fuzz seeds taken from NSS (nss_seeds.sh). Usage: record_proxy.py PORTFILE TARGET_PORT OUTPREFIX
# Listens on 127.0.0.1 (a free port, written to PORTFILE), forwards each accepted connection to
# 127.0.0.1:TARGET_PORT, and writes OUTPREFIX-<n>.c2s / .s2c when it ends. Exits after 60 s idle.
import select
import socket
import sys


def main():
    portfile, target, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(4)
    with open(portfile, "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    n = 0
    while True:
        r, _, _ = select.select([ls], [], [], 60)
        if not r:
            return
        c, _ = ls.accept()
        s = socket.create_connection(("127.0.0.1", target))
        data = {c: bytearray(), s: bytearray()}
        peer = {c: s, s: c}
        open_ = {c, s}
        while open_:
            r, _, _ = select.select(list(open_), [], [], 30)
            if not r:
                break
            for x in r:
                b = x.recv(65536)
                if not b:
                    open_.discard(x)
                    try:
                        peer[x].shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    continue
                data[x] += b
                peer[x].sendall(b)
        c.close()
        s.close()
        with open("%s-%d.c2s" % (prefix, n), "wb") as f:
            f.write(data[c])
        with open("%s-%d.s2c" % (prefix, n), "wb") as f:
            f.write(data[s])
        n += 1


main()
