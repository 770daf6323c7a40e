#!/usr/bin/env bash
# Captures SSL 3.0 sessions between NSS peers (selfserv <-> tstclnt/strsclnt) on loopback, lets
# tshark (Wireshark's own SSL 3.0 code) decrypt them with the test key in tests/data/nss-vectors/,
# and writes the known-answer files tests/data/vectors/ssl3_{kdf,records,finished}.txt.
# Documents how the committed vectors were made; NOT run by the tests. Needs root (dumpcap on lo),
# Debian packages tshark, libnss3-tools, openssl, python3. Usage: scripts/capture-vectors.sh [OUTDIR]
# (KEEP=1 keeps the captures and tshark logs in /tmp; PORT=, SUITES= override the defaults).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
KEYDIR=$ROOT/tests/data/nss-vectors
OUT=${1:-$ROOT/tests/data/vectors}
PORT=${PORT:-47431}
SUITES=${SUITES:-"0004 0005 000a 002f 0035 0009 0001 0002"}
WORK=$(mktemp -d /tmp/capture-vectors.XXXXXX)
PIDS=()

cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    if [ -n "${KEEP:-}" ]; then echo "work files kept in $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

stop_pid() { # stop one process we started, politely first
    local pid=$1 sig=$2
    kill "-$sig" "$pid" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.3; done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# NSS database holding the committed test key and certificate (nickname "server").
openssl pkcs12 -export -in "$KEYDIR/server-cert.pem" -inkey "$KEYDIR/server-key-pkcs8.pem" \
    -name server -passout pass: -out "$WORK/server.p12"
mkdir "$WORK/db"
certutil -N -d "sql:$WORK/db" --empty-password
pk12util -i "$WORK/server.p12" -d "sql:$WORK/db" -W '' >/dev/null
printf 'GET / HTTP/1.0\r\n\r\n' > "$WORK/request.txt"

capture_suite() { # $1 suite, $2 dir: one capture with 3 connections (tstclnt; strsclnt full + resumed)
    local S=$1 D=$2 DP SP rc1=0 rc2=0
    rm -rf "$D"; mkdir "$D"
    dumpcap -q -i lo -f "tcp port $PORT" -w "$D/cap.pcapng" > "$D/dumpcap.log" 2>&1 &
    DP=$!; PIDS+=("$DP")
    for _ in $(seq 50); do grep -q 'Capturing on' "$D/dumpcap.log" && break; sleep 0.2; done
    sleep 2
    selfserv -d "sql:$WORK/db" -n server -p "$PORT" -V ssl3:ssl3 -c ":$S" > "$D/selfserv.log" 2>&1 &
    SP=$!; PIDS+=("$SP")
    sleep 1
    # connection 1: tstclnt, full handshake, sends request.txt
    timeout 10 tstclnt -h 127.0.0.1 -p "$PORT" -d "sql:$WORK/db" -V ssl3:ssl3 -c ":$S" -o \
        -A "$WORK/request.txt" > "$D/tstclnt.out" 2> "$D/tstclnt.err" || rc1=$?
    # connections 2 and 3: strsclnt, one full handshake then one resumed from its session
    timeout 20 strsclnt -p "$PORT" -d "sql:$WORK/db" -V ssl3:ssl3 -C ":$S" -o -c 2 -t 1 -q \
        127.0.0.1 > "$D/strsclnt.out" 2>&1 || rc2=$?
    stop_pid "$SP" USR1
    sleep 2   # let dumpcap drain its capture buffer before it is stopped
    stop_pid "$DP" INT
    PIDS=()
    echo "suite $S: tstclnt rc=$rc1 strsclnt rc=$rc2; $(grep -h 'cache hits' "$D/selfserv.log" | tr -s ' ')" >> "$NOTES"
    grep -h -E 'SSL_ERROR|error|Error' "$D/tstclnt.err" "$D/strsclnt.out" | sed "s/^/suite $S: /" >> "$NOTES" || true
    tshark -r "$D/cap.pcapng" -d "tcp.port==$PORT,tls" \
        -o "uat:rsa_keys:\"$KEYDIR/server-key-pkcs8.pem\",\"\"" -o "tls.debug_file:$D/dbg.txt" -V \
        > "$D/dissect.txt" 2>/dev/null
    tshark -r "$D/cap.pcapng" -Y 'tcp.len > 0' -T fields -E separator=/t \
        -e frame.number -e tcp.stream -e tcp.srcport -e tcp.payload > "$D/segments.tsv" 2>/dev/null
    [ "$(cut -f2 "$D/segments.tsv" | sort -u | wc -l)" -eq 3 ]
}

NOTES=$WORK/notes.txt
: > "$NOTES"
for S in $SUITES; do
    for attempt in 1 2 3; do
        if capture_suite "$S" "$WORK/$S"; then break; fi
        echo "suite $S: attempt $attempt did not capture 3 connections" >> "$NOTES"
    done
done

NSSVER=$(dpkg-query -W -f '${Version}' libnss3-tools)
TSVER=$(tshark --version 2>/dev/null | head -1 | sed -e 's/^TShark (Wireshark) //' -e 's/\.$//')
SOURCE="NSS $NSSVER (Debian 12 libnss3-tools) selfserv <-> tstclnt/strsclnt, SSL 3.0 only, on loopback; decrypted by tshark $TSVER (Wireshark's SSL 3.0 code, tls.debug_file) with tests/data/nss-vectors/server-key-pkcs8.pem; captured $(date -u +%Y-%m-%d) by scripts/capture-vectors.sh"

mkdir -p "$OUT"
python3 - "$WORK" "$PORT" "$OUT" "$SOURCE" "$SUITES" "$KEYDIR/server-key-pkcs8.pem" <<'PYEOF'
# Extracts the vectors from tshark's debug file and the captured TCP payloads, and cross-checks
# them: randoms (wire vs tshark), Finished hashes (hashlib, RFC 6101 5.6.9) over the transcript
# assembled here, each encrypted record re-decrypted by the openssl CLI from the stated key, IV
# state or RC4 stream offset, the pre-master re-decrypted by openssl from the ClientKeyExchange,
# resumed sessions against their full handshake. Any mismatch aborts: nothing is written.
import hashlib, re, subprocess, sys

work, port, out, source, suites, keyfile = (sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4],
                                            sys.argv[5].split(), sys.argv[6])
