/*
 * gen_seeds.c - seed recorder (not a test): runs real handshakes between two sslref contexts set up
 * exactly as the harnesses set up theirs (fuzz_common.c: same keys, seeds, clock, flags) and writes
 * what each side sent as a harness input for the other: OUT/server/ (client streams), OUT/client/
 * (server streams), OUT/session/ (the session blobs the caches were given).
 * OUT/suites.txt is the suite table they were recorded with (fz_suite_listing): the replay test
 * fails when the library's table differs, and scripts/regen-fuzz-seeds.sh records them again.
 * Usage: fuzz_gen_seeds OUTDIR   (scripts/regen-fuzz-seeds.sh writes tests/fuzz/seeds)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_common.h"

static const char *g_out;
static int g_sessions;

static void write_file(const char *sub, const char *name, const uint8_t *p, size_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", g_out, sub);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/%s/%s", g_out, sub, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n) {
        perror(path);
        exit(1);
    }
    fclose(f);
}

/* One connection between fresh contexts; returns 1 if both finished the handshake (*suite: the
 * suite the client negotiated). */
static int one_conn(unsigned sf, unsigned cf, unsigned rot, unsigned stls, unsigned ctls, int conn,
                    struct fz_cache *cache, struct fz_bytes *c2s, struct fz_bytes *s2c, uint16 *suite)
{
    struct fz_io sio = {c2s, c2s->len, s2c, 0, 0, 0}, cio = {s2c, s2c->len, c2s, 0, 0, 0};
    struct fz_rng srng = {fz_seed(SSL_ServerSide, conn)}, crng = {fz_seed(SSL_ClientSide, conn)};
    SSLContext *s = fz_new_context(SSL_ServerSide, sf, rot, stls, &sio, &srng, cache ? &cache[0] : NULL);
    SSLContext *c = fz_new_context(SSL_ClientSide, cf, rot, ctls, &cio, &crng, cache ? &cache[1] : NULL);
    if (!s || !c) {
        fprintf(stderr, "context setup failed\n");
        exit(1);
    }
    SSLErr es = SSLWouldBlockErr, ec = SSLWouldBlockErr;
    for (int i = 0; i < 1000 && (es == SSLWouldBlockErr || ec == SSLWouldBlockErr); i++) {
        if (ec == SSLWouldBlockErr)
            ec = SSLHandshake(c);
        if (es == SSLWouldBlockErr)
            es = SSLHandshake(s);
        if ((es != SSLNoErr && es != SSLWouldBlockErr) || (ec != SSLNoErr && ec != SSLWouldBlockErr))
            break;
    }
    int ok = es == SSLNoErr && ec == SSLNoErr;
    *suite = 0;
    SSLGetNegotiatedCipher(c, suite);
    if (ok) {
        char req[] = "GET / HTTP/1.0\r\n\r\n", resp[] = "HTTP/1.0 200 OK\r\n\r\nhello from the fuzz seed\n";
        uint32 n = (uint32)strlen(req);
        SSLWrite(req, &n, c);
        n = (uint32)strlen(resp);
        SSLWrite(resp, &n, s);
        uint8_t buf[256];
        n = sizeof buf;
        SSLRead(buf, &n, s);
        n = sizeof buf;
        SSLRead(buf, &n, c);
        SSLClose(c);
        SSLClose(s);
        n = sizeof buf;
        SSLRead(buf, &n, s);
        n = sizeof buf;
        SSLRead(buf, &n, c);
    } else {
        fprintf(stderr, "sf=%02x cf=%02x rot=%02x tls=%02x/%02x conn %d: server %s client %s\n", sf, cf, rot,
                stls, ctls, conn, SSLXErrorName(es), SSLXErrorName(ec));
    }
    fz_free_context(s);
    fz_free_context(c);
    return ok;
}

static void put_input(struct fz_bytes *x, unsigned flags, unsigned rot, unsigned tls, const struct fz_bytes *st,
                      int two)
{
    uint8_t h[3] = {(uint8_t)flags, (uint8_t)rot, (uint8_t)tls};
    fz_bytes_put(x, h, rot & FZ_ROT_TLS ? 3 : 2);
    if (two) {
        uint8_t l[2] = {(uint8_t)(st[0].len >> 8), (uint8_t)st[0].len};
        fz_bytes_put(x, l, 2);
    }
    for (int i = 0; i <= two; i++)
        fz_bytes_put(x, st[i].b, st[i].len);
}

/* Suites already recorded per TLS configuration (record_tls with dedupe): rotations that make the
 * server choose the same suite again give the same streams, so they are written once. */
struct seen {
    unsigned sf, cf, rot, stls, ctls;
    uint16 suite;
};
static struct seen g_seen[4096];
static size_t g_nseen;

static int seen_before(unsigned sf, unsigned cf, unsigned rot, unsigned stls, unsigned ctls, uint16 suite)
{
    rot &= (unsigned)~FZ_ROT_MASK;
    for (size_t i = 0; i < g_nseen; i++)
        if (g_seen[i].sf == sf && g_seen[i].cf == cf && g_seen[i].rot == rot && g_seen[i].stls == stls &&
            g_seen[i].ctls == ctls && g_seen[i].suite == suite)
            return 1;
    if (g_nseen < sizeof g_seen / sizeof g_seen[0])
        g_seen[g_nseen++] = (struct seen){sf, cf, rot, stls, ctls, suite};
    return 0;
}

/* Record one configuration: the server with flags @sf and TLS options @stls (with rot & FZ_ROT_TLS),
 * the client with @cf / @ctls; @all_modes: also the small-read and would-block variants alone;
 * @dedupe: skip a suite this configuration already recorded. */
