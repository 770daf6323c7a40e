#!/usr/bin/env python3
"""hello_shapes.py - unusual but legal (and some illegal) ClientHellos, built byte by byte and sent
raw over TCP to NSS selfserv and to sslref-server; each server's first answer is classified and
sslref's must equal NSS's (issue 13 point 11, "Conformance seen from outside").

Usage: hello_shapes.py --proto ssl3|tls1.2 [--server-max ssl3|tls1.2] --nss PORT --sslref PORT
                       [--host 127.0.0.1] [--only SHAPE-PREFIX] [--show] [--jobs N]
--proto is the version the hellos offer, --server-max the highest one both servers have on.

An answer is classified from the server's first records: "ServerHello VVVV SSSS" (the version and
suite it chose; the handshake is not completed), "alert LEVEL DESCRIPTION", or how the connection
ended without either: "eof", "reset" or "timeout". For the duplicated-hello shape the reading goes on
past the ServerHello to the alert (or end) that follows it.

Every shape has an expected answer (what NSS 3.87 answers, checked live; where that is arguably
wrong the RFC answer, with a comment). One line per shape and server (the 50 fuzz variants make
one line per server):
  PASS: <hello>@<servers> <shape> <server>: <answer>
  FAIL: <hello>@<servers> <shape> <server>: N of M differ, then each: answered, want, NSS's answer
A server answering differently from the expectation fails; sslref fails too where its answer's
class (ServerHello and version, or the alert, or the end) differs from NSS's live one. Exit status: the number of FAIL lines (capped at 100). Python 3 standard library only.
"""

import argparse
import concurrent.futures
import random
import socket
import struct
import sys
import time

ALERTS = {
    0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 21: "decryption_failed",
    22: "record_overflow", 30: "decompression_failure", 40: "handshake_failure",
    41: "no_certificate", 42: "bad_certificate", 43: "unsupported_certificate",
    44: "certificate_revoked", 45: "certificate_expired", 46: "certificate_unknown",
    47: "illegal_parameter", 48: "unknown_ca", 49: "access_denied", 50: "decode_error",
    51: "decrypt_error", 70: "protocol_version", 71: "insufficient_security", 80: "internal_error",
    86: "inappropriate_fallback", 90: "user_canceled", 100: "no_renegotiation",
    110: "unsupported_extension", 112: "unrecognized_name", 120: "no_application_protocol",
}
LEVELS = {1: "warning", 2: "fatal"}

CT_ALERT, CT_HANDSHAKE = 21, 22
HS_CLIENT_HELLO, HS_SERVER_HELLO = 1, 2

# Extension types a server may interpret (RFC 8446 §4.2 list and older ones): an unknown extension
# of these shapes must never be one of them.
KNOWN_EXT = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
             24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44,
             45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65,
             0x3374, 0x7550, 0xff01, 0xfe0d, 0xffce, 0x4469, 0x44cd}

IO_TIMEOUT = 4.0  # seconds to wait for an answer; a server still waiting then is "timeout"


# ---- building ----

def u8(n):
    return struct.pack("!B", n)


def u16(n):
    return struct.pack("!H", n)


def u24(n):
    return struct.pack("!I", n)[1:]


def ext(etype, data, declared=None):
    """One extension; @declared overrides the length field (fuzzing)."""
    return u16(etype) + u16(len(data) if declared is None else declared) + data


def hello_body(client_version, suites, exts, sid=b"", rnd=None):
    """A ClientHello body. @exts: None (no extension block at all) or the block's contents."""
    rnd = rnd if rnd is not None else bytes(range(32))
    body = u16(client_version) + rnd + u8(len(sid)) + sid
    body += u16(2 * len(suites)) + b"".join(u16(s) for s in suites)
    body += u8(1) + u8(0)  # null compression only
    if exts is not None:
        body += u16(len(exts)) + exts
    return body


def hs_msg(mtype, body):
    return u8(mtype) + u24(len(body)) + body


