#!/usr/bin/env python3
# gap_ssl3_transcript.py - an independent check of SSL 3.0 handshakes captured on the wire, written
# from RFC 6101 with Python's hashlib only (no sslref code): used by test_gap_wire_check.sh.
#   proxy PORTFILE TARGET_PORT OUTDIR : a loopback TCP proxy; connection n is saved as
#                                      OUTDIR/n.c2s and OUTDIR/n.s2c. Exits after 20 s idle.
#   mark SERVERKEY FILE.c2s           : an SSL 2.0 connection: decrypt the CLIENT-MASTER-KEY's
#                                      ENCRYPTED-KEY-DATA with the server's key (openssl pkeyutl,
#                                      no padding removed) and print whether the PKCS#1 padding ends
#                                      with the eight 0x03 bytes of RFC 6101 Appendix E.2.
#   check2 SERVERKEY C2S S2C [C2S S2C]: SSL 2.0 connections (the second one reusing the first's
#                                      session): master key from the CLIENT-MASTER-KEY (openssl),
#                                      KEY-MATERIAL-i = MD5(MASTER-KEY, "i", CHALLENGE,
#                                      CONNECTION-ID) as Netscape's (NSS) and SSLeay's SSL 2.0 did,
#                                      every encrypted record decrypted (openssl) and its MAC
#                                      (MD5 over write key, data, padding, 32-bit sequence number,
#                                      counting the clear records) checked, CLIENT-FINISHED =
#                                      CONNECTION-ID, SERVER-VERIFY = CHALLENGE, SERVER-FINISHED =
#                                      the session ID; prints the client's application data.
#   check KEYLOG C2S S2C [EXPORTKEY [SERVERKEY]]: (with SERVERKEY, an RSA key exchange's
#                                      pre-master is decrypted and the master secret derived) for an SSL 3.0 connection without client authentication,
#                                      full or resumed, whose ClientHello may be in SSL 2.0 format
#                                      (RFC 6101 Appendix E): client_random from the hello (the
#                                      SSL 2.0 challenge right-aligned in 32 bytes), the key log's
#                                      line for it, the key block and, for export suites, the final
#                                      keys and IVs (RFC 6101 §6.2.2), every record after
#                                      ChangeCipherSpec decrypted (by the openssl CLI) and its MAC
#                                      checked, and both Finished messages recomputed over the
#                                      handshake transcript (the SSL 2.0 hello counted without its
#                                      record header); a ServerKeyExchange's signature is checked
#                                      with the certificate's key and, for RSA export, its key
#                                      must be EXPORTKEY's. Prints one line per fact, exits 1 on a
#                                      mismatch. GAP_CONTROL_NO_EXPORT=1 skips the export step
#                                      (a control that must then fail).
import hashlib
import os
import select
import socket
import subprocess
import sys

PAD1, PAD2 = b"\x36", b"\x5c"

# id: (openssl cipher or None, key material, expanded key, IV, MAC, export) - RFC 6101 Appendix A.6
SUITES = {
    0x0001: (None, 0, 0, 0, "md5", False),
    0x0002: (None, 0, 0, 0, "sha1", False),
    0x0003: ("rc4", 5, 16, 0, "md5", True),
    0x0004: ("rc4", 16, 16, 0, "md5", False),
    0x0005: ("rc4", 16, 16, 0, "sha1", False),
    0x0006: ("rc2-cbc", 5, 16, 8, "md5", True),
    0x0008: ("des-cbc", 5, 8, 8, "sha1", True),
    0x0009: ("des-cbc", 8, 8, 8, "sha1", False),
    0x000A: ("des-ede3-cbc", 24, 24, 8, "sha1", False),
    0x0014: ("des-cbc", 5, 8, 8, "sha1", True),
    0x0016: ("des-ede3-cbc", 24, 24, 8, "sha1", False),
    0x0017: ("rc4", 5, 16, 0, "md5", True),
    0x0018: ("rc4", 16, 16, 0, "md5", False),
    0x0019: ("des-cbc", 5, 8, 8, "sha1", True),
    0x001A: ("des-cbc", 8, 8, 8, "sha1", False),
    0x001B: ("des-ede3-cbc", 24, 24, 8, "sha1", False),
    0x002F: ("aes-128-cbc", 16, 16, 16, "sha1", False),
    0x0033: ("aes-128-cbc", 16, 16, 16, "sha1", False),
    0x0035: ("aes-256-cbc", 32, 32, 16, "sha1", False),
}