static void record_tls(unsigned sf, unsigned cf, unsigned rot, unsigned stls, unsigned ctls, int all_modes,
                       int dedupe)
{
    int two = (sf & FZ_TWO_CONNS) != 0;
    struct fz_cache cache[2];
    struct fz_bytes blobs = {0};
    memset(cache, 0, sizeof cache);
    cache[0].record = cache[1].record = &blobs;
    struct fz_bytes c2s[2] = {{0}}, s2c[2] = {{0}};
    int ok = 1;
    uint16 suite = 0;
    for (int conn = 0; conn <= two && ok; conn++)
        ok = one_conn(sf, cf, rot, stls, ctls, conn, two ? cache : NULL, &c2s[conn], &s2c[conn], &suite);
    if (dedupe && seen_before(sf, cf, rot, stls, ctls, ok ? suite : 0xffff)) {
        for (int i = 0; i < 2; i++) {
            free(c2s[i].b);
            free(s2c[i].b);
            fz_cache_free(&cache[i]);
        }
        free(blobs.b);
        return;
    }
    char name[64];
    if (rot & FZ_ROT_TLS)
        snprintf(name, sizeof name, "tls-s%02x-c%02x-r%03u-t%02x%02x-%04x%s", sf, cf, rot, stls, ctls, suite,
                 ok ? "" : "-fail");
    else
        snprintf(name, sizeof name, "seed-s%02x-c%02x-r%03u%s", sf, cf, rot, ok ? "" : "-fail");
    struct fz_bytes in = {0};
    /* the same streams read in small pieces and with would-blocks (harness side only) */
    static const unsigned io_modes[] = {0, FZ_SMALL_READS, FZ_WOULD_BLOCK, FZ_SMALL_READS | FZ_WOULD_BLOCK};
    for (size_t m = 0; m < sizeof io_modes / sizeof io_modes[0]; m += all_modes ? 1 : 3) {
        char mname[80];
        snprintf(mname, sizeof mname, "%s%s", name, m ? (m == 1 ? "-small" : m == 2 ? "-wb" : "-small-wb") : "");
        in.len = 0;
        put_input(&in, sf | io_modes[m], rot, stls, c2s, two);
        write_file("server", mname, in.b, in.len);
        in.len = 0;
        put_input(&in, cf | io_modes[m], rot, ctls, s2c, two);
        write_file("client", mname, in.b, in.len);
    }
    free(in.b);
    for (size_t off = 0; off + 4 <= blobs.len;) {
        size_t l = (size_t)blobs.b[off] << 24 | (size_t)blobs.b[off + 1] << 16 | (size_t)blobs.b[off + 2] << 8 |
                   blobs.b[off + 3];
        snprintf(name, sizeof name, "blob-%03d", g_sessions++);
        write_file("session", name, blobs.b + off + 4, l);
        off += 4 + l;
    }
    for (int i = 0; i < 2; i++) {
        free(c2s[i].b);
        free(s2c[i].b);
        fz_cache_free(&cache[i]);
    }
    free(blobs.b);
}

/* SSL 3.0 / 2.0 configurations (the version in FZ_VERSION_MASK) */
static void record(unsigned sf, unsigned cf, unsigned rot, int all_modes)
{
    record_tls(sf, cf, rot, 0, 0, all_modes, 0);
}

/* ---- signed handshake messages gone bad (issue 16): ServerKeyExchange / CertificateVerify ----
 * A recorded single connection's plaintext handshake messages (before the first ChangeCipherSpec)
 * are taken apart, the signed message (ServerKeyExchange from the server, CertificateVerify from
 * the client) is altered, and the messages up to ServerHelloDone / CertificateVerify are framed
 * again, one record each: an input for the other side's harness, named "refuse-NNN-..." (the fatal
 * alert NNN the harness side must send: fz_check_named_outcome checks it in the replay). */

struct hmsg {
    uint8_t type;
    uint8_t body[4096];
    size_t len;
};

/* split the handshake records of @st before the first CCS into messages; returns how many */
static size_t split_msgs(const struct fz_bytes *st, struct hmsg *m, size_t max, uint16_t *rec_ver)
{
    uint8_t hs[16384];
    size_t hl = 0, n = 0;
    for (size_t o = 0; o + 5 <= st->len;) {
        size_t l = (size_t)st->b[o + 3] << 8 | st->b[o + 4];
        if (st->b[o] != 22 || o + 5 + l > st->len || hl + l > sizeof hs)
            break;
        *rec_ver = (uint16_t)(st->b[o + 1] << 8 | st->b[o + 2]);
        memcpy(hs + hl, st->b + o + 5, l);
        hl += l;
        o += 5 + l;
    }
    for (size_t o = 0; o + 4 <= hl && n < max;) {
        size_t l = (size_t)hs[o + 1] << 16 | (size_t)hs[o + 2] << 8 | hs[o + 3];
        if (o + 4 + l > hl || l > sizeof m[n].body)
            break;
        m[n].type = hs[o];
        memcpy(m[n].body, hs + o + 4, l);
        m[n].len = l;
        n++;
        o += 4 + l;
    }
    return n;
}

enum { BAD_SIG_TRUNC, BAD_SIG_LEN_OVERRUNS, BAD_SIG_TRAILING, BAD_SIG_FLIP, BAD_SIG_R_ZERO, BAD_SIG_EMPTY,
       BAD_SIG_RAW, BAD_SIG_DER_GARBAGE, BAD_SCHEME, BAD_POINT, BAD_CURVE, BAD_POINT_LEN };

/* alter the signature of message body @b (len *n): @sig_off is where the (scheme and) signature
 * start, @scheme whether a scheme is there (TLS 1.2) */
static void bad_sig(uint8_t *b, size_t *n, size_t sig_off, int scheme, int what, unsigned arg)
{
    size_t so = sig_off + (scheme ? 2 : 0); /* u16 length, then the DER */
    size_t sl = (size_t)b[so] << 8 | b[so + 1];
    switch (what) {
    case BAD_SIG_TRUNC: /* one byte less: the DER's own lengths no longer fit */
        sl--, (*n)--;
        break;
    case BAD_SIG_LEN_OVERRUNS:
        sl++;
        break;
    case BAD_SIG_TRAILING:
        b[(*n)++] = 0;
        break;
    case BAD_SIG_FLIP: /* the last byte of s: valid DER, wrong value */
        b[so + 2 + sl - 1] ^= 0x01;
        break;
    case BAD_SIG_R_ZERO: { /* SEQUENCE { INTEGER 0, INTEGER 1 } */
        static const uint8_t z[] = {0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01};
        memcpy(b + so + 2, z, sizeof z);
        sl = sizeof z;
        *n = so + 2 + sl;
        break;
    }
    case BAD_SIG_EMPTY:
        sl = 0;
        *n = so + 2;
        break;
    case BAD_SIG_RAW: /* r || s as in IEEE P1363, not DER */
        for (size_t i = 0; i < 64; i++)
            b[so + 2 + i] = (uint8_t)(0x11 + i);
        sl = 64;
        *n = so + 2 + sl;
        break;
    case BAD_SIG_DER_GARBAGE: /* a byte inside the SEQUENCE after s */
        b[so + 2 + 1]++;
        memmove(b + so + 2 + sl + 1, b + so + 2 + sl, *n - (so + 2 + sl));
        b[so + 2 + sl] = 0;
        sl++, (*n)++;
        break;
    case BAD_SCHEME:
        b[sig_off] = (uint8_t)(arg >> 8), b[sig_off + 1] = (uint8_t)arg;
        return;
    }
    b[so] = (uint8_t)(sl >> 8), b[so + 1] = (uint8_t)sl;
}

/* one bad input: record sf/cf/rot/tls (single connection), alter message @type of the stream the
 * harness side reads (@side: the harness), write it as @name */