def records(ctype, rec_version, payload, frag=16384):
    """@payload in records of at most @frag bytes (2^14 is the plaintext limit)."""
    out = b""
    for i in range(0, len(payload), frag):
        chunk = payload[i:i + frag]
        out += u8(ctype) + u16(rec_version) + u16(len(chunk)) + chunk
    return out


# ---- reading ----

class Answer:
    def __init__(self):
        self.hello = None    # (version, suite) of the ServerHello
        self.alert = None    # (level, description)
        self.end = None      # "eof", "reset", "timeout" or "garbage"
        self.nrecords = 0

    def text(self):
        parts = []
        if self.hello:
            parts.append("ServerHello %04x %04x" % self.hello)
        if self.alert:
            parts.append("alert %s %s" % (LEVELS.get(self.alert[0], str(self.alert[0])),
                                          ALERTS.get(self.alert[1], str(self.alert[1]))))
        if not self.alert and (self.end and not (self.hello and self.end == "stop")):
            parts.append(self.end)
        return ", ".join(parts) if parts else "nothing"


def read_answer(sock, past_hello):
    """Read the server's records until a ServerHello (or, with @past_hello, until the alert or the
    end after it), an alert, or the end of the connection."""
    ans = Answer()
    buf = b""
    hs = b""
    deadline = time.monotonic() + IO_TIMEOUT
    while True:
        # parse what we have
        while len(buf) >= 5:
            ctype, ver, n = buf[0], struct.unpack("!H", buf[1:3])[0], struct.unpack("!H", buf[3:5])[0]
            if ctype not in (20, 21, 22, 23) or ver >> 8 != 3:
                ans.end = "garbage"
                return ans
            if len(buf) < 5 + n:
                break
            frag, buf = buf[5:5 + n], buf[5 + n:]
            ans.nrecords += 1
            if ctype == CT_ALERT and len(frag) >= 2:
                ans.alert = (frag[0], frag[1])
                return ans
            if ctype == CT_HANDSHAKE and ans.hello is None:
                hs += frag
                if len(hs) >= 4 and hs[0] != HS_SERVER_HELLO:
                    ans.end = "garbage"
                    return ans
                if len(hs) >= 4 + 2 + 32 + 1:
                    blen = struct.unpack("!I", b"\0" + hs[1:4])[0]
                    if len(hs) >= 4 + blen:
                        b = hs[4:4 + blen]
                        sidlen = b[34]
                        if len(b) < 35 + sidlen + 3:
                            ans.end = "garbage"
                            return ans
                        ver = struct.unpack("!H", b[0:2])[0]
                        suite = struct.unpack("!H", b[35 + sidlen:37 + sidlen])[0]
                        ans.hello = (ver, suite)
                        if not past_hello:
                            ans.end = "stop"
                            return ans
        left = deadline - time.monotonic()
        if left <= 0:
            ans.end = "timeout"
            return ans
        sock.settimeout(left)
        try:
            data = sock.recv(65536)
        except socket.timeout:
            ans.end = "timeout"
            return ans
        except ConnectionResetError:
            ans.end = "reset"
            return ans
        except OSError as e:
            ans.end = "error:%s" % e.__class__.__name__
            return ans
        if not data:
            ans.end = "eof"
            return ans
        buf += data


def exchange(host, port, data, past_hello):
    """Connect, send @data (a list of chunks, sent in order), classify the answer."""
    try:
        sock = socket.create_connection((host, port), timeout=IO_TIMEOUT)
    except OSError as e:
        a = Answer()
        a.end = "connect-failed:%s" % e.__class__.__name__
        return a
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            for chunk in data:
                sock.sendall(chunk)
        except OSError:
            pass  # the server may refuse before reading all of it: read what it said
        return read_answer(sock, past_hello)
    finally:
        sock.close()


# ---- the shapes ----

class Case:
    """One hello to send: @data the chunks of bytes, @want_text the expected answer (see
    matches), @past_hello: read on past the ServerHello."""

    def __init__(self, name, data, want_text, past_hello=False, nss_want=None):
        self.name = name
        self.data = data if isinstance(data, list) else [data]
        self.want_text = want_text
        self.past_hello = past_hello
        # NSS's answer where it is arguably wrong (asserted on the NSS line only)
        self.nss_want = want_text if nss_want is None else nss_want


