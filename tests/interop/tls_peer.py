#!/usr/bin/env python3
"""tls_peer.py - Python 3 ssl (the system OpenSSL) as a TLS peer for the interop tests.

client: connect CONNS times to HOST:PORT, each time offering the session of the previous
        connection (session=), send the bytes of --send, read until the server closes, write what
        came back to OUT.N and print one line per connection, from Python's own view:
        "conn=N version=TLSv1.2 cipher=AES128-SHA reused=yes|no session=HEX"
        With --cases FILE, many cases in this one process (a Python start costs more than a
        handshake): one case per line of FILE, "TAG VERSION CIPHERS SEND OUT", each with a fresh
        context and CONNS connections as above, its lines prefixed with "case=TAG ". A case that
        fails says so on its own line ("case=TAG conn=N error: ...") and the next one still runs.
server: listen on 127.0.0.1 (port 0), print "listening on 127.0.0.1:PORT", then per connection
        read up to the first empty line (or EOF), answer
        "version=V cipher=C reused=yes|no\\r\\n" followed by the bytes received, close with
        close_notify, and print the same "version=... cipher=... reused=..." line on stdout.
The groups a client offers come from OpenSSL's configuration (OPENSSL_CONF with a system_default
Groups line; this Python has no call for a list of groups, and its SSLContext.set_ecdh_curve,
meant for one curve, makes the X25519 handshake fail with "unknown group").
TLS 1.0 and 1.1 need OpenSSL's security level 0 (Debian's OpenSSL 3.0 refuses them otherwise).
"""
import argparse
import socket
import ssl
import sys
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)

VERSIONS = {
    "tls1.0": ssl.TLSVersion.TLSv1,
    "tls1.1": ssl.TLSVersion.TLSv1_1,
    "tls1.2": ssl.TLSVersion.TLSv1_2,
}


def describe(s):
    name = s.cipher()[0] if s.cipher() else "-"
    return "version=%s cipher=%s reused=%s" % (s.version(), name, "yes" if s.session_reused else "no")


def client_case(a, version, ciphers, send, out, tag=""):
    """CONNS connections, each offering the previous one's session; 0 if all went well."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if a.cafile:
        ctx.load_verify_locations(a.cafile)
        ctx.check_hostname = True
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    lo, hi = version.split("-") if "-" in version else (version, version)
    ctx.minimum_version = VERSIONS[lo]
    ctx.maximum_version = VERSIONS[hi]
    ctx.set_ciphers((ciphers or "ALL") + ":@SECLEVEL=0")
    with open(send, "rb") as f:
        req = f.read()
    session = None
    status = 0
    for n in range(a.conns):
        raw = socket.create_connection((a.host, a.port), timeout=20)
        s = ctx.wrap_socket(raw, server_hostname=a.servername, session=session)
        s.sendall(req)
        got = bytearray()
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
        except (ssl.SSLError, OSError) as e:  # report it, keep what came
            print("%sconn=%d read error: %r" % (tag, n, e))
            status = 1
        sid = s.session.id.hex() if s.session is not None else "-"
        print("%sconn=%d %s session=%s" % (tag, n, describe(s), sid), flush=True)
        with open("%s.%d" % (out, n), "wb") as f:
            f.write(bytes(got))
        session = s.session
        try:
            s.close()
        except OSError:
            pass
    return status


def run_client(a):
    if not a.cases:
        return client_case(a, a.version, a.ciphers, a.send, a.out)
    status = 0
    with open(a.cases) as f:
        cases = [line.split() for line in f if line.strip()]
    for c in cases:
        tag = "case=%s " % c[0]
        if len(c) != 5:
            print("%sconn=0 error: want 5 words, got %r" % (tag, c), flush=True)
            status = 1
            continue
        try:
            status |= client_case(a, c[1], c[2], c[3], c[4], tag)
        except Exception as e:  # this case failed; the others still run
            print("%sconn=0 error: %r" % (tag, e), flush=True)
            status = 1
    return status


def run_server(a):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if len(a.cert) != len(a.key):
        sys.exit("--cert and --key must come in pairs")
    for cert, key in zip(a.cert, a.key):  # e.g. an RSA and an ECDSA chain: OpenSSL keeps both
        ctx.load_cert_chain(cert, key)
    if a.dh:
        ctx.load_dh_params(a.dh)
    ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers("ALL:@SECLEVEL=0")
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(64)
    print("listening on 127.0.0.1:%d" % ls.getsockname()[1], flush=True)
    while True:
        raw, _ = ls.accept()
        raw.settimeout(20)
        try:
            s = ctx.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError) as e:
            print("handshake error: %r" % (e,), flush=True)
            raw.close()
            continue
        try:
            got = bytearray()
            while b"\r\n\r\n" not in got and b"\n\n" not in got:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
            line = describe(s)
            s.sendall(line.encode() + b"\r\n" + bytes(got))
            print(line, flush=True)
            s.unwrap()
        except (ssl.SSLError, OSError) as e:
            print("connection error: %r" % (e,), flush=True)
        finally:
            try:
                s.close()
            except OSError:
                pass


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="mode", required=True)
    c = sub.add_parser("client")
    c.add_argument("--host", default="127.0.0.1")
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--version", default="tls1.2", help="tls1.0|tls1.1|tls1.2 or MIN-MAX")
    c.add_argument("--ciphers", help="OpenSSL cipher string")
    c.add_argument("--cafile")
    c.add_argument("--servername")
    c.add_argument("--send", help="file with the bytes to send")
    c.add_argument("--out", help="prefix of the reply files (OUT.0, OUT.1...)")
    c.add_argument("--conns", type=int, default=2)
    c.add_argument("--cases", help="file of cases: TAG VERSION CIPHERS SEND OUT per line")
    s = sub.add_parser("server")
    s.add_argument("--cert", required=True, action="append", help="may be given twice (RSA, EC)")
    s.add_argument("--key", required=True, action="append")
    s.add_argument("--dh")
    a = p.parse_args()
    if a.mode == "client" and not a.cases and not (a.send and a.out):
        p.error("client: --send and --out, or --cases")
    return run_client(a) if a.mode == "client" else run_server(a)


if __name__ == "__main__":
    sys.exit(main())