static void bad_signed(const char *name, int side, unsigned sf, unsigned cf, unsigned rot, unsigned tls, int what,
                       unsigned arg)
{
    struct fz_bytes c2s = {0}, s2c = {0};
    uint16 suite = 0;
    if (!one_conn(sf, cf, rot, tls, tls, 0, NULL, &c2s, &s2c, &suite)) {
        fprintf(stderr, "%s: the recording failed\n", name);
        exit(1);
    }
    static struct hmsg m[8];
    uint16_t rv = 0x0303;
    int is_client = side == SSL_ClientSide;
    size_t nm = split_msgs(is_client ? &s2c : &c2s, m, 8, &rv);
    int max, min;
    fz_tls_range(tls, &min, &max);
    int scheme = max == kTLSProtocol12;
    uint8_t target = is_client ? 12 : 15, last = is_client ? 14 : 15;
    size_t i = 0;
    while (i < nm && m[i].type != target)
        i++;
    if (i == nm) {
        fprintf(stderr, "%s: no message %u\n", name, target);
        exit(1);
    }
    uint8_t *b = m[i].body;
    size_t sig_off = 0;
    if (is_client) /* ECParameters: curve_type 3, named_curve, u8 point */
        sig_off = 3 + 1 + b[3];
    if (what == BAD_POINT)
        b[4 + b[3] / 2] ^= 0x01;
    else if (what == BAD_CURVE)
        b[1] = 0x00, b[2] = 0x19; /* secp521r1: not ours */
    else if (what == BAD_POINT_LEN)
        b[3]--; /* the point one byte shorter: the rest shifts */
    else
        bad_sig(b, &m[i].len, sig_off, scheme, what, arg);
    struct fz_bytes st = {0}, in = {0};
    for (size_t k = 0; k < nm; k++) {
        uint8_t h[9] = {22, (uint8_t)(rv >> 8), (uint8_t)rv, (uint8_t)((m[k].len + 4) >> 8), (uint8_t)(m[k].len + 4),
                        m[k].type, (uint8_t)(m[k].len >> 16), (uint8_t)(m[k].len >> 8), (uint8_t)m[k].len};
        fz_bytes_put(&st, h, 9);
        fz_bytes_put(&st, m[k].body, m[k].len);
        if (m[k].type == last)
            break;
    }
    put_input(&in, is_client ? cf : sf, rot, tls, &st, 0);
    write_file(is_client ? "client" : "server", name, in.b, in.len);
    free(in.b);
    free(st.b);
    free(c2s.b);
    free(s2c.b);
}

/* the rotation that makes the server choose @suite first (FZ_ALL_SUITES) */
static unsigned rot_of(uint16 suite)
{
    uint16 all[96];
    uint32 n = SSLXSupportedCipherSuites(all, 96), r = 0;
    while (r < n && r < 96 && all[r] != suite)
        r++;
    if (r > FZ_ROT_MASK) {
        fprintf(stderr, "suite %04x not reachable by rotation\n", suite);
        exit(1);
    }
    return r | FZ_ROT_TLS;
}

static void bad_signed_seeds(void)
{
    const int C = SSL_ClientSide, S = SSL_ServerSide;
    const unsigned a = FZ_ALL_SUITES, ca = FZ_CLIENT_AUTH | FZ_EC_CLIENT;
    const unsigned ec12 = rot_of(0xc02b), ec10 = rot_of(0xc009), rsa12 = rot_of(0xc02f);
    static const struct { const char *name; int what; unsigned arg; } t12[] = {
        {"refuse-51-c-ske-ecdsa-sig-truncated-der", BAD_SIG_TRUNC, 0},
        {"refuse-50-c-ske-ecdsa-sig-length-overruns", BAD_SIG_LEN_OVERRUNS, 0},
        {"refuse-50-c-ske-ecdsa-sig-trailing-byte", BAD_SIG_TRAILING, 0},
        {"refuse-51-c-ske-ecdsa-sig-wrong-value", BAD_SIG_FLIP, 0},
        {"refuse-51-c-ske-ecdsa-sig-r-zero", BAD_SIG_R_ZERO, 0},
        {"refuse-51-c-ske-ecdsa-sig-empty", BAD_SIG_EMPTY, 0},
        {"refuse-51-c-ske-ecdsa-sig-raw-not-der", BAD_SIG_RAW, 0},
        {"refuse-51-c-ske-ecdsa-sig-der-trailing-inside", BAD_SIG_DER_GARBAGE, 0},
        {"refuse-47-c-ske-ecdsa-cert-rsa-scheme", BAD_SCHEME, 0x0401},
        {"refuse-47-c-ske-ecdsa-cert-pss-scheme", BAD_SCHEME, 0x0804},
        {"refuse-47-c-ske-ecdsa-cert-unknown-scheme", BAD_SCHEME, 0x0808},
        {"refuse-51-c-ske-ecdsa-cert-other-hash", BAD_SCHEME, 0x0503},
        {"refuse-51-c-ske-ecdsa-point-changed", BAD_POINT, 0},
        {"refuse-47-c-ske-ecdsa-curve-unknown", BAD_CURVE, 0},
        /* the point one byte shorter shifts the scheme and signature: the framing fails first */
        {"refuse-50-c-ske-ecdsa-point-length", BAD_POINT_LEN, 0},
    };
    char name[96];
    for (size_t k = 0; k < sizeof t12 / sizeof t12[0]; k++)
        bad_signed(t12[k].name, C, a, a, ec12, 0x00, t12[k].what, t12[k].arg);
    /* TLS 1.0: no scheme, SHA-1 */
    static const struct { const char *name; int what; } t10[] = {
        {"refuse-51-c-ske-ecdsa-tls10-sig-truncated-der", BAD_SIG_TRUNC},
        {"refuse-50-c-ske-ecdsa-tls10-sig-length-overruns", BAD_SIG_LEN_OVERRUNS},
        {"refuse-51-c-ske-ecdsa-tls10-sig-wrong-value", BAD_SIG_FLIP},
        {"refuse-51-c-ske-ecdsa-tls10-sig-r-zero", BAD_SIG_R_ZERO},
        {"refuse-51-c-ske-ecdsa-tls10-sig-raw-not-der", BAD_SIG_RAW},
    };
    for (size_t k = 0; k < sizeof t10 / sizeof t10[0]; k++)
        bad_signed(t10[k].name, C, a, a, ec10, 0x02, t10[k].what, 0);
    /* an ECDSA scheme under the RSA certificate (ECDHE_RSA) */
    bad_signed("refuse-47-c-ske-rsa-cert-ecdsa-scheme", C, a, a, rsa12, 0x00, BAD_SCHEME, 0x0403);
    bad_signed("refuse-51-c-ske-rsa-sig-wrong-value", C, a, a, rsa12, 0x00, BAD_SIG_FLIP, 0);
    /* the EC client's CertificateVerify to a server that asked for a certificate */
    static const struct { const char *name; int what; unsigned arg; } cv[] = {
        {"refuse-51-s-cv-ecdsa-sig-truncated-der", BAD_SIG_TRUNC, 0},
        {"refuse-50-s-cv-ecdsa-sig-length-overruns", BAD_SIG_LEN_OVERRUNS, 0},
        {"refuse-50-s-cv-ecdsa-sig-trailing-byte", BAD_SIG_TRAILING, 0},
        {"refuse-51-s-cv-ecdsa-sig-wrong-value", BAD_SIG_FLIP, 0},
        {"refuse-51-s-cv-ecdsa-sig-r-zero", BAD_SIG_R_ZERO, 0},
        {"refuse-51-s-cv-ecdsa-sig-raw-not-der", BAD_SIG_RAW, 0},
        {"refuse-47-s-cv-ecdsa-cert-rsa-scheme", BAD_SCHEME, 0x0401},
    };
    for (size_t k = 0; k < sizeof cv / sizeof cv[0]; k++)
        bad_signed(cv[k].name, S, ca, ca, FZ_ROT_TLS, 0x00, cv[k].what, cv[k].arg);
    snprintf(name, sizeof name, "refuse-51-s-cv-ecdsa-tls10-sig-wrong-value");
    bad_signed(name, S, ca, ca, FZ_ROT_TLS, 0x02, BAD_SIG_FLIP, 0);
}