MAC_LEN = {"0001": 16, "0002": 20, "0004": 16, "0005": 20, "000a": 20, "002f": 20, "0035": 20, "0009": 20}
CIPHER = {"0001": None, "0002": None, "0004": "rc4", "0005": "rc4", "000a": "des-ede3-cbc",
          "002f": "aes-128-cbc", "0035": "aes-256-cbc", "0009": "des-cbc"}
BLOCK = {"des-ede3-cbc": 8, "des-cbc": 8, "aes-128-cbc": 16, "aes-256-cbc": 16}
failures = []

def check(cond, what):
    if not cond:
        failures.append(what)

def parse_dbg(path):
    """Returns a list of events (frame, kind, data) in file order."""
    ev, frame, lines, i = [], None, open(path, encoding="latin-1").read().split("\n"), 0
    while i < len(lines):
        ln = lines[i]
        m = re.match(r"dissect_ssl enter frame #(\d+)", ln)
        if m:
            frame = int(m.group(1))
        m = re.match(r"^([A-Za-z(][A-Za-z ()\-]*)\[(\d+)\]:$", ln)
        if m:
            data, n = bytearray(), int(m.group(2))
            while i + 1 < len(lines) and lines[i + 1].startswith("| "):
                i += 1
                data += bytes.fromhex(lines[i][2:50])
            assert len(data) == n, (path, ln)
            ev.append((frame, m.group(1), bytes(data)))
        m = re.match(r"decrypt_ssl3_record: using (client|server) decoder", ln)
        if m:
            ev.append((frame, "dir", m.group(1)))
        m = re.match(r"ssl_decrypt_record found padding (\d+) final len (\d+)", ln)
        if m:
            ev.append((frame, "padding", int(m.group(1))))
        m = re.match(r"checking mac \(len (\d+), version (\w+), ct (\d+) seq (\d+)\)", ln)
        if m:
            ev.append((frame, "mac", (int(m.group(1)), int(m.group(3)), int(m.group(4)))))
        if "ssl_decrypt_record: mac ok" in ln:
            ev.append((frame, "macok", None))
        if "mac failed" in ln or "bad decrypted length" in ln:
            ev.append((frame, "macbad", ln))
        i += 1
    return ev

