/*
 * test_badinput_gen.c - generated negative cases (DESIGN.md §4): every truncation and every one-byte
 * change of each length field of a captured SSL 3.0 ClientHello and ServerHello and of an SSL
 * 2.0-format ClientHello, and random junk before and after the handshake. Each must fail cleanly: an
 * error (never an answer to garbage), no crash, no leak.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>
#include "mitm.h"

/* ---- generated negative cases on captured hellos ---- */

struct capture {
    int from;
    uint32_t index;
    uint8_t b[2048];
    size_t len;
};

static int capture_hook(int from, uint32_t index, struct pair_rec *r, void *ref)
{
    struct capture *c = ref;
    if (from == c->from && index == c->index && r->len <= sizeof c->b) {
        memcpy(c->b, r->b, r->len);
        c->len = r->len;
    }
    return PAIR_PASS;
}

static void capture_record(struct capture *cap, int from, uint32_t index)
{
    memset(cap, 0, sizeof *cap);
    cap->from = from;
    cap->index = index;
    struct pair_config c;
    pair_config_init(&c);
    c.hook = capture_hook;
    c.hook_ref = cap;
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(pair_handshake(&p), PAIR_OK);
    pair_free(&p);
    cr_assert_gt(cap->len, 5);
}

/* Feed one record (then the end of the stream) to a fresh side. Returns its error; *accepted says
 * whether it took the hello (the server answered with handshake records / the client chose a suite). */
static SSLErr feed(int side, const uint8_t *b, size_t n, int *accepted)
{
    struct pair_config c;
    pair_config_init(&c);
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    if (side == PAIR_CLIENT) {
        cr_assert_eq(pair_run_side(&p, PAIR_CLIENT), SSLWouldBlockErr);
        pair_drain(&p, PAIR_SERVER); /* the ClientHello */
    }
    pair_inject(&p, side, b, n);
    pair_eof(&p, side);
    SSLErr e = pair_run_side(&p, side);
    *accepted = 0;
    if (side == PAIR_SERVER) {
        const uint8_t *out;
        size_t len = pair_pending(&p, PAIR_CLIENT, &out);
        for (size_t o = 0; o + 5 <= len; o += 5 + ((size_t)out[o + 3] << 8 | out[o + 4]))
            if (out[o] == 22)
                *accepted = 1;
    } else {
        /* it chose a suite and went on to wait for the Certificate (the driver may still reject a
         * message whose parser set the suite, e.g. for trailing bytes) */
        uint16 s = 0;
        SSLGetNegotiatedCipher(p.s[PAIR_CLIENT].ctx, &s);
        *accepted = s != 0 && e == SSLConnectionClosedError;
    }
    cr_expect_neq(e, SSLWouldBlockErr, "the side must not wait forever after the end of the stream");
    finish(&p);
    return e;
}

/* Offsets of the length fields of a hello record (extensions included); *fixed gets the length of
 * the message body without extensions. */
static int hello_fields(const uint8_t *r, size_t len, int client, size_t *off, size_t *fixed)
{
    int n = 0;
    off[n++] = 3, off[n++] = 4;             /* record length */
    off[n++] = 6, off[n++] = 7, off[n++] = 8; /* handshake length */
    size_t o = 5 + 4 + 2 + 32;
    off[n++] = o;                            /* session ID length */
    o += 1 + r[o];
    if (client) {
        off[n++] = o, off[n++] = o + 1;      /* cipher suites length */
        o += 2 + ((size_t)r[o] << 8 | r[o + 1]);
        off[n++] = o;                        /* compression methods length */
        o += 1 + r[o];
    } else {
        o += 3;
    }
    *fixed = o - 9;
    if (o < len) {
        off[n++] = o, off[n++] = o + 1;      /* extensions length */
        o += 2;
        while (o + 4 <= len) {
            uint16_t type = (uint16_t)(r[o] << 8 | r[o + 1]);
            off[n++] = o + 2, off[n++] = o + 3; /* extension data length */
            size_t dl = (size_t)r[o + 2] << 8 | r[o + 3];
            if (type == 0xff01 && dl)
                off[n++] = o + 4;            /* renegotiated_connection length */
            o += 4 + dl;
        }
    }
    cr_assert_eq(o, len, "the test walks the whole hello");
    return n;
}