class Proto:
    """@name: the version the hellos offer (ssl3: client_version 0x0300, tls1.2: 0x0303);
    @server_max: the highest version the servers have on."""

    def __init__(self, name, server_max):
        self.name = name
        self.server_max = server_max
        self.label = "%s-hello@%s-server" % (name, "ssl3-only" if server_max == "ssl3" else "ssl3-tls1.2")
        self.tls = name == "tls1.2"
        self.cv = 0x0303 if self.tls else 0x0300
        self.rec = 0x0303 if self.tls else 0x0300
        # RSA key exchange only (no groups needed); both servers have them on at both versions.
        # 0x00ff: the renegotiation SCSV, as real clients send it.
        self.suites = [0x009c, 0x002f, 0x0035, 0x000a, 0x00ff] if self.tls else \
            [0x002f, 0x0035, 0x000a, 0x00ff]
        self.accept = "ServerHello %04x " % self.cv  # prefix of an accepted answer

    def base_exts(self):
        """The extensions every TLS hello of these shapes starts with (a real client's minimum):
        signature_algorithms with rsa_pkcs1_sha256/sha384/sha1. SSL 3.0 hellos carry none."""
        if not self.tls:
            return b""
        algs = u16(0x0401) + u16(0x0501) + u16(0x0201)
        return ext(13, u16(len(algs)) + algs)

    def hello(self, extra_exts=b"", cv=None, no_block=False):
        exts = None if (no_block or (not self.tls and not extra_exts)) else \
            self.base_exts() + extra_exts
        return hs_msg(HS_CLIENT_HELLO, hello_body(self.cv if cv is None else cv, self.suites, exts))


def unknown_type(rng, used):
    while True:
        t = rng.randrange(0x1000, 0xfe00)
        if t not in KNOWN_EXT and t not in used:
            used.add(t)
            return t


def shape_big_padding(p):
    """(1) a ClientHello over 16 KiB: a 16 KiB padding extension (RFC 7685, type 21) makes the
    message 16.5 KiB, so the record layer carries it in two records (2^14 + the rest). Accepted by
    NSS; RFC 5246 §6.2.1 lets a handshake message span records."""
    msg = p.hello(ext(21, bytes(16384)))
    assert len(msg) > 16384
    cases = [Case("1-padding-16k-2rec", records(CT_HANDSHAKE, p.rec, msg), p.accept)]
    # and one more: the same hello in 4 KiB records (5 records)
    cases.append(Case("1-padding-16k-4k-recs", records(CT_HANDSHAKE, p.rec, msg, 4096), p.accept))
    if p.tls:  # real clients' records carry 0x0301 until the ServerHello (RFC 5246 Appendix E.1)
        cases.append(Case("1-padding-16k-rec0301", records(CT_HANDSHAKE, 0x0301, msg), p.accept))
    return cases


def shape_many_exts(p):
    """(2) 300 distinct unknown extensions (types from unassigned space, 0-4 bytes of data each):
    unknown extensions are ignored (RFC 5246 §7.4.1.4), however many. Accepted by NSS."""
    rng = random.Random(1302)
    used = set()
    block = b"".join(ext(unknown_type(rng, used), bytes(rng.randrange(0, 5))) for _ in range(300))
    msg = p.hello(block)
    return [Case("2-300-unknown-exts", records(CT_HANDSHAKE, p.rec, msg), p.accept)]


def walk_model(block, base=(13,)):
    """The reference reading of an extension block (RFC 5246 §7.4.1.4): 'ok' when every extension
    is framed inside the block and no type repeats, 'framing' when a length runs past the block or
    bytes are left over, 'dup' for a repeated type, 'known' when the walk meets a type a server
    interprets (such variants are drawn again: their answer depends on the server's parser)."""
    i, seen = 0, set()
    while i < len(block):
        if len(block) - i < 4:
            return "framing"
        t, n = struct.unpack("!HH", block[i:i + 4])
        if i + 4 + n > len(block):
            return "framing"
        if t in KNOWN_EXT and not (t in base and i == 0):
            return "known"
        if t in seen:
            return "dup"
        seen.add(t)
        i += 4 + n
    return "ok"