/* Named format 5 session blobs (session.c) for fuzz_session: a client's ECDHE_ECDSA session with a
 * ticket as recorded, and copies with one field changed. */
static void session_blob_seeds(void)
{
    struct fz_cache cache[2];
    struct fz_bytes c2s = {0}, s2c = {0};
    uint16 suite;
    unsigned f = FZ_TICKETS | FZ_TWO_CONNS | FZ_ALL_SUITES;
    memset(cache, 0, sizeof cache);
    if (!one_conn(f, f, rot_of(0xc02b), 0, 0, 0, cache, &c2s, &s2c, &suite) || cache[1].n != 1 || cache[0].n != 1) {
        fprintf(stderr, "session blob recording failed\n");
        exit(1);
    }
    uint8_t b[8192];
    size_t n = cache[1].e[0].len;
    if (n > sizeof b - 64) {
        fprintf(stderr, "session blob too long\n");
        exit(1);
    }
    write_file("session", "fmt5-server-ecdsa", cache[0].e[0].data, cache[0].e[0].len);
    memcpy(b, cache[1].e[0].data, n);
    write_file("session", "fmt5-client-ecdsa-ticket", b, n);
    size_t o = 7; /* the offsets of group, cert_type and the ticket length (format in session.c) */
    for (int i = 0; i < 3; i++)
        o += 1 + b[o];
    o += 4 + 1 + 1 + 1;
    size_t og = o, oc = o + 2, ob = o + 3, ot = ob + 1 + b[ob];
    uint8_t c[8192];
#define VARIANT(nm, stmt)                                                                                    \
    do {                                                                                                     \
        memcpy(c, b, n);                                                                                     \
        size_t cn = n;                                                                                       \
        stmt;                                                                                                \
        write_file("session", nm, c, cn);                                                                    \
    } while (0)
    VARIANT("fmt5-client-ecdsa-cert-type-rsa", c[oc] = 1);
    VARIANT("fmt5-client-ecdsa-cert-type-4", c[oc] = 4);
    VARIANT("fmt5-client-ecdsa-group-unknown", (c[og] = 0x3a, c[og + 1] = 0x3a));
    VARIANT("fmt5-client-ecdsa-group-none", (c[og] = 0, c[og + 1] = 0));
    VARIANT("fmt5-client-ecdsa-ticket-len-overruns", c[ot + 1] = (uint8_t)(c[ot + 1] + 1));
    VARIANT("fmt5-client-ecdsa-ticket-len-max", c[ot] = c[ot + 1] = 0xff);
    VARIANT("fmt5-client-ecdsa-ticket-cut", (c[ot] = 0, c[ot + 1] = 0, memmove(c + ot + 2, b + ot + 2 + ((size_t)b[ot] << 8 | b[ot + 1]), n - ot - 2 - ((size_t)b[ot] << 8 | b[ot + 1])), cn -= (size_t)b[ot] << 8 | b[ot + 1]));
    VARIANT("fmt5-client-ecdsa-format-4", c[2] = 4);
    VARIANT("fmt5-client-ecdsa-truncated", cn = ot + 1);
#undef VARIANT
    free(c2s.b);
    free(s2c.b);
    fz_cache_free(&cache[0]);
    fz_cache_free(&cache[1]);
}

/* ---- fuzz_ext seeds: extension blocks, named by the outcome they must have ---- */

struct xb {
    uint8_t b[2048];
    size_t n;
};

static void xb_put(struct xb *x, const void *p, size_t n)
{
    if (x->n + n > sizeof x->b) {
        fprintf(stderr, "ext seed too long\n");
        exit(1);
    }
    if (n)
        memcpy(x->b + x->n, p, n);
    x->n += n;
}

static void xb_u16(struct xb *x, unsigned v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    xb_put(x, b, 2);
}

/* one extension: type, u16 length, body */
static void xb_ext(struct xb *x, unsigned type, const void *body, size_t n)
{
    xb_u16(x, type);
    xb_u16(x, (unsigned)n);
    xb_put(x, body, n);
}

/* write OPT || u16(len(list)) || list as seeds/ext/NAME (list: extensions built with xb_ext) */
static void ext_seed(const char *name, unsigned opt, const struct xb *list)
{
    uint8_t buf[4096];
    buf[0] = (uint8_t)opt;
    buf[1] = (uint8_t)(list->n >> 8);
    buf[2] = (uint8_t)list->n;
    memcpy(buf + 3, list->b, list->n);
    write_file("ext", name, buf, list->n + 3);
}

/* the same with the bytes after OPT given raw (wrong block lengths) */
static void ext_raw(const char *name, unsigned opt, const void *p, size_t n)
{
    uint8_t buf[4096];
    buf[0] = (uint8_t)opt;
    memcpy(buf + 1, p, n);
    write_file("ext", name, buf, n + 1);
}

#define EXT1(name, opt, type, ...)                                                                 \
    do {                                                                                           \
        static const uint8_t body_[] = {__VA_ARGS__};                                              \
        struct xb x_ = {.n = 0};                                                                   \
        xb_ext(&x_, type, body_, sizeof body_);                                                    \
        ext_seed(name, opt, &x_);                                                                  \
    } while (0)
#define EXT0(name, opt, type)                                                                      \
    do {                                                                                           \
        struct xb x_ = {.n = 0};                                                                   \
        xb_ext(&x_, type, NULL, 0);                                                                \
        ext_seed(name, opt, &x_);                                                                  \
    } while (0)

enum { X_SNI = 0, X_GROUPS = 10, X_POINTS = 11, X_SIGALGS = 13, X_ALPN = 16, X_PADDING = 21, X_ETM = 22,
       X_EMS = 23, X_TICKET = 35, X_RI = 0xff01, X_UNKNOWN = 0x3a3a };