static void generated_hello(int client)
{
    struct capture cap;
    capture_record(&cap, client ? PAIR_CLIENT : PAIR_SERVER, 0);
    int victim = client ? PAIR_SERVER : PAIR_CLIENT, accepted;
    /* control: the unchanged hello is taken */
    feed(victim, cap.b, cap.len, &accepted);
    cr_assert(accepted, "the oracle sees an accepted hello");
    uint8_t m[2048];
    size_t hs = cap.len - 5, off[24], fixed;
    int nf = hello_fields(cap.b, cap.len, client, off, &fixed);
    /* every truncation of the message, with consistent headers */
    for (size_t t = 0; t < hs - 4; t++) {
        memcpy(m, cap.b, 5 + 4 + t);
        m[3] = (uint8_t)((4 + t) >> 8), m[4] = (uint8_t)(4 + t);
        m[6] = 0, m[7] = (uint8_t)(t >> 8), m[8] = (uint8_t)t;
        SSLErr e = feed(victim, m, 5 + 4 + t, &accepted);
        if (t == fixed) { /* the hello without its extensions is a valid hello */
            cr_expect(accepted, "the hello without extensions is taken");
            continue;
        }
        cr_expect(!accepted && e != SSLNoErr, "body truncated to %zu: %s", t, SSLXErrorName(e));
        cr_expect(e == SSLProtocolErr || e == SSLNegotiationErr, "body truncated to %zu: %s", t,
                  SSLXErrorName(e));
    }
    /* every truncation of the record on the wire, then the end of the stream */
    for (size_t t = 0; t < cap.len; t++) {
        SSLErr e = feed(victim, cap.b, t, &accepted);
        cr_expect(!accepted && e == SSLConnectionClosedError, "wire truncated to %zu: %s", t,
                  SSLXErrorName(e));
    }
    /* every one-byte change of every length field */
    unsigned failed = 0;
    for (int f = 0; f < nf; f++)
        for (int v = 0; v < 256; v++) {
            if (v == cap.b[off[f]])
                continue;
            memcpy(m, cap.b, cap.len);
            m[off[f]] = (uint8_t)v;
            SSLErr e = feed(victim, m, cap.len, &accepted);
            cr_expect(!accepted && e != SSLNoErr, "byte %zu = %02x: accepted, %s", off[f], v,
                      SSLXErrorName(e));
            failed += e != SSLNoErr;
        }
    cr_log_info("%s: %d length bytes x 255 values, %u failed cleanly", client ? "ClientHello" : "ServerHello",
                nf, failed);
}

Test(badinput, generated_client_hello, .timeout = 120) { generated_hello(1); }

Test(badinput, generated_server_hello, .timeout = 120) { generated_hello(0); }

/* ---- the SSL 2.0-format ClientHello (client and server SSL_Version_Undetermined) ---- */

/* Does @out (what the server wrote) answer a hello: an SSL 3.0 handshake record or an SSL 2.0
 * SERVER-HELLO? An SSL 3.0 alert or an SSL 2.0 ERROR is not an answer. */
static int answers_hello(const uint8_t *out, size_t len)
{
    if (len >= 5 && out[0] == 22)
        return 1;
    return len >= 3 && (out[0] & 0x80) && out[2] == 4;
}

static SSLErr feed_v2(const uint8_t *b, size_t n, int *accepted)
{
    struct pair_config c;
    pair_config_init(&c);
    c.version[PAIR_SERVER] = SSL_Version_Undetermined;
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    pair_inject(&p, PAIR_SERVER, b, n);
    pair_eof(&p, PAIR_SERVER);
    SSLErr e = pair_run_side(&p, PAIR_SERVER);
    const uint8_t *out;
    size_t len = pair_pending(&p, PAIR_CLIENT, &out);
    *accepted = answers_hello(out, len);
    cr_expect_neq(e, SSLWouldBlockErr);
    finish(&p);
    return e;
}