def shape_fuzz(p, want_framing, want_dup):
    """(3) unknown extensions whose length fields are fuzzed, fixed seed, 50 variants. The outer
    extension length (of one unknown extension) is made longer than its data, shorter, zero, or
    0xffff, while the block length stays the true one; or the length stays right and fake inner
    length fields inside the (opaque) unknown body are made wrong. Each variant is classified by
    walk_model: framed right and no repeat -> accepted (an unknown body is never parsed); a length
    past the block or bytes left over -> @want_framing; a repeated type -> @want_dup."""
    rng = random.Random(1311)
    cases = []
    kinds = ["longer", "shorter", "zero", "ffff", "inner"]
    while len(cases) < 50:
        k = kinds[len(cases) % len(kinds)]
        used = set()
        parts = []
        for _ in range(rng.randrange(1, 5)):
            t = unknown_type(rng, used)
            # body: a fake vector with its own length prefix, then filler bytes
            inner = bytes(rng.randrange(0x80, 0x100) for _ in range(rng.randrange(0, 24)))
            parts.append([t, u16(len(inner)) + inner])
        victim = rng.randrange(len(parts))
        t, data = parts[victim]
        declared = len(data)
        if k == "longer":
            declared = len(data) + rng.randrange(1, 40)
        elif k == "shorter":
            declared = rng.randrange(0, len(data)) if len(data) else 0
            if len(data) == 0:
                continue
        elif k == "zero":
            if len(data) == 0:
                continue
            declared = 0
        elif k == "ffff":
            declared = 0xffff
        else:  # inner: the outer length is right, the fake inner length is wrong
            wrong = rng.choice([0, 1, len(data) + 7, 0xffff, rng.randrange(0, 0x10000)])
            data = u16(wrong) + data[2:]
        block = b"".join(ext(pt, data, declared) if i == victim else ext(pt, pd)
                         for i, (pt, pd) in enumerate(parts))
        full = p.base_exts() + block
        m = walk_model(full)
        if m == "known":
            continue
        want = {"ok": p.accept, "framing": want_framing, "dup": want_dup}[m]
        nss_want = NSS_FRAMING if m == "framing" else None
        # the hello body keeps its true extension-block length (hello_body counts the bytes)
        msg = hs_msg(HS_CLIENT_HELLO, hello_body(p.cv, p.suites, full))
        cases.append(Case("3-fuzz-%02d-%s-%s" % (len(cases), k, m),
                          records(CT_HANDSHAKE, p.rec, msg), want, nss_want=nss_want))
    return cases


def shape_small_records(p):
    """(4) the ClientHello split into 1-byte records and into 5-byte records (RFC 5246 §6.2.1: a
    handshake message may be fragmented at any byte); plus the 16 KiB hello in 1000-byte records.
    Accepted by NSS."""
    msg = p.hello(ext(0x1a2b, b"sslref"))
    big = p.hello(ext(21, bytes(16384)))
    return [
        Case("4-1-byte-records", records(CT_HANDSHAKE, p.rec, msg, 1), p.accept),
        Case("4-5-byte-records", records(CT_HANDSHAKE, p.rec, msg, 5), p.accept),
        Case("4-16k-in-1000-byte-records", records(CT_HANDSHAKE, p.rec, big, 1000), p.accept),
    ]