def wire_records(segments):
    """segments: list of (frame, bytes) of one direction -> list of records with end frame."""
    stream, owner = bytearray(), []
    for fr, b in segments:
        stream += b
        owner += [fr] * len(b)
    recs, off = [], 0
    while off + 5 <= len(stream):
        n = int.from_bytes(stream[off + 3:off + 5], "big")
        assert off + 5 + n <= len(stream), "truncated record"
        recs.append({"type": stream[off], "version": bytes(stream[off + 1:off + 3]),
                     "body": bytes(stream[off + 5:off + 5 + n]), "frame": owner[off + 5 + n - 1]})
        off += 5 + n
    assert off == len(stream), "trailing bytes"
    return recs

def openssl_dec(cipher, key, iv, data):
    args = ["openssl", "enc", "-d", "-" + cipher, "-nopad", "-K", key.hex(), "-provider", "legacy",
            "-provider", "default"]
    if iv:
        args += ["-iv", iv.hex()]
    return subprocess.run(args, input=data, capture_output=True, check=True).stdout

def ssl3_finished(master, msgs, sender):
    s = b"CLNT" if sender == "client" else b"SRVR"
    md5 = hashlib.md5(master + b"\x5c" * 48 + hashlib.md5(msgs + s + master + b"\x36" * 48).digest()).digest()
    sha = hashlib.sha1(master + b"\x5c" * 40 + hashlib.sha1(msgs + s + master + b"\x36" * 40).digest()).digest()
    return md5, sha