def decrypt(cipher, key, iv, data):
    """The openssl CLI's decryption of a whole direction (the cipher state runs across records)."""
    if cipher is None or not data:
        return data
    cmd = ["openssl", "enc", "-d", "-" + cipher, "-K", key.hex(), "-nopad", "-provider", "legacy",
           "-provider", "default"]
    if iv:
        cmd += ["-iv", iv.hex()]
    r = subprocess.run(cmd, input=data, capture_output=True)
    if r.returncode != 0:
        raise Fail("openssl enc -%s: %s" % (cipher, r.stderr.decode(errors="replace").strip()))
    return r.stdout


def proxy(portfile, target, outdir):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(8)
    with open(portfile, "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    n = 0
    while True:
        r, _, _ = select.select([ls], [], [], 20)
        if not r:
            return
        c, _ = ls.accept()
        s = socket.create_connection(("127.0.0.1", target))
        data = {c: bytearray(), s: bytearray()}
        peer = {c: s, s: c}
        live = {c, s}
        while live:
            r, _, _ = select.select(list(live), [], [], 20)
            if not r:
                break
            for x in r:
                try:
                    b = x.recv(65536)
                except OSError:
                    b = b""
                if not b:
                    live.discard(x)
                    try:
                        peer[x].shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    continue
                data[x] += b
                try:
                    peer[x].sendall(b)
                except OSError:
                    pass
        n += 1
        with open("%s/%d.c2s" % (outdir, n), "wb") as f:
            f.write(data[c])
        with open("%s/%d.s2c" % (outdir, n), "wb") as f:
            f.write(data[s])
        c.close()
        s.close()


class Fail(Exception):
    pass


def records(stream, allow_v2_first):
    """[(type, body)] of a byte stream; type 'v2' for an SSL 2.0 first record."""
    out, i = [], 0
    if allow_v2_first and stream and stream[0] & 0x80:
        n = ((stream[0] & 0x7F) << 8) | stream[1]
        out.append(("v2", bytes(stream[2:2 + n])))
        i = 2 + n
    while i < len(stream):
        if i + 5 > len(stream):
            raise Fail("truncated record header")
        t, ver, n = stream[i], stream[i + 1:i + 3], int.from_bytes(stream[i + 3:i + 5], "big")
        if ver != b"\x03\x00":
            raise Fail("record version %s" % ver.hex())
        out.append((t, bytes(stream[i + 5:i + 5 + n])))
        i += 5 + n
    return out


def mac3(alg, secret, seq, ctype, data):
    npad = 48 if alg == "md5" else 40
    inner = hashlib.new(alg, secret + PAD1 * npad + seq.to_bytes(8, "big") + bytes([ctype])
                        + len(data).to_bytes(2, "big") + data).digest()
    return hashlib.new(alg, secret + PAD2 * npad + inner).digest()


def finished(transcript, sender, ms):
    md5 = hashlib.md5(ms + PAD2 * 48 + hashlib.md5(transcript + sender + ms + PAD1 * 48).digest())
    sha = hashlib.sha1(ms + PAD2 * 40 + hashlib.sha1(transcript + sender + ms + PAD1 * 40).digest())
    return md5.digest() + sha.digest()


def key_block(ms, sr, cr, n):
    out, i = b"", 0
    while len(out) < n:
        salt = bytes([ord("A") + i]) * (i + 1)
        out += hashlib.md5(ms + hashlib.sha1(salt + ms + sr + cr).digest()).digest()
        i += 1
    return out[:n]


def hs_messages(body):
    msgs, i = [], 0
    while i < len(body):
        n = int.from_bytes(body[i + 1:i + 4], "big")
        msgs.append(body[i:i + 4 + n])
        i += 4 + n
    return msgs


def vec16(b, i):
    n = int.from_bytes(b[i:i + 2], "big")
    return b[i + 2:i + 2 + n], i + 2 + n


def check_server_key_exchange(s_hs, cr, sr, suite, export_key, facts):
    """RFC 6101 §5.6.3: the ServerKeyExchange signature (RSA over MD5(cr+sr+params) ||
    SHA-1(cr+sr+params)) verified with the certificate's key by the openssl CLI; for RSA export the
    temporary modulus must be the one of @export_key."""
    ske = [m for m in s_hs if m[0] == 12]
    cert = [m for m in s_hs if m[0] == 11]
    if not ske or not cert:
        return
    body = ske[0][4:]
    i, fields = 0, []
    for _ in range(2 if suite in (0x0003, 0x0006, 0x0008) else 3):
        f, i = vec16(body, i)
        fields.append(f)
    params, sig = body[:i], vec16(body, i)[0]
    digest = hashlib.md5(cr + sr + params).digest() + hashlib.sha1(cr + sr + params).digest()
    leaf_len = int.from_bytes(cert[0][7:10], "big")
    leaf = cert[0][10:10 + leaf_len]
    tmp = os.environ.get("TMPDIR", "/tmp")
    der, sigf = "%s/gap-leaf-%d.der" % (tmp, os.getpid()), "%s/gap-sig-%d.bin" % (tmp, os.getpid())
    open(der, "wb").write(leaf)
    open(sigf, "wb").write(sig)
    try:
        pub = subprocess.run(["openssl", "x509", "-inform", "DER", "-in", der, "-pubkey", "-noout"],
                             capture_output=True, check=True).stdout
        pubf = der + ".pub"
        open(pubf, "wb").write(pub)
        r = subprocess.run(["openssl", "pkeyutl", "-verifyrecover", "-pubin", "-inkey", pubf,
                            "-in", sigf, "-pkeyopt", "rsa_padding_mode:pkcs1"], capture_output=True)
        os.unlink(pubf)
    finally:
        os.unlink(der)
        os.unlink(sigf)
    if r.returncode != 0 or r.stdout != digest:
        raise Fail("ServerKeyExchange signature does not verify with the certificate's key")
    facts.append("ServerKeyExchange signature (MD5+SHA-1) verified by openssl with the certificate key")
    if suite in (0x0003, 0x0006, 0x0008) and export_key:
        m = subprocess.run(["openssl", "rsa", "-in", export_key, "-noout", "-modulus"],
                           capture_output=True, check=True).stdout.decode().strip().split("=")[1]
        if fields[0].lstrip(b"\0").hex().upper() != m.lstrip("0"):
            raise Fail("the temporary RSA key in ServerKeyExchange is not %s" % export_key)
        facts.append("the temporary RSA key in ServerKeyExchange is the export key (%d bits)" %
                     (len(fields[0].lstrip(b"\0")) * 8))


def check_premaster(c_hs, s_hs, cr, sr, ms, suite, server_key, export_key, facts):
    """RSA key exchange (RFC 6101 §5.6.7.1, §6.1): decrypt ClientKeyExchange with the key the
    server announced (the ServerKeyExchange's temporary key if there is one, else the
    certificate's), check the client_version bytes, and derive the master secret with hashlib."""
    cke = [m for m in c_hs if m[0] == 16]
    if not cke or suite in (0x0014, 0x0016, 0x0017, 0x0018, 0x0019, 0x001A, 0x001B, 0x0033):
        return
    key = export_key if [m for m in s_hs if m[0] == 12] else server_key
    r = subprocess.run(["openssl", "pkeyutl", "-decrypt", "-inkey", key, "-pkeyopt",
                        "rsa_padding_mode:pkcs1"], input=cke[0][4:], capture_output=True)
    if r.returncode != 0 or len(r.stdout) != 48:
        raise Fail("ClientKeyExchange does not decrypt with %s" % key)
    pre = r.stdout
    if pre[:2] != b"\x03\x00":
        raise Fail("pre-master client_version %s" % pre[:2].hex())
    master = b"".join(hashlib.md5(pre + hashlib.sha1(bytes([0x41 + i]) * (i + 1) + pre + cr + sr)
                                  .digest()).digest() for i in range(3))
    if master != ms:
        raise Fail("master secret from the decrypted pre-master differs from the key log")
    facts.append("pre-master decrypted by openssl with the %s key; master secret derived from it "
                 "equals the key log's" % ("temporary export" if key == export_key else "server"))


def check(keylog, c2s_file, s2c_file, export_key=None, server_key=None):
    c2s = records(open(c2s_file, "rb").read(), True)
    s2c = records(open(s2c_file, "rb").read(), False)
    facts = []
    # the client's hello
    t0, b0 = c2s[0]
    if t0 == "v2":
        if b0[0] != 1 or b0[1:3] != b"\x03\x00":
            raise Fail("SSL 2.0 hello: type %d version %s" % (b0[0], b0[1:3].hex()))
        ns, nsid, nch = (int.from_bytes(b0[k:k + 2], "big") for k in (3, 5, 7))
        challenge = b0[9 + ns + nsid:9 + ns + nsid + nch]
        cr = b"\x00" * (32 - len(challenge)) + challenge
        hello = b0  # Appendix E: the message, without the SSL 2.0 record header
        facts.append("hello: SSL 2.0 format offering 3.0, %d-byte challenge" % nch)
        c2s = c2s[1:]
    else:
        hello = hs_messages(b0)[0]
        cr = hello[6:38]
        facts.append("hello: SSL 3.0 format")
        c2s[0] = (22, b0[len(hello):])  # anything after ClientHello in that record
    # split both directions at ChangeCipherSpec
    def split(recs):
        plain, after, seen = [], [], False
        for t, b in recs:
            if t == 20:
                seen = True
                continue
            (after if seen else plain).append((t, b))
        return plain, after
    c_plain, c_enc = split(c2s)
    s_plain, s_enc = split(s2c)
    c_hs = [m for t, b in c_plain if t == 22 for m in hs_messages(b)]
    s_hs = [m for t, b in s_plain if t == 22 for m in hs_messages(b)]
    if not s_hs or s_hs[0][0] != 2:
        raise Fail("no ServerHello")
    sh = s_hs[0]
    sr = sh[6:38]
    sid_len = sh[38]
    suite = int.from_bytes(sh[39 + sid_len:41 + sid_len], "big")
    if suite not in SUITES:
        raise Fail("suite %04x is not in the checker's table" % suite)
    cipher, km, exp, ivlen, alg, export = SUITES[suite]
    maclen = 16 if alg == "md5" else 20
    resumed = len(s_hs) == 1
    facts.append("suite %04x, %s handshake" % (suite, "resumed" if resumed else "full"))
    ms = None
    for line in open(keylog):
        f = line.split()
        if len(f) == 3 and f[0] == "CLIENT_RANDOM" and f[1] == cr.hex():
            ms = bytes.fromhex(f[2])
    if ms is None:
        raise Fail("no key-log line for client_random %s (the random taken from the hello)" % cr.hex())
    facts.append("key log has the client_random taken from the hello")
    kb = key_block(ms, sr, cr, 2 * maclen + 2 * km + (0 if export else 2 * ivlen))
    cmac, smac = kb[:maclen], kb[maclen:2 * maclen]
    ckey, skey = kb[2 * maclen:2 * maclen + km], kb[2 * maclen + km:2 * maclen + 2 * km]
    if export and os.environ.get("GAP_CONTROL_NO_EXPORT"):  # control: the raw key material
        ckey, skey = (ckey * 4)[:exp], (skey * 4)[:exp]
        civ, siv = b"\0" * ivlen, b"\0" * ivlen
    elif export:  # RFC 6101 §6.2.2.1: final keys and IVs from MD5 over the randoms
        ckey = hashlib.md5(ckey + cr + sr).digest()[:exp]
        skey = hashlib.md5(skey + sr + cr).digest()[:exp]
        civ = hashlib.md5(cr + sr).digest()[:ivlen]
        siv = hashlib.md5(sr + cr).digest()[:ivlen]
        facts.append("export keys: final write keys %s / %s" % (ckey.hex(), skey.hex()))
    else:
        ivs = kb[2 * maclen + 2 * km:]
        civ, siv = ivs[:ivlen], ivs[ivlen:2 * ivlen]

    def open_records(recs, key, iv, secret, who):
        plain = decrypt(cipher, key, iv, b"".join(b for _, b in recs))
        out, seq, i = [], 0, 0
        for t, b in recs:
            rec = plain[i:i + len(b)]
            i += len(b)
            if ivlen:  # block cipher: padding length in the last byte (content arbitrary)
                if rec[-1] + 1 > len(rec) - maclen or rec[-1] >= ivlen:
                    raise Fail("%s record %d: padding length %d" % (who, seq, rec[-1]))
                rec = rec[:-(rec[-1] + 1)]
            data, mac = rec[:-maclen], rec[-maclen:]
            if mac3(alg, secret, seq, t, data) != mac:
                raise Fail("%s record %d (type %d): MAC differs" % (who, seq, t))
            out.append((t, data))
            seq += 1
        return out
    c_open = open_records(c_enc, ckey, civ, cmac, "client")
    s_open = open_records(s_enc, skey, siv, smac, "server")
    facts.append("%d client and %d server records after ChangeCipherSpec decrypted, MACs agree" %
                 (len(c_open), len(s_open)))
    check_server_key_exchange(s_hs, cr, sr, suite, export_key, facts)
    if server_key and not resumed:
        check_premaster(c_hs, s_hs, cr, sr, ms, suite, server_key, export_key, facts)
    c_fin = c_open[0][1]
    s_fin = s_open[0][1]
    if c_open[0][0] != 22 or c_fin[0] != 20 or s_open[0][0] != 22 or s_fin[0] != 20:
        raise Fail("the first encrypted record is not Finished")
    if resumed:  # ClientHello, ServerHello, server Finished, client Finished
        t = hello + sh
        want_s = finished(t, b"SRVR", ms)
        want_c = finished(t + s_fin, b"CLNT", ms)
    else:  # ClientHello, server flight, client flight, client Finished, server Finished
        t = hello + b"".join(s_hs) + b"".join(c_hs)
        want_c = finished(t, b"CLNT", ms)
        want_s = finished(t + c_fin, b"SRVR", ms)
    if c_fin[4:] != want_c:
        raise Fail("client Finished differs from RFC 6101 over the transcript")
    if s_fin[4:] != want_s:
        raise Fail("server Finished differs from RFC 6101 over the transcript")
    facts.append("both Finished messages equal RFC 6101's hashes over the transcript")
    app = b"".join(d for t, d in c_open[1:] if t == 23)
    facts.append("client application data: %r" % app[:40])
    for f in facts:
        print("  " + f)


def mark(server_key, c2s_file):
    raw = open(c2s_file, "rb").read()
    i, msgs = 0, []
    while i < len(raw) and len(msgs) < 2:  # CLIENT-HELLO, CLIENT-MASTER-KEY (clear, 2-byte headers)
        if not raw[i] & 0x80:
            raise Fail("record %d is not an SSL 2.0 record with a 2-byte header" % len(msgs))
        n = ((raw[i] & 0x7F) << 8) | raw[i + 1]
        msgs.append(raw[i + 2:i + 2 + n])
        i += 2 + n
    cmk = msgs[1]
    if cmk[0] != 2:
        raise Fail("second message is type %d, not CLIENT-MASTER-KEY" % cmk[0])
    clear, enc = int.from_bytes(cmk[4:6], "big"), int.from_bytes(cmk[6:8], "big")
    blob = cmk[10 + clear:10 + clear + enc]
    r = subprocess.run(["openssl", "pkeyutl", "-decrypt", "-inkey", server_key, "-pkeyopt",
                        "rsa_padding_mode:none"], input=blob, capture_output=True)
    if r.returncode != 0 or len(r.stdout) != enc or r.stdout[:2] != b"\x00\x02":
        raise Fail("ENCRYPTED-KEY-DATA does not decrypt to a PKCS#1 type 2 block")
    block = r.stdout
    sep = block.index(b"\x00", 2)
    pad = block[2:sep]
    marked = len(pad) >= 8 and pad[-8:] == b"\x03" * 8
    print("  cipher kind %s, %d-byte secret key, padding %d bytes, rollback mark: %s" %
          (cmk[1:4].hex(), len(block) - sep - 1, len(pad), "yes" if marked else "no"))


# SSL 2.0 kinds: code -> (openssl cipher, key bytes, IV bytes)
KINDS2 = {
    0x010080: ("rc4", 16, 0), 0x020080: ("rc4", 16, 0), 0x030080: ("rc2-cbc", 16, 8),
    0x040080: ("rc2-cbc", 16, 8), 0x060040: ("des-cbc", 8, 8), 0x0700C0: ("des-ede3-cbc", 24, 8),
}


def records2(raw):
    """[(header length, padding, body)] of an SSL 2.0 byte stream."""
    out, i = [], 0
    while i < len(raw):
        if raw[i] & 0x80:
            n, pad, h = ((raw[i] & 0x7F) << 8) | raw[i + 1], 0, 2
        else:
            n, pad, h = ((raw[i] & 0x3F) << 8) | raw[i + 1], raw[i + 2], 3
        out.append((h, pad, raw[i + h:i + h + n]))
        i += h + n
    return out


def rsa_secret(server_key, blob):
    r = subprocess.run(["openssl", "pkeyutl", "-decrypt", "-inkey", server_key, "-pkeyopt",
                        "rsa_padding_mode:none"], input=blob, capture_output=True)
    if r.returncode != 0 or r.stdout[:2] != b"\x00\x02":
        raise Fail("ENCRYPTED-KEY-DATA does not decrypt to a PKCS#1 type 2 block")
    return r.stdout[r.stdout.index(b"\x00", 2) + 1:]


def check2_conn(server_key, c2s_file, s2c_file, session, facts, n):
    c2s = records2(open(c2s_file, "rb").read())
    s2c = records2(open(s2c_file, "rb").read())
    ch, sh = c2s[0][2], s2c[0][2]
    if ch[0] != 1 or sh[0] != 4:
        raise Fail("conn %d: no CLIENT-HELLO / SERVER-HELLO in the clear" % n)
    ns, nsid, nch = (int.from_bytes(ch[k:k + 2], "big") for k in (3, 5, 7))
    challenge = ch[9 + ns + nsid:9 + ns + nsid + nch]
    hit = sh[1]
    ncert, nspecs, ncid = (int.from_bytes(sh[k:k + 2], "big") for k in (5, 7, 9))
    conn_id = sh[11 + ncert + nspecs:11 + ncert + nspecs + ncid]
    if hit:
        if not session:
            raise Fail("conn %d: session-id hit without an earlier session" % n)
        kind, master, key_arg, sid = session
        c_first, s_first = 1, 1
    else:
        cmk = c2s[1][2]
        if cmk[0] != 2:
            raise Fail("conn %d: no CLIENT-MASTER-KEY" % n)
        kind = int.from_bytes(cmk[1:4], "big")
        clear, enc, arg = (int.from_bytes(cmk[k:k + 2], "big") for k in (4, 6, 8))
        master = cmk[10:10 + clear] + rsa_secret(server_key, cmk[10 + clear:10 + clear + enc])
        key_arg = cmk[10 + clear + enc:10 + clear + enc + arg]
        sid = None
        c_first, s_first = 2, 1
    if kind not in KINDS2:
        raise Fail("conn %d: cipher kind %06x not in the checker's table" % (n, kind))
    cipher, nkd, ivlen = KINDS2[kind]
    km = b""
    for i in range((2 * nkd + 15) // 16):
        km += hashlib.md5(master + bytes([0x30 + i]) + challenge + conn_id).digest()
    client_read, client_write = km[:nkd], km[nkd:2 * nkd]

    def open_dir(recs, key, first_seq, who):
        plain = decrypt(cipher, key, key_arg if ivlen else b"", b"".join(b for _, _, b in recs))
        out, i = [], 0
        for k, (_, pad, b) in enumerate(recs):
            rec = plain[i:i + len(b)]
            i += len(b)
            mac, data = rec[:16], rec[16:]
            seq = (first_seq + k).to_bytes(4, "big")
            if hashlib.md5(key + data + seq).digest() != mac:
                raise Fail("conn %d: %s record %d: MAC differs" % (n, who, first_seq + k))
            out.append(data[:len(data) - pad])
        return out
    c_msgs = open_dir(c2s[c_first:], client_write, c_first, "client")
    s_msgs = open_dir(s2c[s_first:], client_read, s_first, "server")
    if c_msgs[0] != b"\x03" + conn_id:
        raise Fail("conn %d: CLIENT-FINISHED is not the CONNECTION-ID" % n)
    if b"\x05" + challenge not in s_msgs[:2]:
        raise Fail("conn %d: no SERVER-VERIFY carrying the CHALLENGE" % n)
    sf = [m for m in s_msgs[:3] if m[:1] == b"\x06"]
    if not sf or (sid is not None and sf[0][1:] != sid) or (sid is None and hit):
        raise Fail("conn %d: SERVER-FINISHED" % n)
    sid = sf[0][1:]
    app = b"".join(m for m in c_msgs[1:])
    facts.append("conn %d: kind %06x, %s, MACs of %d client and %d server records agree, "
                 "finished/verify messages right; client sent %r" %
                 (n, kind, "session reused" if hit else "full", len(c_msgs), len(s_msgs), app[:30]))
    return (kind, master, key_arg, sid)


def check2(server_key, files):
    facts, session = [], None
    for n in range(len(files) // 2):
        session = check2_conn(server_key, files[2 * n], files[2 * n + 1], session, facts, n + 1)
    for f in facts:
        print("  " + f)


def main():
    try:
        if sys.argv[1] == "proxy":
            proxy(sys.argv[2], int(sys.argv[3]), sys.argv[4])
        elif sys.argv[1] == "check2":
            check2(sys.argv[2], sys.argv[3:])
        elif sys.argv[1] == "mark":
            mark(sys.argv[2], sys.argv[3])
        elif sys.argv[1] == "check":
            check(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5] if len(sys.argv) > 5 else None,
                  sys.argv[6] if len(sys.argv) > 6 else None)
        else:
            raise SystemExit("usage: see the file's first lines")
    except Fail as e:
        print("  MISMATCH: %s" % e)
        sys.exit(1)


if __name__ == "__main__":
    main()