/* A real ticket: one TLS 1.2 connection with FZ_TICKETS (the harness keys), the client's cached
 * session's ticket (format 5 blob, session.c) copied to @out; returns its length (0: none). */
static size_t recorded_ticket(uint8_t *out, size_t cap)
{
    struct fz_cache cache[2];
    struct fz_bytes c2s = {0}, s2c = {0};
    uint16 suite;
    size_t len = 0;
    memset(cache, 0, sizeof cache);
    /* AES128-GCM-SHA256 (009c) only: a suite the fuzz_ext ClientHello offers */
    uint16 all[96];
    uint32 n = SSLXSupportedCipherSuites(all, 96), rot = 0;
    while (rot < n && rot < 96 && all[rot] != 0x009c)
        rot++;
    unsigned f = FZ_TICKETS | FZ_TWO_CONNS | FZ_ALL_SUITES;
    if (rot <= FZ_ROT_MASK && one_conn(f, f, FZ_ROT_TLS | rot, 0, 0, 0, cache, &c2s, &s2c, &suite) &&
        suite == 0x009c && cache[1].n == 1) {
        const uint8_t *p = cache[1].e[0].data;
        size_t n = cache[1].e[0].len, o = 7;
        for (int i = 0; i < 3 && o < n; i++)
            o += 1 + p[o];
        o += 4 + 1 + 1 + 1 + 2 + 1;
        if (o < n)
            o += 1 + p[o];
        if (o + 2 <= n) {
            len = (size_t)p[o] << 8 | p[o + 1];
            if (o + 2 + len > n || len > cap)
                len = 0;
            else
                memcpy(out, p + o + 2, len);
        }
    }
    free(c2s.b);
    free(s2c.b);
    fz_cache_free(&cache[0]);
    fz_cache_free(&cache[1]);
    return len;
}