kdf_blocks, rec_blocks, fin_blocks = [], [], []
for suite in suites:
    d = f"{work}/{suite}"
    seg = {}  # stream -> {"client": [(frame, bytes)], "server": [...]}
    frame_stream = {}
    for ln in open(f"{d}/segments.tsv"):
        fr, st, sport, payload = ln.rstrip("\n").split("\t")
        fr, st = int(fr), int(st)
        frame_stream[fr] = st
        dr = "server" if int(sport) == port else "client"
        seg.setdefault(st, {"client": [], "server": []})[dr].append((fr, bytes.fromhex(payload)))
    events = parse_dbg(f"{d}/dbg.txt")
    labels = {0: f"{suite}-tstclnt", 1: f"{suite}-strsclnt-1", 2: f"{suite}-strsclnt-2"}
    check(sorted(seg) == [0, 1, 2], f"{suite}: expected 3 TCP connections in the capture, got {len(seg)}")
    for st in sorted(seg):
        conn = labels[st]
        ev = [e for e in events if e[0] is not None and frame_stream.get(e[0]) == st]
        keys = {}
        for _, kind, data in ev:
            if isinstance(data, bytes):
                keys.setdefault(kind, data)
        # decrypted records, in order
        recs, cur, pend_dir = [], None, None
        for _, kind, data in ev:
            if kind == "dir":
                pend_dir = data
            elif kind == "Ciphertext":
                cur = {"dir": pend_dir, "ct": data, "pad": None}
            elif kind == "Plaintext" and cur is not None:
                cur["pt"] = data
            elif kind == "padding" and cur is not None:
                cur["pad"] = data
            elif kind == "mac" and cur is not None:
                cur["fraglen"], cur["type"], cur["seq"] = data
            elif kind == "macok" and cur is not None:
                recs.append(cur)
                cur = None
            elif kind == "macbad":
                failures.append(f"{conn}: tshark: {data}")
        if not recs:
            failures.append(f"{conn}: nothing decrypted (suite refused?)")
            continue
        wire = {dr: wire_records(seg[st][dr]) for dr in ("client", "server")}
        ch = [r for r in wire["client"] if r["type"] == 22][0]["body"]
        sh = [r for r in wire["server"] if r["type"] == 22][0]["body"]
        check(ch[0] == 1 and sh[0] == 2, f"{conn}: first handshake messages")
        cr, sr = ch[6:38], sh[6:38]
        sid = sh[39:39 + sh[38]]
        resumed = "pre master secret" not in keys
        check(keys.get("client random", cr) == cr and keys.get("server random", sr) == sr, f"{conn}: randoms")
        master = keys["(pre-)master secret"] if resumed else keys["master secret"]
        check(resumed == (16 not in [r["body"][0] for r in wire["client"] if r["type"] == 22][:2]),
              f"{conn}: resumed per tshark vs ClientKeyExchange on the wire")
        mac_len = MAC_LEN[suite]
        kb = keys["key expansion"]
        cw_mac, sw_mac = keys["Client MAC key"], keys["Server MAC key"]
        cw_key, sw_key = keys.get("Client Write key", b""), keys.get("Server Write key", b"")
        cw_iv, sw_iv = keys.get("Client Write IV", b""), keys.get("Server Write IV", b"")
        check(kb.startswith(cw_mac + sw_mac + cw_key + sw_key + cw_iv + sw_iv), f"{conn}: key block split")
        check(len(cw_mac) == mac_len, f"{conn}: mac length")
        blk = [("conn", conn), ("suite", suite), ("resumed", "yes" if resumed else "no"),
               ("client_random", cr.hex()), ("server_random", sr.hex()), ("session_id", sid.hex())]
        if not resumed:
            cke = [r["body"] for r in wire["client"] if r["type"] == 22][1]
            check(cke[0] == 16 and int.from_bytes(cke[1:4], "big") == len(cke) - 4 == 256, f"{conn}: ClientKeyExchange")
            rsa = subprocess.run(["openssl", "pkeyutl", "-decrypt", "-inkey", keyfile, "-pkeyopt",
                                  "rsa_padding_mode:pkcs1"], input=cke[4:], capture_output=True, check=True)
            check(rsa.stdout == keys["pre master secret"], f"{conn}: openssl RSA check of the pre-master")
            blk.append(("encrypted_pre_master", cke[4:].hex()))
            blk.append(("pre_master", keys["pre master secret"].hex()))
        blk += [("master_secret", master.hex()), ("key_block", kb.hex()),
                ("client_write_mac", cw_mac.hex()), ("server_write_mac", sw_mac.hex()),
                ("client_write_key", cw_key.hex()), ("server_write_key", sw_key.hex()),
                ("client_iv", cw_iv.hex()), ("server_iv", sw_iv.hex())]
        if resumed:
            full = dict(kdf_blocks[-1])
            check(full["conn"] == labels[st - 1] and full["session_id"] == sid.hex()
                  and full["master_secret"] == master.hex(), f"{conn}: resumed session differs from {labels[st - 1]}")
        kdf_blocks.append(blk)
        # attach wire position to every decrypted record; IV state / RC4 offset per direction
        cipher = CIPHER[suite]
        sec = {"client": (cw_mac, cw_key, cw_iv), "server": (sw_mac, sw_key, sw_iv)}
        state = {"client": [cw_iv, 0], "server": [sw_iv, 0]}
        finished = {}
        for r in recs:
            dr = r["dir"]
            idx = [i for i, w in enumerate(wire[dr]) if w["body"] == r["ct"]]
            check(len(idx) == 1, f"{conn}: record not found on the wire")
            w = wire[dr][idx[0]]
            check(w["type"] == r["type"], f"{conn}: record type")
            pt, fl = r["pt"], r["fraglen"]
            frag, mac, padding = pt[:fl], pt[fl:fl + mac_len], pt[fl + mac_len:]
            if cipher and cipher in BLOCK:
                check(r["pad"] is not None and len(padding) == r["pad"] + 1 and padding[-1] == r["pad"],
                      f"{conn}: padding")
            else:
                check(len(padding) == 0, f"{conn}: stream padding")
            mac_secret, key, _ = sec[dr]
            b = [("conn", conn), ("suite", suite), ("direction", dr), ("index", str(idx[0])),
                 ("seq", str(r["seq"])), ("type", str(r["type"])), ("mac_secret", mac_secret.hex()),
                 ("key", key.hex())]
            if cipher in BLOCK:
                iv = state[dr][0]
                check(openssl_dec(cipher, key, iv, r["ct"]) == pt, f"{conn}: openssl CBC check")
                b.append(("iv", iv.hex()))
                state[dr][0] = r["ct"][-BLOCK[cipher]:]
            elif cipher == "rc4":
                off = state[dr][1]
                allct = b"".join(x["ct"] for x in recs if x["dir"] == dr)
                check(openssl_dec(cipher, key, None, allct)[off:off + len(pt)] == pt, f"{conn}: openssl RC4 check")
                b.append(("stream_offset", str(off)))
                state[dr][1] += len(r["ct"])
            else:
                check(r["ct"] == pt, f"{conn}: NULL cipher")
            b += [("ciphertext", r["ct"].hex()), ("plaintext", frag.hex()), ("mac", mac.hex())]
            if cipher in BLOCK:
                b.append(("padding", padding.hex()))
            rec_blocks.append(b)
            if r["type"] == 22:
                check(frag[:4] == b"\x14\x00\x00\x24" and len(frag) == 40, f"{conn}: Finished shape")
                finished[dr] = (w["frame"], frag)
        # transcript: plaintext handshake messages of both directions + decrypted Finished, by frame
        msgs = []
        for dr in ("client", "server"):
            hs, frames = b"", []
            for w in wire[dr]:
                if w["type"] == 20:
                    break
                if w["type"] == 22:
                    hs += w["body"]
                    frames += [w["frame"]] * len(w["body"])
            off = 0
            while off < len(hs):
                n = 4 + int.from_bytes(hs[off + 1:off + 4], "big")
                msgs.append((frames[off + n - 1], hs[off:off + n], dr))
                off += n
            if dr in finished:
                msgs.append((finished[dr][0], finished[dr][1], dr + "-finished"))
        msgs.sort(key=lambda m: m[0])
        check(set(finished) == {"client", "server"}, f"{conn}: both Finished decrypted")
        for sender in ("client", "server"):
            pos = [m[2] for m in msgs].index(sender + "-finished")
            before = b"".join(m[1] for m in msgs[:pos])
            body = finished[sender][1][4:]
            md5, sha = ssl3_finished(master, before, sender)
            check(md5 == body[:16] and sha == body[16:], f"{conn}: {sender} Finished hash")
            fin_blocks.append([("conn", conn), ("suite", suite), ("resumed", "yes" if resumed else "no"),
                               ("sender", sender), ("master_secret", master.hex()),
                               ("handshake_types", ",".join(str(m[1][0]) for m in msgs[:pos])),
                               ("handshake_messages", before.hex()), ("finished", finished[sender][1].hex()),
                               ("expected_md5", body[:16].hex()), ("expected_sha1", body[16:].hex())])

if failures:
    print("CHECKS FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
    sys.exit(1)

def write(name, what, blocks):
    with open(f"{out}/{name}", "w") as f:
        f.write(f"# {what}\n# source: {source}\n# format: tests/data/vectors/README.md\n")
        for b in blocks:
            f.write("\n" + "".join(f"{k} = {v}\n" for k, v in b))
    print(f"{name}: {len(blocks)} blocks")

write("ssl3_kdf.txt", "SSL 3.0 key derivation: pre-master -> master secret -> key block and its split", kdf_blocks)
write("ssl3_records.txt", "SSL 3.0 records: MAC and encryption of every encrypted record", rec_blocks)
write("ssl3_finished.txt", "SSL 3.0 Finished hashes over the handshake transcript", fin_blocks)
PYEOF
echo "--- NSS notes"
cat "$NOTES"