def shape_dup_ext(p, want_dup):
    """(5) one extension twice: RFC 5246 §7.4.1.4 "There MUST NOT be more than one extension of
    the same type": refused. Three variants: an unknown type twice, padding twice, and (TLS) the
    known signature_algorithms twice."""
    e = ext(0x1a2b, b"x")
    cases = [Case("5-dup-unknown-ext", records(CT_HANDSHAKE, p.rec, p.hello(e + e)), want_dup),
             Case("5-dup-padding-ext", records(CT_HANDSHAKE, p.rec,
                                               p.hello(ext(21, bytes(8)) + ext(21, bytes(3)))), want_dup)]
    if p.tls:
        cases.append(Case("5-dup-sigalgs-ext", records(CT_HANDSHAKE, p.rec,
                                                       p.hello(p.base_exts())), want_dup))
    return cases


def shape_dup_hello(p):
    """(6) the ClientHello sent twice before any answer: the server answers the first one with its
    flight and then meets a ClientHello where it waits for the client's key exchange (or
    Certificate): unexpected_message (RFC 5246 §7.4: messages MUST come in the order given; an
    unexpected message is unexpected_message, RFC 5246 §7.2.2). Variants: both hellos in one
    record, in two records, and (TLS) both records with version 0x0301, as a real client's records
    have until it has read the ServerHello (RFC 5246 Appendix E.1).
    In the last variant the second record's version (0x0301) is not the one just chosen (0x0303):
    sslref-server checks the record version first (rec3_complete_len: once the version is chosen,
    every record must carry it) and answers protocol_version, as OpenSSL does; NSS 3.87 does not
    check the record version there and answers unexpected_message from its handshake layer (what
    the NSS line asserts)."""
    msg = p.hello()
    want = p.accept + "*, alert fatal unexpected_message"
    cases = [Case("6-dup-hello-one-record", records(CT_HANDSHAKE, p.rec, msg + msg), want, True),
             Case("6-dup-hello-two-records", records(CT_HANDSHAKE, p.rec, msg) * 2, want, True)]
    if p.tls:
        cases.append(Case("6-dup-hello-rec0301", records(CT_HANDSHAKE, 0x0301, msg) * 2,
                          p.accept + "*, alert fatal protocol_version", True, nss_want=want))
    return cases


def shape_rec_version(p):
    """(7) record-layer version 0x0301 with client_version 0x0303, as real clients send it (RFC 5246
    Appendix E.1: any {03,XX} is acceptable for the record carrying the ClientHello). At TLS 1.2 the
    server chooses 0x0303; an SSL 3.0-only server chooses 0x0300."""
    msg = p.hello(cv=0x0303)
    want = "ServerHello 0303 " if p.server_max == "tls1.2" else "ServerHello 0300 "
    return [Case("7-rec0301-cv0303", records(CT_HANDSHAKE, 0x0301, msg), want)]


def all_cases(p):
    cases = []
    cases += shape_big_padding(p)
    cases += shape_many_exts(p)
    cases += shape_fuzz(p, framing_alert(p), DUP_ALERT)
    cases += shape_small_records(p)
    cases += shape_dup_ext(p, DUP_ALERT)
    cases += shape_dup_hello(p)
    cases += shape_rec_version(p)
    return cases


def framing_alert(p):
    """A length that runs past its vector, or bytes left over, in a hello's extension block.
    TLS: decode_error, RFC 5246 §7.2.2 ("a message could not be decoded because some field was out
    of the specified range or the length of the message was incorrect"). NSS 3.87 answers
    illegal_parameter there, and that is arguably wrong: its ssl3_DecodeError sends decode_error
    only when ss->version > 3.0, and while it parses the ClientHello's extensions the version is
    not negotiated yet, so it falls back to the SSL 3.0 code. We assert the RFC answer for TLS (and
    the NSS line of this shape fails only if NSS stops answering illegal_parameter, see
    NSS_FRAMING). SSL 3.0 has no decode_error (RFC 6101 §5.4.2): illegal_parameter, NSS's answer."""
    return "alert fatal decode_error" if p.tls else "alert fatal illegal_parameter"


# NSS 3.87's answer to a framing error at TLS (see framing_alert): checked on the NSS line so the
# test notices if NSS changes.
NSS_FRAMING = "alert fatal illegal_parameter"