static void ext_seeds(void)
{
    const unsigned S = 0, C = FZX_CLIENT, V11 = 1u << 1, V10 = 2u << 1, V3 = 3u << 1;
    struct xb x;
    /* ---- server: ClientHello extension blocks ---- */
    ext_raw("accept-s-no-block", S, "", 0);
    ext_raw("accept-s-empty-block", S, "\x00\x00", 2);
    EXT1("accept-s-sni", S, X_SNI, 0, 12, 0, 0, 9, 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't');
    EXT1("accept-s-sni-callback", S | FZX_SNI, X_SNI, 0, 12, 0, 0, 9, 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't');
    EXT1("refuse-112-s-sni-callback-refuses", S | FZX_SNI, X_SNI, 0, 8, 0, 0, 5, 'b', 'a', 'd', '.', 'x');
    EXT1("accept-s-sni-other-type-first", S, X_SNI, 0, 11, 7, 0, 2, 'x', 'y', 0, 0, 3, 'a', '.', 'b');
    EXT1("refuse-50-s-sni-empty-list", S, X_SNI, 0, 0);
    EXT1("refuse-50-s-sni-empty-name", S, X_SNI, 0, 3, 0, 0, 0);
    EXT1("refuse-50-s-sni-name-overruns", S, X_SNI, 0, 6, 0, 0, 9, 'a', 'b', 'c');
    EXT1("refuse-50-s-sni-list-overruns", S, X_SNI, 0, 9, 0, 0, 3, 'a', 'b', 'c');
    EXT1("refuse-112-s-sni-nul-in-name", S, X_SNI, 0, 6, 0, 0, 3, 'a', 0, 'c');
    {
        uint8_t body[2 + 3 + 300];
        body[0] = 0x01, body[1] = 0x2f, body[2] = 0, body[3] = 0x01, body[4] = 0x2c;
        memset(body + 5, 'a', 300);
        x.n = 0;
        xb_ext(&x, X_SNI, body, sizeof body);
        ext_seed("refuse-112-s-sni-name-300-bytes", S, &x);
    }
    EXT1("refuse-50-s-sni-trailing-byte", S, X_SNI, 0, 6, 0, 0, 3, 'a', 'b', 'c', 0);
    EXT1("accept-s-sigalgs", S, X_SIGALGS, 0, 6, 4, 1, 5, 1, 2, 1);
    EXT1("accept-s-sigalgs-unknown-only", S, X_SIGALGS, 0, 4, 8, 4, 8, 7);
    EXT1("refuse-50-s-sigalgs-odd-length", S, X_SIGALGS, 0, 3, 4, 1, 5);
    EXT1("refuse-50-s-sigalgs-empty", S, X_SIGALGS, 0, 0);
    EXT0("refuse-50-s-sigalgs-no-list", S, X_SIGALGS);
    EXT1("refuse-50-s-sigalgs-overruns", S, X_SIGALGS, 0, 8, 4, 1);
    EXT1("accept-s-groups", S, X_GROUPS, 0, 6, 0, 23, 1, 0, 1, 1);
    EXT1("refuse-50-s-groups-odd", S, X_GROUPS, 0, 3, 0, 23, 1);
    EXT1("refuse-50-s-groups-empty", S, X_GROUPS, 0, 0);
    EXT1("accept-s-point-formats", S, X_POINTS, 1, 0);
    EXT1("accept-s-alpn", S | FZX_ALPN, X_ALPN, 0, 12, 2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1');
    EXT1("accept-s-alpn-not-configured", S, X_ALPN, 0, 3, 2, 'h', '2');
    EXT1("refuse-120-s-alpn-no-overlap", S | FZX_ALPN, X_ALPN, 0, 3, 2, 'h', '2');
    EXT1("refuse-50-s-alpn-empty-name", S | FZX_ALPN, X_ALPN, 0, 4, 0, 2, 'h', '2');
    EXT1("refuse-50-s-alpn-empty-list", S | FZX_ALPN, X_ALPN, 0, 0);
    EXT1("refuse-50-s-alpn-name-overruns", S | FZX_ALPN, X_ALPN, 0, 3, 5, 'h', '2');
    EXT1("refuse-50-s-alpn-list-overruns", S | FZX_ALPN, X_ALPN, 0, 9, 2, 'h', '2');
    EXT0("accept-s-ems", S, X_EMS);
    EXT0("accept-s-ems-not-configured", S | FZX_NO_EMS, X_EMS);
    EXT1("refuse-50-s-ems-with-body", S, X_EMS, 0);
    EXT0("accept-s-etm", S, X_ETM);
    EXT1("refuse-50-s-etm-with-body", S, X_ETM, 1, 2);
    EXT1("accept-s-ri-empty", S, X_RI, 0);
    EXT1("refuse-40-s-ri-not-empty", S, X_RI, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
    EXT1("refuse-40-s-ri-overruns", S, X_RI, 4, 1);
    EXT0("refuse-40-s-ri-no-length", S, X_RI);
    EXT1("accept-s-unknown", S, X_UNKNOWN, 1, 2, 3);
    EXT0("accept-s-unknown-empty", S, X_UNKNOWN);
    {
        uint8_t zeros[300] = {0};
        x.n = 0;
        xb_ext(&x, X_PADDING, zeros, sizeof zeros);
        ext_seed("accept-s-padding", S, &x);
    }
    x.n = 0;
    xb_ext(&x, X_EMS, NULL, 0);
    xb_ext(&x, X_EMS, NULL, 0);
    ext_seed("refuse-47-s-duplicate-ems", S, &x);
    ext_seed("refuse-47-s-duplicate-ems-ssl3", S | V3, &x); /* illegal_parameter at every version */
    x.n = 0;
    xb_ext(&x, X_UNKNOWN, "a", 1);
    xb_ext(&x, X_RI, "\0", 1);
    xb_ext(&x, X_UNKNOWN, "b", 1);
    ext_seed("refuse-47-s-duplicate-unknown", S, &x);
    x.n = 0;
    xb_ext(&x, X_SNI, "\x00\x04\x00\x00\x01x", 6);
    xb_ext(&x, X_SNI, "\x00\x04\x00\x00\x01y", 6);
    ext_seed("refuse-47-s-duplicate-sni", S, &x);
    /* every extension at once, at each version */
    x.n = 0;
    xb_ext(&x, X_SNI, "\x00\x0c\x00\x00\x09localhost", 14);
    xb_ext(&x, X_GROUPS, "\x00\x04\x00\x17\x01\x00", 6);
    xb_ext(&x, X_POINTS, "\x01\x00", 2);
    xb_ext(&x, X_SIGALGS, "\x00\x06\x04\x01\x05\x01\x02\x01", 8);
    xb_ext(&x, X_ALPN, "\x00\x0c\x02h2\x08http/1.1", 14);
    xb_ext(&x, X_ETM, NULL, 0);
    xb_ext(&x, X_EMS, NULL, 0);
    xb_ext(&x, X_UNKNOWN, "zz", 2);
    xb_ext(&x, X_RI, "\0", 1);
    ext_seed("accept-s-all-tls12", S | FZX_ALPN | FZX_SNI, &x);
    ext_seed("accept-s-all-tls11", S | FZX_ALPN | FZX_SNI | V11, &x);
    ext_seed("accept-s-all-tls10", S | FZX_ALPN | FZX_SNI | V10, &x);
    ext_seed("accept-s-all-ssl3", S | FZX_ALPN | FZX_SNI | V3, &x);
    /* session_ticket (RFC 5077) to a server with ticket keys (FZX_TICKETS) or without: empty (a
     * ticket wanted), a ticket sealed under the harness keys, garbage and short ones (any fault
     * means a full handshake, never an alert), at SSL 3.0 (ignored) */
    const unsigned T = FZX_TICKETS;
    EXT0("accept-s-ticket-empty", S | T, X_TICKET);
    EXT0("accept-s-ticket-empty-no-keys", S, X_TICKET);
    {
        uint8_t t[1024];
        size_t tl = recorded_ticket(t, sizeof t);
        if (tl == 0) {
            fprintf(stderr, "no ticket recorded\n");
            exit(1);
        }
        x.n = 0;
        xb_ext(&x, X_TICKET, t, tl);
        /* a session with EMS offered without it: RFC 7627 5.3, the server aborts (handshake_failure) */
        ext_seed("refuse-40-s-ticket-recorded-without-ems", S | T, &x);
        ext_seed("accept-s-ticket-recorded-no-keys", S, &x);
        xb_ext(&x, X_EMS, NULL, 0);
        ext_seed("accept-s-ticket-recorded-ems", S | T, &x);
        t[tl / 2] ^= 0x01; /* a flipped ciphertext byte: the tag fails */
        x.n = 0;
        xb_ext(&x, X_TICKET, t, tl);
        ext_seed("accept-s-ticket-recorded-flipped", S | T, &x);
        t[tl / 2] ^= 0x01;
        t[0] ^= 0x01; /* an unknown key name */
        x.n = 0;
        xb_ext(&x, X_TICKET, t, tl);
        ext_seed("accept-s-ticket-unknown-key", S | T, &x);
        x.n = 0;
        xb_ext(&x, X_TICKET, t, 44); /* exactly the overhead: no blob */
        ext_seed("accept-s-ticket-overhead-only", S | T, &x);
    }
    {
        uint8_t g[200];
        for (size_t i = 0; i < sizeof g; i++)
            g[i] = (uint8_t)(i * 37 + 11);
        x.n = 0;
        xb_ext(&x, X_TICKET, g, sizeof g);
        ext_seed("accept-s-ticket-garbage", S | T, &x);
        ext_seed("accept-s-ticket-garbage-tls10", S | T | V10, &x);
        ext_seed("accept-s-ticket-garbage-ssl3", S | T | V3, &x);
        x.n = 0;
        xb_ext(&x, X_TICKET, g, 5);
        ext_seed("accept-s-ticket-short", S | T, &x);
    }
    x.n = 0;
    xb_ext(&x, X_TICKET, NULL, 0);
    xb_ext(&x, X_TICKET, NULL, 0);
    ext_seed("refuse-47-s-duplicate-ticket", S | T, &x);
    /* signature_algorithms and supported_groups with the EC schemes and curves (issue 16) */
    EXT1("accept-s-sigalgs-ecdsa", S, X_SIGALGS, 0, 8, 4, 3, 5, 3, 6, 3, 4, 1);
    EXT1("accept-s-sigalgs-ecdsa-only", S, X_SIGALGS, 0, 2, 4, 3);
    EXT1("accept-s-sigalgs-ecdsa-sha1", S, X_SIGALGS, 0, 4, 2, 3, 2, 1);
    EXT1("accept-s-groups-ec", S, X_GROUPS, 0, 6, 0, 29, 0, 23, 0, 24);
    EXT1("accept-s-groups-unknown-only", S, X_GROUPS, 0, 2, 0x3a, 0x3a);
    EXT1("accept-s-point-formats-compressed-only", S, X_POINTS, 1, 1);
    /* block framing */
    ext_raw("refuse-50-s-block-one-byte", S, "\x00", 1);
    ext_raw("refuse-50-s-block-overruns", S, "\x00\x08\x00\x17\x00\x00", 6);
    ext_raw("refuse-50-s-block-trailing", S, "\x00\x04\x00\x17\x00\x00\xff", 7);
    ext_raw("refuse-50-s-ext-header-cut", S, "\x00\x03\x00\x17\x00", 5);
    ext_raw("refuse-50-s-ext-length-overruns", S, "\x00\x04\x00\x17\x00\x05", 6);
    /* ---- client: ServerHello extension blocks (the client offered sigalgs, EtM, EMS, RI and
     * with FZX_SNI / FZX_ALPN server_name and ALPN "h2,http/1.1") ---- */
    ext_raw("accept-c-no-block", C, "", 0);
    ext_raw("accept-c-empty-block", C, "\x00\x00", 2);
    EXT1("accept-c-ri-empty", C, X_RI, 0);
    EXT1("refuse-40-c-ri-not-empty", C, X_RI, 2, 1, 2);
    EXT1("refuse-40-c-ri-overruns", C, X_RI, 3);
    EXT0("accept-c-ems", C, X_EMS);
    EXT0("refuse-110-c-ems-not-offered", C | FZX_NO_EMS, X_EMS);
    EXT1("refuse-50-c-ems-with-body", C, X_EMS, 0);
    EXT0("accept-c-etm-cbc", C, X_ETM);
    EXT0("accept-c-etm-cbc-tls10", C | V10, X_ETM);
    EXT0("refuse-47-c-etm-gcm", C | FZX_GCM, X_ETM);
    EXT1("refuse-50-c-etm-with-body", C, X_ETM, 0);
    EXT0("accept-c-sni-ack", C | FZX_SNI, X_SNI);
    EXT0("refuse-110-c-sni-not-sent", C, X_SNI);
    EXT1("refuse-50-c-sni-ack-with-body", C | FZX_SNI, X_SNI, 0, 0);
    EXT1("accept-c-alpn", C | FZX_ALPN, X_ALPN, 0, 9, 8, 'h', 't', 't', 'p', '/', '1', '.', '1');
    EXT1("refuse-47-c-alpn-not-offered-protocol", C | FZX_ALPN, X_ALPN, 0, 7, 6, 's', 'p', 'd', 'y', '/', '1');
    EXT1("refuse-50-c-alpn-two-names", C | FZX_ALPN, X_ALPN, 0, 6, 2, 'h', '2', 2, 'h', '2');
    EXT1("refuse-50-c-alpn-empty-name", C | FZX_ALPN, X_ALPN, 0, 1, 0);
    EXT1("refuse-50-c-alpn-empty-list", C | FZX_ALPN, X_ALPN, 0, 0);
    EXT1("refuse-110-c-alpn-not-offered", C, X_ALPN, 0, 3, 2, 'h', '2');
    EXT1("refuse-110-c-unknown", C, X_UNKNOWN, 1);
    EXT1("refuse-110-c-sigalgs", C, X_SIGALGS, 0, 2, 4, 1);
    EXT1("refuse-110-c-groups", C, X_GROUPS, 0, 2, 0, 23);
    x.n = 0;
    xb_ext(&x, X_RI, "\0", 1);
    xb_ext(&x, X_RI, "\0", 1);
    ext_seed("refuse-47-c-duplicate-ri", C, &x);
    ext_seed("refuse-47-c-duplicate-ri-ssl3", C | V3, &x);
    x.n = 0;
    xb_ext(&x, X_RI, "\0", 1);
    xb_ext(&x, X_EMS, NULL, 0);
    xb_ext(&x, X_ETM, NULL, 0);
    xb_ext(&x, X_SNI, NULL, 0);
    xb_ext(&x, X_ALPN, "\x00\x03\x02h2", 5);
    ext_seed("accept-c-all-tls12", C | FZX_SNI | FZX_ALPN, &x);
    ext_seed("accept-c-all-tls11", C | FZX_SNI | FZX_ALPN | V11, &x);
    x.n = 0;
    xb_ext(&x, X_RI, "\0", 1);
    ext_seed("accept-c-ri-ssl3", C | V3, &x);
    /* a client at SSL 3.0 sent no extensions (only the SCSV): anything but renegotiation_info is
     * one it did not offer (unsupported_extension, which SSL 3.0 says as handshake_failure) */
    EXT0("refuse-40-c-ems-ssl3", C | V3, X_EMS);
    EXT0("refuse-40-c-etm-ssl3", C | V3, X_ETM);
    EXT0("refuse-40-c-sni-ssl3", C | V3 | FZX_SNI, X_SNI);
    EXT1("refuse-40-c-alpn-ssl3", C | V3 | FZX_ALPN, X_ALPN, 0, 3, 2, 'h', '2');
    /* session_ticket in the ServerHello: only empty, and only if offered */
    EXT0("accept-c-ticket-ack", C | FZX_TICKETS, X_TICKET);
    EXT0("accept-c-ticket-ack-tls10", C | FZX_TICKETS | V10, X_TICKET);
    EXT1("refuse-50-c-ticket-ack-with-body", C | FZX_TICKETS, X_TICKET, 1, 2, 3);
    EXT0("refuse-110-c-ticket-not-offered", C, X_TICKET);
    EXT0("refuse-40-c-ticket-ssl3", C | FZX_TICKETS | V3, X_TICKET);
    x.n = 0;
    xb_ext(&x, X_TICKET, NULL, 0);
    xb_ext(&x, X_TICKET, NULL, 0);
    ext_seed("refuse-47-c-duplicate-ticket", C | FZX_TICKETS, &x);
    ext_raw("refuse-50-c-block-one-byte", C, "\x00", 1);
    ext_raw("refuse-50-c-block-overruns", C, "\x00\x08\x00\x17\x00\x00", 6);
    ext_raw("refuse-50-c-block-trailing", C, "\x00\x04\x00\x17\x00\x00\xff", 7);
    ext_raw("refuse-50-c-ext-length-overruns", C, "\x00\x04\x00\x17\x00\x05", 6);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
        return 2;
    }
    g_out = argv[1];
    mkdir(g_out, 0755);
    fz_init();
    /* {server, client} versions (the server harness mostly runs Undetermined) */
    static const unsigned pairs[][2] = {{0, 0}, {0, 1}, {0, 2}, {0, 3}, {1, 1}, {2, 2}, {3, 3}, {2, 0}};
    for (size_t p = 0; p < sizeof pairs / sizeof pairs[0]; p++)
        for (unsigned extra = 0; extra < 4; extra++) {
            unsigned x = (extra & 1 ? FZ_CLIENT_AUTH : 0) | (extra & 2 ? FZ_TWO_CONNS : 0);
            /* SSL 2.0 needs its kinds, which are off by default: every suite then */
            if ((pairs[p][0] & FZ_VERSION_MASK) == 3 || (pairs[p][1] & FZ_VERSION_MASK) == 3)
                x |= FZ_ALL_SUITES;
            record(pairs[p][0] | x, pairs[p][1] | x, 0, 1);
        }
    /* every suite: both sides enable all, rotated so the server's first choice differs; with
     * FZ_ROT_DSA the server has its DSA key, so the DHE-DSS suites are chosen */
    uint32 n = SSLXSupportedCipherSuites(NULL, 0) + 7;
    for (unsigned rot = 0; rot < n && rot <= FZ_ROT_MASK; rot++) {
        record(0 | FZ_ALL_SUITES, 0 | FZ_ALL_SUITES, rot, 0);
        record(2 | FZ_ALL_SUITES | FZ_NO_SPLIT, 2 | FZ_ALL_SUITES | FZ_NO_SPLIT, rot, 0);
        record(0 | FZ_ALL_SUITES | FZ_TWO_CONNS | FZ_CLIENT_AUTH, 3 | FZ_ALL_SUITES | FZ_TWO_CONNS | FZ_CLIENT_AUTH,
               rot, 0);
        record(2 | FZ_ALL_SUITES, 2 | FZ_ALL_SUITES, rot | FZ_ROT_DSA, 0);
        record(0 | FZ_ALL_SUITES | FZ_TWO_CONNS | FZ_CLIENT_AUTH, 0 | FZ_ALL_SUITES | FZ_TWO_CONNS | FZ_CLIENT_AUTH,
               rot | FZ_ROT_DSA, 0);
    }
    /* TLS with the default suites (server without DH parameters: RSA key exchange; GCM at 1.2, CBC
     * with encrypt-then-MAC at 1.1 and 1.0): every option, client authentication, resumption and
     * every I/O mode */
    static const unsigned tls_opts[] = {
        0x00,                         /* TLS 1.0 .. 1.2: 1.2 */
        FZ_TLS_NO_EMS,                /* 1.2 without the extended master secret */
        FZ_TLS_ALPN | FZ_TLS_SNI,     /* 1.2 with ALPN and server_name */
        0x01,                         /* TLS 1.0 .. 1.1 */
        0x02,                         /* TLS 1.0 */
        0x01 | FZ_TLS_NO_EMS,         /* TLS 1.1 without EMS */
        0x08,                         /* TLS 1.2 only (min 1.2) */
        0x80,                         /* fallback SCSV at the server's own maximum: allowed */
    };
    for (size_t t = 0; t < sizeof tls_opts / sizeof tls_opts[0]; t++)
        for (unsigned extra = 0; extra < 4; extra++) {
            unsigned x = (extra & 1 ? FZ_CLIENT_AUTH : 0) | (extra & 2 ? FZ_TWO_CONNS : 0);
            record_tls(x, x, FZ_ROT_TLS, tls_opts[t], tls_opts[t], 1, 0);
        }
    /* RFC 5077 tickets (FZ_TICKETS: the server has ticket keys): the first connection's server
     * sends NewSessionTicket, the second resumes from the ticket; with client authentication, at
     * every version, without EMS, with ALPN and SNI; every I/O mode at TLS 1.2 */
    static const unsigned ticket_opts[] = {0x00, FZ_TLS_NO_EMS, FZ_TLS_ALPN | FZ_TLS_SNI, 0x01, 0x02};
    for (size_t t = 0; t < sizeof ticket_opts / sizeof ticket_opts[0]; t++)
        for (unsigned extra = 0; extra < 2; extra++) {
            unsigned x = FZ_TICKETS | FZ_TWO_CONNS | (extra ? FZ_CLIENT_AUTH : 0);
            record_tls(x, x, FZ_ROT_TLS, ticket_opts[t], ticket_opts[t], t == 0, 0);
        }
    /* one connection with a ticket issued (no cache on either side) */
    record_tls(FZ_TICKETS, FZ_TICKETS, FZ_ROT_TLS, 0x00, 0x00, 0, 0);
    /* an EC (P-256) client certificate, at TLS 1.2 (ECDSA CertificateVerify with a scheme), 1.1
     * and 1.0 (SHA-1), with and without resumption */
    static const unsigned ec_opts[] = {0x00, 0x01, 0x02};
    for (size_t t = 0; t < sizeof ec_opts / sizeof ec_opts[0]; t++)
        for (unsigned extra = 0; extra < 2; extra++) {
            unsigned x = FZ_CLIENT_AUTH | FZ_EC_CLIENT | (extra ? FZ_TWO_CONNS : 0);
            record_tls(x, x, FZ_ROT_TLS, ec_opts[t], ec_opts[t], t == 0 && extra == 0, 0);
        }
    /* refused (recorded as "-fail"): a fallback below the server's maximum (inappropriate_fallback),
     * no common version (protocol_version: client 1.0 .. 1.1, server 1.2 only) */
    record_tls(0, 0, FZ_ROT_TLS, 0x00, 0x01 | FZ_TLS_FALLBACK, 1, 0);
    record_tls(0, 0, FZ_ROT_TLS, 0x08, 0x01, 1, 0);
    /* TLS, every suite: both sides enable all, rotated so the server's first choice differs (each
     * suite a configuration reaches is written once); FZ_ROT_DSA: the DHE-DSS suites */
    for (unsigned rot = 0; rot < n && rot <= FZ_ROT_MASK; rot++) {
        unsigned a = FZ_ALL_SUITES, r = rot | FZ_ROT_TLS, two = FZ_TWO_CONNS | FZ_CLIENT_AUTH;
        record_tls(a, a, r, 0x00, 0x00, 0, 1);                       /* TLS 1.2 */
        record_tls(a | two, a | two, r, 0x00, 0x00, 0, 1);           /* 1.2 client auth, resumed */
        record_tls(a | FZ_TWO_CONNS, a | FZ_TWO_CONNS, r, FZ_TLS_NO_EMS, FZ_TLS_NO_EMS, 0, 1); /* no EMS */
        record_tls(a | two, a | two, r | FZ_ROT_DSA, 0x00, 0x00, 0, 1); /* DSA key at 1.2: refused */
        record_tls(a | two, a | two, r | FZ_ROT_DSA, 0x01, 0x01, 0, 1); /* DHE-DSS at 1.1 */
        record_tls(a, a, r | FZ_ROT_DSA, 0x02, 0x02, 0, 1);             /* DHE-DSS at 1.0 */
        record_tls(a | two, a | two, r, 0x01, 0x01, 0, 1);           /* TLS 1.1 */
        record_tls(a | two | FZ_NO_SPLIT, a | two | FZ_NO_SPLIT, r, 0x02, 0x02, 0, 1); /* TLS 1.0 */
        record_tls(a, a, r, 0x02, 0x02, 0, 1);                       /* TLS 1.0, 1/n-1 split */
        /* tickets issued and resumed from, every suite, at 1.2 and 1.0 (EC client at 1.2) */
        unsigned tk = FZ_TICKETS | FZ_TWO_CONNS;
        record_tls(a | tk, a | tk, r, 0x00, 0x00, 0, 1);
        record_tls(a | tk | FZ_CLIENT_AUTH | FZ_EC_CLIENT, a | tk | FZ_CLIENT_AUTH | FZ_EC_CLIENT, r, 0x00, 0x00, 0, 1);
        record_tls(a | tk, a | tk, r, 0x02, 0x02, 0, 1);
    }
    ext_seeds();
    bad_signed_seeds();
    session_blob_seeds();
    struct fz_bytes list = {0};
    if (fz_suite_listing(&list) != 0) {
        fprintf(stderr, "suite listing failed\n");
        return 1;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/suites.txt", g_out);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(list.b, 1, list.len, f) != list.len || fclose(f) != 0) {
        perror(path);
        return 1;
    }
    free(list.b);
    return 0;
}