Test(badinput, generated_v2_client_hello, .timeout = 120)
{
    struct pair_config c;
    pair_config_init(&c);
    c.version[PAIR_CLIENT] = SSL_Version_Undetermined;
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(pair_run_side(&p, PAIR_CLIENT), SSLWouldBlockErr);
    const uint8_t *d;
    uint8_t hello[512];
    size_t n = pair_pending(&p, PAIR_SERVER, &d);
    cr_assert(n > 11 && n < sizeof hello && (d[0] & 0x80) && d[2] == 1, "an SSL 2.0 CLIENT-HELLO");
    memcpy(hello, d, n);
    finish(&p);
    int accepted;
    feed_v2(hello, n, &accepted);
    cr_assert(accepted, "control: the hello is answered");
    /* the length fields: record header, cipher-specs, session-id and challenge lengths */
    size_t specs = (size_t)hello[5] << 8 | hello[6], sid = (size_t)hello[7] << 8 | hello[8],
           chal = (size_t)hello[9] << 8 | hello[10];
    cr_assert_eq(11 + specs + sid + chal, n, "the test walks the whole hello");
    static const size_t off[] = {0, 1, 5, 6, 7, 8, 9, 10};
    uint8_t m[512];
    unsigned failed = 0;
    for (size_t f = 0; f < sizeof off / sizeof off[0]; f++)
        for (int v = 0; v < 256; v++) {
            if (v == hello[off[f]])
                continue;
            memcpy(m, hello, n);
            m[off[f]] = (uint8_t)v;
            SSLErr e = feed_v2(m, n, &accepted);
            cr_expect(!accepted && e != SSLNoErr, "byte %zu = %02x: accepted (%s)", off[f], v, SSLXErrorName(e));
            failed += e != SSLNoErr;
        }
    for (size_t t = 0; t < n; t++) {
        SSLErr e = feed_v2(hello, t, &accepted);
        cr_expect(!accepted && e == SSLConnectionClosedError, "cut to %zu: %s", t, SSLXErrorName(e));
    }
    cr_log_info("SSL 2.0 ClientHello: 8 length bytes x 255 values, %u failed cleanly", failed);
}

/* A leaf whose key is not RSA cannot be used for RSA key exchange. */

/* ---- random junk ---- */

/* Random bytes (some starting like a record header) instead of the peer's first flight, and after a
 * completed handshake: the victim fails cleanly once the stream ends, and never accepts them. */
Test(badinput, random_junk, .timeout = 120)
{
    uint8_t junk[600];
    for (uint32_t seed = 1; seed <= 150; seed++) {
        size_t n = 1 + seed * 7 % sizeof junk;
        pair_pattern(junk, n, seed);
        if (seed % 3 == 0) { /* a plausible header: handshake 3.0, random length */
            junk[0] = 22, junk[1] = 3, junk[2] = 0;
        } else if (seed % 3 == 1 && n > 5) {
            junk[0] = (uint8_t)(20 + seed % 4), junk[1] = 3, junk[2] = 0;
            junk[3] = 0, junk[4] = (uint8_t)(n - 5);
            if (junk[0] == 22 && n > 9) { /* a handshake message of a random type, right length */
                junk[5] = (uint8_t)(seed % 21), junk[6] = 0, junk[7] = 0, junk[8] = (uint8_t)(n - 9);
            }
        }
        for (int victim = 0; victim < 2; victim++) {
            /* before the handshake */
            int accepted;
            SSLErr e = victim == PAIR_SERVER ? feed(PAIR_SERVER, junk, n, &accepted)
                                             : feed(PAIR_CLIENT, junk, n, &accepted);
            cr_expect(!accepted && e != SSLNoErr && e != SSLWouldBlockErr, "seed %u victim %d: %s", seed,
                      victim, SSLXErrorName(e));
            /* after it */
            struct pair_config c;
            pair_config_init(&c);
            struct pair p;
            cr_assert_eq(pair_init(&p, &c), SSLNoErr);
            cr_assert_eq(pair_handshake(&p), PAIR_OK);
            pair_inject(&p, victim, junk, n);
            pair_eof(&p, victim);
            uint8_t b[700];
            uint32 len = sizeof b;
            e = SSLRead(b, &len, p.s[victim].ctx);
            for (int i = 0; i < 10 && e == SSLNoErr; i++) {
                cr_expect_eq(len, 0, "seed %u: junk accepted as data", seed);
                len = sizeof b;
                e = SSLRead(b, &len, p.s[victim].ctx);
            }
            cr_expect(e != SSLNoErr && e != SSLWouldBlockErr && e != SSLConnectionClosedGraceful,
                      "seed %u victim %d after the handshake: %s", seed, victim, SSLXErrorName(e));
            finish(&p);
        }
    }
}