# A repeated extension type (RFC 5246 §7.4.1.4: "There MUST NOT be more than one extension of the
# same type"; the RFC names no alert): illegal_parameter, "a field in the handshake was out of range
# or inconsistent with other fields". NSS 3.87 (ssl3_ParseExtensions) and OpenSSL
# (tls_collect_extensions) both send it, at every version.
DUP_ALERT = "alert fatal illegal_parameter"


def matches(answer, want):
    """@want is an exact answer text, or a prefix ending in a space ("ServerHello 0303 "), or
    contains "*" (prefix * suffix)."""
    if "*" in want:
        pre, post = want.split("*", 1)
        return answer.startswith(pre) and answer.endswith(post)
    if want.endswith(" "):
        return answer.startswith(want)
    return answer == want


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--proto", choices=["ssl3", "tls1.2"], required=True)
    ap.add_argument("--server-max", choices=["ssl3", "tls1.2"],
                    help="the servers' highest version (default: --proto)")
    ap.add_argument("--nss", type=int, required=True)
    ap.add_argument("--sslref", type=int, required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--only", default="")
    ap.add_argument("--show", action="store_true", help="print every case's two answers")
    ap.add_argument("--jobs", type=int, default=8)
    a = ap.parse_args()
    p = Proto(a.proto, a.server_max or a.proto)
    cases = [c for c in all_cases(p) if c.name.startswith(a.only)]
    servers = [("nss", a.nss), ("sslref", a.sslref)]
    jobs = [(c, s) for c in cases for s in servers]
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as ex:
        futs = {(c.name, s[0]): ex.submit(exchange, a.host, s[1], c.data, c.past_hello)
                for c, s in jobs}
        results = {k: f.result().text() for k, f in futs.items()}
    # group: the fuzz variants make one line per server; every other case its own
    groups = {}
    for c in cases:
        g = "3-fuzz" if c.name.startswith("3-fuzz") else c.name
        groups.setdefault(g, []).append(c)
    fails = 0
    for g, cs in groups.items():
        if a.show:
            for c in cs:
                print("  %s %s: want %r nss %r sslref %r" % (
                    p.label, c.name, c.want_text, results[(c.name, "nss")], results[(c.name, "sslref")]))
        for srv, _ in servers:
            if srv == "nss":
                bad = [c for c in cs if not matches(results[(c.name, "nss")], c.nss_want)]
            else:
                # the expectation, and where NSS is the reference, NSS's live answer (same class:
                # ServerHello and its version, or the same alert, or the same end)
                bad = [c for c in cs if not matches(results[(c.name, srv)], c.want_text) or
                       (c.nss_want == c.want_text and
                        cls(results[(c.name, srv)]) != cls(results[(c.name, "nss")]))]
            label = "%s %s %s" % (p.label, g, srv)
            if len(cs) > 1:
                label += " (%d variants)" % len(cs)
            if not bad:
                print("PASS: %s: %s" % (label, summary(cs, results, srv)))
            else:
                fails += 1
                print("FAIL: %s: %d of %d differ" % (label, len(bad), len(cs)))
                for c in bad[:12]:
                    want = c.nss_want if srv == "nss" else c.want_text
                    print("    %s: %s answered %r, want %r (nss answered %r)" % (
                        c.name, srv, results[(c.name, srv)], want, results[(c.name, "nss")]))
    return min(fails, 100)


def cls(answer):
    """The outcome class compared between the servers: ServerHello with its version (the suite
    is each server's preference), or the alert, or the end."""
    out = []
    for part in answer.split(", "):
        out.append(" ".join(part.split()[:2]) if part.startswith("ServerHello") else part)
    return ", ".join(out)


def summary(cs, results, srv):
    if len(cs) == 1:
        return results[(cs[0].name, srv)]
    counts = {}
    for c in cs:
        k = cls(results[(c.name, srv)])
        counts[k] = counts.get(k, 0) + 1
    return "; ".join("%d x %s" % (n, k) for k, n in sorted(counts.items()))


if __name__ == "__main__":
    sys.exit(main())
