/*
 * test_badinput.c - hostile bytes between two contexts (a man in the middle in the pair's pipes):
 * a bad MAC, truncated records, records over the length limit, unknown content types and versions,
 * handshake messages whose length lies, an unexpected message in each handshake state (plaintext and,
 * with a NULL-cipher suite whose MAC the test can compute, after ChangeCipherSpec), alerts; and
 * generated cases: every truncation and every one-byte change of each length field of a captured
 * ClientHello and ServerHello. Each must give the right error and alert, and leak nothing.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>
#include "pair.h"
#include "ctx.h"
#include "mac3.h"

#define AL(level, desc) ((uint16_t)((level) << 8 | (desc)))
#define FATAL(desc) AL(2, desc)
enum { UNEXPECTED = 10, BAD_MAC = 20, HS_FAILURE = 40, ILLEGAL = 47 };

static const uint16_t null_sha = SSL_RSA_WITH_NULL_SHA;

/* ---- the man in the middle ---- */

enum op { OP_NONE, OP_REPLACE, OP_PREPEND, OP_FLIP, OP_TRUNC_CLOSE, OP_FORGE, OP_HSLEN, OP_SET };

struct mitm {
    struct pair *p;
    int from;
    uint32_t index;     /* the record of @from to act on; with appdata: the n-th application record */
    int appdata;        /* count only application-data records */
    uint32_t seen;
    enum op op;
    uint8_t bytes[20000]; /* OP_REPLACE/OP_PREPEND: raw bytes; OP_FORGE: the plaintext */
    size_t nbytes;
    uint8_t forge_type;
    long off;           /* OP_FLIP/OP_SET: byte offset (negative: from the end) */
    uint8_t val;        /* OP_FLIP: xor mask; OP_SET: value */
    size_t trunc;       /* OP_TRUNC_CLOSE: bytes kept */
    long delta;         /* OP_HSLEN: added to the first handshake message's length */
    long rec_delta;     /* OP_HSLEN: added to the record length (extra bytes appended are 0x00) */
    int hit;
};

/* A record sealed with the sender's current NULL-cipher write state, at the sequence number of the
 * record it replaces (which was sealed just before). */
static size_t forge(struct pair *p, int from, uint8_t type, const uint8_t *body, size_t n, uint8_t *out)
{
    const struct dirstate *d = &p->s[from].ctx->wr_cur;
    cr_assert(d->suite && d->suite->cipher == CRY_C_NULL, "forging needs a NULL-cipher suite");
    size_t len = n + d->suite->mac_len;
    out[0] = type;
    out[1] = 3;
    out[2] = 0;
    out[3] = (uint8_t)(len >> 8);
    out[4] = (uint8_t)len;
    memmove(out + 5, body, n);
    mac3_compute(d->suite->mac, d->mac_secret, d->seq - 1, type, out + 5, n, out + 5 + n);
    return 5 + len;
}

static int mitm_hook(int from, uint32_t index, struct pair_rec *r, void *ref)
{
    struct mitm *m = ref;
    if (from != m->from || m->op == OP_NONE)
        return PAIR_PASS;
    if (m->appdata) {
        if (r->b[0] != 23 || m->seen++ != m->index)
            return PAIR_PASS;
    } else if (index != m->index) {
        return PAIR_PASS;
    }
    m->hit = 1;
    size_t pos = m->off < 0 ? (size_t)((long)r->len + m->off) : (size_t)m->off;
    switch (m->op) {
    case OP_REPLACE:
        memcpy(r->b, m->bytes, m->nbytes);
        r->len = m->nbytes;
        break;
    case OP_PREPEND:
        memmove(r->b + m->nbytes, r->b, r->len);
        memcpy(r->b, m->bytes, m->nbytes);
        r->len += m->nbytes;
        break;
    case OP_FLIP:
        r->b[pos] ^= m->val;
        break;
    case OP_SET:
        r->b[pos] = m->val;
        break;
    case OP_TRUNC_CLOSE:
        r->len = m->trunc;
        return PAIR_CLOSE;
    case OP_FORGE:
        r->len = forge(m->p, from, m->forge_type, m->bytes, m->nbytes, r->b);
        break;
    case OP_HSLEN: {
        uint32_t hl = (uint32_t)r->b[6] << 16 | (uint32_t)r->b[7] << 8 | r->b[8];
        hl = (uint32_t)((long)hl + m->delta);
        r->b[6] = (uint8_t)(hl >> 16), r->b[7] = (uint8_t)(hl >> 8), r->b[8] = (uint8_t)hl;
        size_t rl = (size_t)r->b[3] << 8 | r->b[4];
        if (m->rec_delta > 0)
            memset(r->b + r->len, 0, (size_t)m->rec_delta);
        rl = (size_t)((long)rl + m->rec_delta);
        r->b[3] = (uint8_t)(rl >> 8), r->b[4] = (uint8_t)rl;
        r->len = 5 + rl;
        break;
    }
    default:
        break;
    }
    return PAIR_PASS;
}

/* A plaintext record. */
static size_t rec(uint8_t *out, uint8_t type, const uint8_t *body, size_t n)
{
    out[0] = type;
    out[1] = 3;
    out[2] = 0;
    out[3] = (uint8_t)(n >> 8);
    out[4] = (uint8_t)n;
    if (n)
        memmove(out + 5, body, n);
    return 5 + n;
}

/* A handshake message of @n bytes of 0x01 (no parser gets to see the body). */
static size_t hs_body(uint8_t *out, uint8_t hs_type, size_t n)
{
    out[0] = hs_type;
    out[1] = (uint8_t)(n >> 16);
    out[2] = (uint8_t)(n >> 8);
    out[3] = (uint8_t)n;
    memset(out + 4, 1, n);
    return 4 + n;
}

static void expect_no_leaks(const struct pair *p)
{
    for (int side = 0; side < 2; side++) {
        cr_expect_eq(p->s[side].alloc.live_blocks, 0, "side %d: %ld blocks leaked", side,
                     p->s[side].alloc.live_blocks);
        cr_expect_eq(p->s[side].alloc.bad_frees, 0);
        cr_expect_eq(p->s[side].alloc.unwiped_frees, 0, "side %d: blocks freed without wiping", side);
    }
}

static uint16_t alert_sent(struct pair *p, int side)
{
    uint16 s = 0, r = 0;
    SSLXGetLastAlerts(p->s[side].ctx, &s, &r);
    return s;
}

static uint16_t alert_recv(struct pair *p, int side)
{
    uint16 s = 0, r = 0;
    SSLXGetLastAlerts(p->s[side].ctx, &s, &r);
    return r;
}

/* The victim failed with @err after sending @alert (0: none); the other side, reading on if it had
 * finished, sees that alert as SSLFatalAlert. */
static void expect_failure(struct pair *p, int victim, SSLErr err, uint16_t alert, const char *what)
{
    cr_expect_eq(p->s[victim].last, err, "%s: victim got %s, want %s", what,
                 SSLXErrorName(p->s[victim].last), SSLXErrorName(err));
    cr_expect_eq(alert_sent(p, victim), alert, "%s: victim sent alert %04x, want %04x", what,
                 alert_sent(p, victim), alert);
    int other = PAIR_PEER(victim);
    SSLErr oe = p->s[other].last;
    if (oe == SSLNoErr || oe == SSLWouldBlockErr) {
        uint8_t b[64];
        uint32 len = sizeof b;
        oe = SSLRead(b, &len, p->s[other].ctx);
    }
    if (alert) {
        cr_expect_eq(oe, SSLFatalAlert, "%s: the other side got %s", what, SSLXErrorName(oe));
        cr_expect_eq(alert_recv(p, other), alert, "%s: the other side received %04x", what,
                     alert_recv(p, other));
    } else {
        cr_expect(oe == SSLConnectionClosedError || oe == SSLWouldBlockErr,
                  "%s: the other side got %s", what, SSLXErrorName(oe));
    }
    uint8_t b[4];
    uint32 len = sizeof b;
    cr_expect_eq(SSLRead(b, &len, p->s[victim].ctx), err, "%s: the error is sticky", what);
}

static void start(struct pair *p, struct mitm *m, const uint16_t *suite)
{
    struct pair_config c;
    pair_config_init(&c);
    if (suite)
        pair_config_suite(&c, suite);
    c.hook = mitm_hook;
    c.hook_ref = m;
    cr_assert_eq(pair_init(p, &c), SSLNoErr);
    m->p = p;
}

static void finish(struct pair *p)
{
    pair_free(p);
    expect_no_leaks(p);
}

/* Send @n bytes from @from after the handshake; the peer's read fails. */
static void send_after_handshake(struct pair *p, int from, size_t n)
{
    cr_assert_eq(pair_handshake(p), PAIR_OK, "%s / %s", SSLXErrorName(p->s[0].last),
                 SSLXErrorName(p->s[1].last));
    uint8_t buf[200];
    pair_pattern(buf, sizeof buf, 1);
    SSLErr e = pair_send(p, from, buf, n);
    cr_expect_neq(e, SSLNoErr, "the receiver must fail");
}

/* ---- bad MAC ---- */

struct mac_param {
    uint16_t suite;
    int from;
    int last_byte;
};

ParameterizedTestParameters(badinput, bad_mac)
{
    static struct mac_param ps[PAIR_NSUITES * 4];
    for (int i = 0; i < PAIR_NSUITES; i++)
        for (int j = 0; j < 4; j++)
            ps[4 * i + j] = (struct mac_param){pair_suites[i], j & 1, j >> 1};
    return cr_make_param_array(struct mac_param, ps, PAIR_NSUITES * 4);
}

ParameterizedTest(struct mac_param *mp, badinput, bad_mac)
{
    struct mitm *m = calloc(1, sizeof *m);
    struct pair p;
    start(&p, m, &mp->suite);
    m->from = mp->from;
    m->appdata = 1;
    m->index = 0;
    m->op = OP_FLIP;
    m->off = mp->last_byte ? -1 : 5;
    m->val = 0x01;
    send_after_handshake(&p, mp->from, 100);
    cr_expect(m->hit);
    expect_failure(&p, PAIR_PEER(mp->from), SSLProtocolErr, FATAL(BAD_MAC), "bad MAC");
    finish(&p);
    free(m);
}

/* A changed byte in the encrypted Finished. */
Test(badinput, bad_mac_in_finished)
{
    for (int from = 0; from < 2; from++) {
        struct mitm *m = calloc(1, sizeof *m);
        struct pair p;
        start(&p, m, NULL);
        m->from = from;
        m->index = from == PAIR_CLIENT ? 3 : 4;
        m->op = OP_FLIP;
        m->off = 10;
        m->val = 0x80;
        cr_expect_eq(pair_handshake(&p), PAIR_FAILED);
        cr_expect(m->hit);
        expect_failure(&p, PAIR_PEER(from), SSLProtocolErr, FATAL(BAD_MAC), "Finished MAC");
        finish(&p);
        free(m);
    }
}

/* ---- truncation ---- */

Test(badinput, truncated_record_after_handshake)
{
    static const size_t keep[] = {0, 3, 5, 6, 20};
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
        struct mitm *m = calloc(1, sizeof *m);
        struct pair p;
        start(&p, m, NULL);
        m->from = PAIR_CLIENT;
        m->appdata = 1;
        m->op = OP_TRUNC_CLOSE;
        m->trunc = keep[i];
        send_after_handshake(&p, PAIR_CLIENT, 100);
        cr_expect(m->hit);
        expect_failure(&p, PAIR_SERVER, SSLConnectionClosedError, 0, "truncated");
        finish(&p);
        free(m);
    }
}

Test(badinput, truncated_record_in_handshake)
{
    for (int from = 0; from < 2; from++)
        for (size_t keep = 2; keep < 40; keep += 9) {
            struct mitm *m = calloc(1, sizeof *m);
            struct pair p;
            start(&p, m, NULL);
            m->from = from;
            m->index = 0;
            m->op = OP_TRUNC_CLOSE;
            m->trunc = keep;
            cr_expect_eq(pair_handshake(&p), PAIR_FAILED);
            expect_failure(&p, PAIR_PEER(from), SSLConnectionClosedError, 0, "truncated hello");
            finish(&p);
            free(m);
        }
}

/* ---- record length limits ---- */

Test(badinput, record_over_limit)
{
    /* after the handshake: 2^14 + 2048 + 1 bytes of ciphertext; before it: 2^14 + 1 of plaintext */
    static const struct {
        int after;
        size_t len;
        SSLErr err;
        uint16_t alert;
    } cases[] = {
        {1, 16384 + 2048 + 1, SSLProtocolErr, FATAL(ILLEGAL)},
        {1, 65535, SSLProtocolErr, FATAL(ILLEGAL)},
        {1, 16384 + 2048, SSLProtocolErr, FATAL(BAD_MAC)}, /* at the limit: read, then the MAC fails */
        {0, 16385, SSLProtocolErr, FATAL(ILLEGAL)},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct mitm *m = calloc(1, sizeof *m);
        struct pair p;
        start(&p, m, NULL);
        m->from = PAIR_CLIENT;
        m->op = OP_REPLACE;
        uint8_t type = cases[i].after ? 23 : 22;
        memset(m->bytes, 0x42, sizeof m->bytes);
        size_t body = cases[i].len <= sizeof m->bytes - 5 ? cases[i].len : 0; /* a header is enough */
        rec(m->bytes, type, m->bytes + 5, body);
        m->bytes[3] = (uint8_t)(cases[i].len >> 8);
        m->bytes[4] = (uint8_t)cases[i].len;
        m->nbytes = 5 + body;
        if (cases[i].after) {
            m->appdata = 1;
            send_after_handshake(&p, PAIR_CLIENT, 10);
        } else {
            m->index = 0;
            cr_expect_eq(pair_handshake(&p), PAIR_FAILED);
        }
        cr_expect(m->hit);
        expect_failure(&p, PAIR_SERVER, cases[i].err, cases[i].alert, "record length");
        finish(&p);
        free(m);
    }
}

/* A NULL-cipher record whose MAC is right but whose plaintext is 2^14 + 1 bytes. */
Test(badinput, plaintext_over_limit_with_good_mac)
{
    struct mitm *m = calloc(1, sizeof *m);
    struct pair p;
    start(&p, m, &null_sha);
    m->from = PAIR_CLIENT;
    m->appdata = 1;
    m->op = OP_FORGE;
    m->forge_type = 23;
    m->nbytes = 16385;
    memset(m->bytes, 'x', m->nbytes);
    send_after_handshake(&p, PAIR_CLIENT, 10);
    cr_expect(m->hit);
    expect_failure(&p, PAIR_SERVER, SSLProtocolErr, FATAL(ILLEGAL), "plaintext over 2^14");
    finish(&p);
    free(m);
}

/* Control for the forging: a forged record with the right MAC is accepted. */
Test(badinput, forged_record_control)
{
    struct mitm *m = calloc(1, sizeof *m);
    struct pair p;
    start(&p, m, &null_sha);
    m->from = PAIR_CLIENT;
    m->appdata = 1;
    m->op = OP_FORGE;
    m->forge_type = 23;
    m->nbytes = 5;
    memcpy(m->bytes, "hello", 5);
    cr_assert_eq(pair_handshake(&p), PAIR_OK);
    uint8_t buf[3] = {1, 2, 3};
    cr_expect_eq(pair_send(&p, PAIR_CLIENT, buf, 3), SSLNoErr);
    cr_expect_eq(pair_recv_all(&p, PAIR_SERVER, 5), SSLNoErr);
    cr_expect(p.s[PAIR_SERVER].rx_len == 5 && memcmp(p.s[PAIR_SERVER].rx, "hello", 5) == 0);
    finish(&p);
    free(m);
}

/* ---- content type and version ---- */

Test(badinput, unknown_content_type)
{
    static const uint8_t types[] = {0, 19, 24, 100};
    for (int after = 0; after < 2; after++)
        for (size_t i = 0; i < sizeof types; i++) {
            struct mitm *m = calloc(1, sizeof *m);
            struct pair p;
            start(&p, m, NULL);
            m->from = PAIR_CLIENT;
            m->op = OP_SET;
            m->off = 0;
            m->val = types[i];
            if (after) {
                m->appdata = 1;
                send_after_handshake(&p, PAIR_CLIENT, 10);
            } else {
                m->index = 0;
                cr_expect_eq(pair_handshake(&p), PAIR_FAILED);
            }
            cr_expect(m->hit);
            expect_failure(&p, PAIR_SERVER, SSLProtocolErr, FATAL(UNEXPECTED), "content type");
            finish(&p);
            free(m);
        }
}

Test(badinput, bad_record_version)
{
    /* major version 2 in the first record from the server; minor 1 once 3.0 is agreed */
    static const struct {
        int from;
        uint32_t index;
        int appdata;
        long off;
        uint8_t val;
    } cases[] = {{PAIR_SERVER, 0, 0, 1, 2}, {PAIR_SERVER, 1, 0, 2, 1}, {PAIR_CLIENT, 1, 0, 2, 1},
                 {PAIR_CLIENT, 0, 1, 1, 4}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct mitm *m = calloc(1, sizeof *m);
        struct pair p;
        start(&p, m, NULL);
        m->from = cases[i].from;
        m->index = cases[i].index;
        m->appdata = cases[i].appdata;
        m->op = OP_SET;
        m->off = cases[i].off;
        m->val = cases[i].val;
        if (cases[i].appdata)
            send_after_handshake(&p, cases[i].from, 10);
        else
            cr_expect_eq(pair_handshake(&p), PAIR_FAILED);
        cr_expect(m->hit);
        expect_failure(&p, PAIR_PEER(cases[i].from), SSLProtocolErr, FATAL(ILLEGAL), "record version");
        finish(&p);
        free(m);
    }
}

/* ---- handshake length fields that lie ---- */

Test(badinput, handshake_length_lies)
{
    static const struct {
        const char *what;
        int from;
        uint32_t index;
        long delta, rec_delta;
        uint16_t alert;
    } cases[] = {
        {"ClientHello shorter", PAIR_CLIENT, 0, -1, 0, FATAL(ILLEGAL)},
        {"ClientHello over the message limit", PAIR_CLIENT, 0, 0xfff000, 0, FATAL(ILLEGAL)},
        {"ClientKeyExchange longer (straddles ChangeCipherSpec)", PAIR_CLIENT, 1, 1, 0, FATAL(UNEXPECTED)},
        {"ClientKeyExchange shorter (a byte left before ChangeCipherSpec)", PAIR_CLIENT, 1, -1, 0,
         FATAL(UNEXPECTED)},
        {"ServerHello shorter", PAIR_SERVER, 0, -2, 0, FATAL(ILLEGAL)},
        {"Certificate shorter", PAIR_SERVER, 1, -1, 0, FATAL(ILLEGAL)},
        {"Certificate longer (swallows ServerHelloDone)", PAIR_SERVER, 1, 4, 0, FATAL(ILLEGAL)},
        {"ServerHelloDone with a body", PAIR_SERVER, 2, 1, 1, FATAL(ILLEGAL)},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct mitm *m = calloc(1, sizeof *m);
        struct pair p;
        start(&p, m, NULL);
        m->from = cases[i].from;
        m->index = cases[i].index;
        m->op = OP_HSLEN;
        m->delta = cases[i].delta;
        m->rec_delta = cases[i].rec_delta;
        int r = pair_handshake(&p);
        cr_expect_eq(r, PAIR_FAILED, "%s: %d", cases[i].what, r);
        cr_expect(m->hit);
        expect_failure(&p, PAIR_PEER(cases[i].from), SSLProtocolErr, cases[i].alert, cases[i].what);
        finish(&p);
        free(m);
    }
}

/* ---- an unexpected message in each state ---- */

struct unexpected_case {
    const char *what;
    int from;
    uint32_t index; /* record of @from replaced (full handshake: client CH CKE CCS Fin, server SH
                       Cert SHD CCS Fin) */
    int forged;     /* the replacement is sealed under the new keys (NULL cipher + MAC) */
    uint8_t type;   /* record type */
    int hs_type;    /* handshake type, or -1 */
    size_t len;     /* body length */
};

static const struct unexpected_case unexpected_cases[] = {
    /* the server waits for ClientHello */
    {"app data before ClientHello", PAIR_CLIENT, 0, 0, 23, -1, 1},
    {"CCS before ClientHello", PAIR_CLIENT, 0, 0, 20, -1, 1},
    {"ServerHello to a server", PAIR_CLIENT, 0, 0, 22, 2, 70},
    {"Finished before ClientHello", PAIR_CLIENT, 0, 0, 22, 20, 36},
    {"HelloRequest to a server", PAIR_CLIENT, 0, 0, 22, 0, 0},
    {"ClientKeyExchange before ClientHello", PAIR_CLIENT, 0, 0, 22, 16, 256},
    {"no_certificate before ClientHello", PAIR_CLIENT, 0, 0, 21, -2, 2},
    /* the server waits for ClientKeyExchange */
    {"CCS instead of ClientKeyExchange", PAIR_CLIENT, 1, 0, 20, -1, 1},
    {"Finished instead of ClientKeyExchange", PAIR_CLIENT, 1, 0, 22, 20, 36},
    {"second ClientHello", PAIR_CLIENT, 1, 0, 22, 1, 41},
    {"ServerHelloDone to a server", PAIR_CLIENT, 1, 0, 22, 14, 0},
    {"unrequested client Certificate", PAIR_CLIENT, 1, 0, 22, 11, 3},
    {"app data instead of ClientKeyExchange", PAIR_CLIENT, 1, 0, 23, -1, 4},
    /* the server waits for the client's ChangeCipherSpec */
    {"plaintext Finished instead of CCS", PAIR_CLIENT, 2, 0, 22, 20, 36},
    {"app data instead of CCS", PAIR_CLIENT, 2, 0, 23, -1, 4},
    {"second ClientKeyExchange", PAIR_CLIENT, 2, 0, 22, 16, 256},
    /* the server waits for the client's Finished (encrypted) */
    {"app data instead of client Finished", PAIR_CLIENT, 3, 1, 23, -1, 4},
    {"second CCS instead of client Finished", PAIR_CLIENT, 3, 1, 20, -1, 1},
    {"ClientHello instead of client Finished", PAIR_CLIENT, 3, 1, 22, 1, 41},
    /* the client waits for ServerHello */
    {"Certificate before ServerHello", PAIR_SERVER, 0, 0, 22, 11, 3},
    {"ServerHelloDone before ServerHello", PAIR_SERVER, 0, 0, 22, 14, 0},
    {"Finished before ServerHello", PAIR_SERVER, 0, 0, 22, 20, 36},
    {"ClientHello to a client", PAIR_SERVER, 0, 0, 22, 1, 41},
    {"CCS before ServerHello", PAIR_SERVER, 0, 0, 20, -1, 1},
    {"app data before ServerHello", PAIR_SERVER, 0, 0, 23, -1, 4},
    /* the client waits for Certificate */
    {"ServerHelloDone without Certificate", PAIR_SERVER, 1, 0, 22, 14, 0},
    {"second ServerHello", PAIR_SERVER, 1, 0, 22, 2, 70},
    {"ServerKeyExchange in an RSA suite", PAIR_SERVER, 1, 0, 22, 12, 10},
    {"CCS instead of Certificate", PAIR_SERVER, 1, 0, 20, -1, 1},
    /* the client waits for ServerHelloDone */
    {"CCS instead of ServerHelloDone", PAIR_SERVER, 2, 0, 20, -1, 1},
    {"Finished instead of ServerHelloDone", PAIR_SERVER, 2, 0, 22, 20, 36},
    {"second Certificate", PAIR_SERVER, 2, 0, 22, 11, 3},
    /* the client waits for the server's ChangeCipherSpec */
    {"plaintext Finished instead of server CCS", PAIR_SERVER, 3, 0, 22, 20, 36},
    {"app data instead of server CCS", PAIR_SERVER, 3, 0, 23, -1, 4},
    /* the client waits for the server's Finished (encrypted) */
    {"app data instead of server Finished", PAIR_SERVER, 4, 1, 23, -1, 4},
    {"CCS instead of server Finished", PAIR_SERVER, 4, 1, 20, -1, 1},
    {"ServerHelloDone instead of server Finished", PAIR_SERVER, 4, 1, 22, 14, 0},
};

ParameterizedTestParameters(badinput, unexpected_message)
{
    return cr_make_param_array(struct unexpected_case, (void *)unexpected_cases,
                               sizeof unexpected_cases / sizeof unexpected_cases[0]);
}

ParameterizedTest(struct unexpected_case *uc, badinput, unexpected_message)
{
    struct mitm *m = calloc(1, sizeof *m);
    struct pair p;
    start(&p, m, &null_sha);
    m->from = uc->from;
    m->index = uc->index;
    uint8_t body[400];
    size_t n;
    if (uc->hs_type >= 0) {
        n = hs_body(body, (uint8_t)uc->hs_type, uc->len);
    } else if (uc->hs_type == -2) {
        body[0] = 1; /* warning no_certificate */
        body[1] = 41;
        n = 2;
    } else {
        memset(body, 1, uc->len);
        n = uc->len;
    }
    if (uc->forged) {
        m->op = OP_FORGE;
        m->forge_type = uc->type;
        memcpy(m->bytes, body, n);
        m->nbytes = n;
    } else {
        m->op = OP_REPLACE;
        m->nbytes = rec(m->bytes, uc->type, body, n);
    }
    int r = pair_handshake(&p);
    cr_expect_eq(r, PAIR_FAILED, "%s: %d", uc->what, r);
    cr_expect(m->hit, "%s: the record was replaced", uc->what);
    expect_failure(&p, PAIR_PEER(uc->from), SSLProtocolErr, FATAL(UNEXPECTED), uc->what);
    finish(&p);
    free(m);
}

/* The resumed flow: unexpected messages where ChangeCipherSpec must come. */
Test(badinput, unexpected_in_resumed_handshake)
{
    for (int from = 0; from < 2; from++) {
        struct pair_cache cc, sc;
        pair_cache_init(&cc);
        pair_cache_init(&sc);
        struct pair_config c;
        pair_config_init(&c);
        c.cache[0] = &cc;
        c.cache[1] = &sc;
        struct pair p;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        cr_assert_eq(pair_handshake(&p), PAIR_OK);
        SSLErr ce;
        cr_expect_eq(pair_close(&p, PAIR_CLIENT, &ce), SSLConnectionClosedGraceful);
        pair_free(&p);
        struct mitm *m = calloc(1, sizeof *m);
        c.hook = mitm_hook;
        c.hook_ref = m;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        m->p = &p;
        m->from = from;
        m->index = 1; /* resumed: client CH CCS Fin; server SH CCS Fin */
        m->op = OP_REPLACE;
        uint8_t body[64];
        size_t n = from == PAIR_SERVER ? hs_body(body, 11, 3) : hs_body(body, 16, 40);
        m->nbytes = rec(m->bytes, 22, body, n);
        cr_expect_eq(pair_handshake(&p), PAIR_FAILED);
        cr_expect(m->hit);
        int resumed = 0;
        SSLXGetResumed(p.s[PAIR_PEER(from)].ctx, &resumed);
        cr_expect(resumed, "the victim was resuming");
        expect_failure(&p, PAIR_PEER(from), SSLProtocolErr, FATAL(UNEXPECTED), "resumed flow");
        finish(&p);
        cr_expect_eq(cc.n, 0, "a fatal error forgets the session (client)");
        cr_expect_eq(sc.n, 0, "a fatal error forgets the session (server)");
        free(m);
        pair_cache_clear(&cc);
        pair_cache_clear(&sc);
    }
}

/* ---- alerts ---- */

Test(badinput, fatal_alert_from_peer)
{
    struct mitm *m = calloc(1, sizeof *m);
    struct pair p;
    start(&p, m, NULL);
    m->from = PAIR_SERVER;
    m->index = 1;
    m->op = OP_REPLACE;
    const uint8_t al[2] = {2, HS_FAILURE};
    m->nbytes = rec(m->bytes, 21, al, 2);
    cr_expect_eq(pair_handshake(&p), PAIR_FAILED);
    cr_expect_eq(p.s[PAIR_CLIENT].last, SSLFatalAlert);
    cr_expect_eq(alert_recv(&p, PAIR_CLIENT), FATAL(HS_FAILURE));
    cr_expect_eq(alert_sent(&p, PAIR_CLIENT), 0, "no alert is sent back for a fatal alert");
    finish(&p);
    free(m);
}

Test(badinput, warning_alerts_are_ignored)
{
    struct mitm *m = calloc(1, sizeof *m);
    struct pair p;
    start(&p, m, NULL);
    m->from = PAIR_SERVER;
    m->index = 1;
    m->op = OP_PREPEND;
    const uint8_t al[4] = {1, 42, 1, 46}; /* warning bad_certificate, certificate_unknown */
    m->nbytes = rec(m->bytes, 21, al, 4);
    cr_expect_eq(pair_handshake(&p), PAIR_OK, "%s / %s", SSLXErrorName(p.s[0].last),
                 SSLXErrorName(p.s[1].last));
    cr_expect(m->hit);
    cr_expect_eq(alert_recv(&p, PAIR_CLIENT), AL(1, 46));
    finish(&p);
    free(m);
}

Test(badinput, malformed_alert_record)
{
    static const size_t lens[] = {0, 1, 3};
    for (size_t i = 0; i < 3; i++) {
        struct mitm *m = calloc(1, sizeof *m);
        struct pair p;
        start(&p, m, NULL);
        m->from = PAIR_SERVER;
        m->index = 1;
        m->op = OP_REPLACE;
        const uint8_t al[3] = {1, 42, 1};
        m->nbytes = rec(m->bytes, 21, al, lens[i]);
        cr_expect_eq(pair_handshake(&p), PAIR_FAILED);
        expect_failure(&p, PAIR_CLIENT, SSLProtocolErr, FATAL(UNEXPECTED), "alert length");
        finish(&p);
        free(m);
    }
}

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

/* ---- after the handshake (NULL-cipher suite, records forged with the right MAC) ---- */

/* Replace the first application record of @from (1 byte "a") by a forged record; then send "b". */
static SSLErr forge_after(struct pair *p, struct mitm *m, int from, uint8_t type, const uint8_t *body,
                          size_t n)
{
    start(p, m, &null_sha);
    m->from = from;
    m->appdata = 1;
    m->op = OP_FORGE;
    m->forge_type = type;
    memcpy(m->bytes, body, n);
    m->nbytes = n;
    cr_assert_eq(pair_handshake(p), PAIR_OK);
    SSLErr e = pair_send(p, from, "a", 1);
    cr_expect(m->hit);
    return e;
}

Test(badinput, hello_request_is_ignored_by_a_client)
{
    struct mitm *m = calloc(1, sizeof *m);
    struct pair p;
    const uint8_t hr[4] = {0, 0, 0, 0};
    cr_expect_eq(forge_after(&p, m, PAIR_SERVER, 22, hr, 4), SSLNoErr);
    cr_expect_eq(pair_exchange(&p, PAIR_SERVER, "b", 1), SSLNoErr, "the next record is read");
    cr_expect_eq(p.s[PAIR_CLIENT].rx_len, 1);
    finish(&p);
    free(m);
}

Test(badinput, zero_length_app_data_is_skipped)
{
    struct mitm *m = calloc(1, sizeof *m);
    struct pair p;
    cr_expect_eq(forge_after(&p, m, PAIR_CLIENT, 23, (const uint8_t *)"", 0), SSLNoErr);
    cr_expect_eq(pair_exchange(&p, PAIR_CLIENT, "b", 1), SSLNoErr);
    cr_expect(p.s[PAIR_SERVER].rx_len == 1 && p.s[PAIR_SERVER].rx[0] == 'b');
    finish(&p);
    free(m);
}

Test(badinput, renegotiation_is_refused)
{
    struct mitm *m = calloc(1, sizeof *m);
    struct pair p;
    uint8_t ch[64];
    size_t n = hs_body(ch, 1, 41);
    cr_expect_eq(forge_after(&p, m, PAIR_CLIENT, 22, ch, n), SSLProtocolErr);
    cr_expect_eq(p.s[PAIR_SERVER].last, SSLProtocolErr, "%s", SSLXErrorName(p.s[PAIR_SERVER].last));
    expect_failure(&p, PAIR_SERVER, SSLProtocolErr, FATAL(HS_FAILURE), "ClientHello after the handshake");
    finish(&p);
    free(m);
}

Test(badinput, ccs_after_handshake)
{
    for (int from = 0; from < 2; from++) {
        struct mitm *m = calloc(1, sizeof *m);
        struct pair p;
        const uint8_t one = 1;
        cr_expect_eq(forge_after(&p, m, from, 20, &one, 1), SSLProtocolErr);
        if (p.s[PAIR_PEER(from)].last == SSLNoErr) { /* pair_send stopped before the peer read */
            uint8_t b[4];
            uint32 len = sizeof b;
            p.s[PAIR_PEER(from)].last = SSLRead(b, &len, p.s[PAIR_PEER(from)].ctx);
        }
        expect_failure(&p, PAIR_PEER(from), SSLProtocolErr, FATAL(UNEXPECTED), "CCS after the handshake");
        finish(&p);
        free(m);
    }
}

Test(badinput, alerts_after_handshake)
{
    /* a warning is ignored; a fatal alert ends the connection without an answer */
    struct mitm *m = calloc(1, sizeof *m);
    struct pair p;
    const uint8_t warn[2] = {1, 41};
    cr_expect_eq(forge_after(&p, m, PAIR_CLIENT, 21, warn, 2), SSLNoErr);
    cr_expect_eq(pair_exchange(&p, PAIR_CLIENT, "b", 1), SSLNoErr, "warning ignored");
    finish(&p);
    memset(m, 0, sizeof *m);
    const uint8_t fatal[2] = {2, 20};
    SSLErr e = forge_after(&p, m, PAIR_CLIENT, 21, fatal, 2);
    cr_expect_eq(e, SSLFatalAlert, "%s", SSLXErrorName(e));
    cr_expect_eq(alert_recv(&p, PAIR_SERVER), FATAL(BAD_MAC));
    cr_expect_eq(alert_sent(&p, PAIR_SERVER), 0);
    finish(&p);
    free(m);
}

/* ---- hello contents a peer must refuse ---- */

Test(badinput, hello_values)
{
    static const struct {
        const char *what;
        int from;
        long off;
        uint8_t val;
        SSLErr err;
        uint16_t alert;
    } cases[] = {
        {"ClientHello version 2.0", PAIR_CLIENT, 9, 2, SSLNegotiationErr, FATAL(HS_FAILURE)},
        {"ClientHello without the null compression method", PAIR_CLIENT, -1, 1, SSLNegotiationErr,
         FATAL(HS_FAILURE)},
        {"ClientHello suites changed in flight (Finished catches it)", PAIR_CLIENT, 49, 0x0a,
         SSLProtocolErr, FATAL(HS_FAILURE)},
        {"ServerHello version 3.1", PAIR_SERVER, 10, 1, SSLNegotiationErr, FATAL(HS_FAILURE)},
        {"ServerHello suite not offered", PAIR_SERVER, 77, 0x04, SSLProtocolErr, FATAL(ILLEGAL)},
        {"ServerHello unknown suite", PAIR_SERVER, 76, 0x7f, SSLProtocolErr, FATAL(ILLEGAL)},
        {"ServerHello compression 1", PAIR_SERVER, 78, 1, SSLProtocolErr, FATAL(ILLEGAL)},
    };
    static const uint16_t suites[] = {TLS_RSA_WITH_AES_128_CBC_SHA, TLS_RSA_WITH_AES_256_CBC_SHA};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct mitm *m = calloc(1, sizeof *m);
        struct pair_config c;
        pair_config_init(&c);
        c.suites[PAIR_CLIENT] = suites; /* offer 002f, 0035 (+SCSV); the server has only 002f */
        c.nsuites[PAIR_CLIENT] = 2;
        c.suites[PAIR_SERVER] = suites;
        c.nsuites[PAIR_SERVER] = 1;
        c.hook = mitm_hook;
        c.hook_ref = m;
        struct pair p;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        m->p = &p;
        m->from = cases[i].from;
        m->index = 0;
        m->op = OP_SET;
        m->off = cases[i].off;
        m->val = cases[i].val;
        cr_expect_eq(pair_handshake(&p), PAIR_FAILED, "%s", cases[i].what);
        cr_expect(m->hit);
        expect_failure(&p, PAIR_PEER(cases[i].from), cases[i].err, cases[i].alert, cases[i].what);
        finish(&p);
        free(m);
    }
}

/* A changed server random gives the client other keys: the server sees a bad MAC on Finished. */
Test(badinput, server_random_changed)
{
    struct mitm *m = calloc(1, sizeof *m);
    struct pair p;
    start(&p, m, NULL);
    m->from = PAIR_SERVER;
    m->index = 0;
    m->op = OP_FLIP;
    m->off = 20;
    m->val = 0x40;
    cr_expect_eq(pair_handshake(&p), PAIR_FAILED);
    expect_failure(&p, PAIR_SERVER, SSLProtocolErr, FATAL(BAD_MAC), "server random");
    finish(&p);
    free(m);
}

/* The server answers the offered session ID with another suite than the session's. */
Test(badinput, resumed_with_other_suite)
{
    static const uint16_t suites[] = {TLS_RSA_WITH_AES_128_CBC_SHA, TLS_RSA_WITH_AES_256_CBC_SHA};
    struct pair_cache cc, sc;
    pair_cache_init(&cc);
    pair_cache_init(&sc);
    struct pair_config c;
    pair_config_init(&c);
    c.suites[0] = c.suites[1] = suites;
    c.nsuites[0] = c.nsuites[1] = 2;
    c.cache[0] = &cc;
    c.cache[1] = &sc;
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(pair_handshake(&p), PAIR_OK);
    SSLErr ce;
    cr_expect_eq(pair_close(&p, PAIR_CLIENT, &ce), SSLConnectionClosedGraceful);
    pair_free(&p);
    struct mitm *m = calloc(1, sizeof *m);
    c.hook = mitm_hook;
    c.hook_ref = m;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    m->p = &p;
    m->from = PAIR_SERVER;
    m->index = 0;
    m->op = OP_SET;
    m->off = 77;
    m->val = 0x35; /* 002f -> 0035: offered, but not the session's suite */
    cr_expect_eq(pair_handshake(&p), PAIR_FAILED);
    cr_expect(m->hit);
    expect_failure(&p, PAIR_CLIENT, SSLProtocolErr, FATAL(ILLEGAL), "resumed with another suite");
    finish(&p);
    free(m);
    pair_cache_clear(&cc);
    pair_cache_clear(&sc);
}

/* ---- certificates ---- */

static uint8_t *cert_der(const char *file, int index, uint32_t *len)
{
    size_t n, pos = 0;
    char *pem = pair_read_data(file, &n);
    cr_assert(pem);
    uint8 *der = NULL;
    for (int i = 0; i <= index; i++) {
        free(der);
        der = NULL;
        cr_assert_eq(SSLXPEMDecode(pem, n, &pos, "CERTIFICATE", &der, len), SSLNoErr);
    }
    free(pem);
    return der;
}

/* A Certificate record carrying the given DER certificates. */
static size_t cert_record(uint8_t *out, size_t cap, const uint8_t *const *certs, const uint32_t *lens, int n)
{
    size_t list = 0;
    for (int i = 0; i < n; i++)
        list += 3 + lens[i];
    size_t body = 4 + 3 + list;
    cr_assert_leq(5 + body, cap);
    cr_assert_leq(body, 16384);
    uint8_t *p = out + 5;
    *p++ = 11;
    *p++ = (uint8_t)((body - 4) >> 16), *p++ = (uint8_t)((body - 4) >> 8), *p++ = (uint8_t)(body - 4);
    *p++ = (uint8_t)(list >> 16), *p++ = (uint8_t)(list >> 8), *p++ = (uint8_t)list;
    for (int i = 0; i < n; i++) {
        *p++ = (uint8_t)(lens[i] >> 16), *p++ = (uint8_t)(lens[i] >> 8), *p++ = (uint8_t)lens[i];
        memcpy(p, certs[i], lens[i]);
        p += lens[i];
    }
    out[0] = 22, out[1] = 3, out[2] = 0, out[3] = (uint8_t)(body >> 8), out[4] = (uint8_t)body;
    return 5 + body;
}

Test(badinput, bad_server_certificates)
{
    uint32_t leaf_len, ca_len;
    uint8_t *leaf = cert_der("server-chain.pem", 0, &leaf_len);
    uint8_t *ca = cert_der("server-chain.pem", 1, &ca_len);
    uint8_t *bad_sig = malloc(leaf_len);
    memcpy(bad_sig, leaf, leaf_len);
    bad_sig[leaf_len - 5] ^= 0x01; /* inside the signature */
    static const uint8_t garbage[10] = {0x30, 0x08, 1, 2, 3, 4, 5, 6, 7, 8};
    struct {
        const char *what;
        const uint8_t *c[12];
        uint32_t l[12];
        int n;
        SSLErr err;
    } cases[] = {
        {"empty chain", {NULL}, {0}, 0, SSLBadCertificateErr},
        {"not a certificate", {garbage}, {sizeof garbage}, 1, ASNBadEncodingErr},
        {"CA before leaf", {ca, leaf}, {ca_len, leaf_len}, 2, X509NamesNotEqualErr},
        {"leaf signature broken", {bad_sig, ca}, {leaf_len, ca_len}, 2, X509CertChainInvalidErr},
        {"11 certificates", {leaf, leaf, leaf, leaf, leaf, leaf, leaf, leaf, leaf, leaf, leaf},
         {leaf_len, leaf_len, leaf_len, leaf_len, leaf_len, leaf_len, leaf_len, leaf_len, leaf_len,
          leaf_len, leaf_len},
         11, SSLBadCertificateErr},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct mitm *m = calloc(1, sizeof *m);
        struct pair p;
        start(&p, m, NULL);
        m->from = PAIR_SERVER;
        m->index = 1;
        m->op = OP_REPLACE;
        m->nbytes = cert_record(m->bytes, sizeof m->bytes, cases[i].c, cases[i].l, cases[i].n);
        cr_expect_eq(pair_handshake(&p), PAIR_FAILED, "%s", cases[i].what);
        cr_expect(m->hit);
        expect_failure(&p, PAIR_CLIENT, cases[i].err, FATAL(42), cases[i].what);
        finish(&p);
        free(m);
    }
    free(leaf);
    free(ca);
    free(bad_sig);
}

/* Client authentication: a changed CertificateVerify signature is refused. */
Test(badinput, bad_certificate_verify)
{
    struct mitm *m = calloc(1, sizeof *m);
    struct pair_config c;
    pair_config_init(&c);
    c.request_client_cert = 1;
    c.client_key = "client-key.pem";
    c.client_chain = "client-cert.pem";
    c.hook = mitm_hook;
    c.hook_ref = m;
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    m->p = &p;
    m->from = PAIR_CLIENT;
    m->index = 3; /* ClientHello, Certificate, ClientKeyExchange, CertificateVerify */
    m->op = OP_FLIP;
    m->off = -1;
    m->val = 0x01;
    cr_expect_eq(pair_handshake(&p), PAIR_FAILED);
    cr_expect(m->hit);
    expect_failure(&p, PAIR_SERVER, SSLProtocolErr, FATAL(HS_FAILURE), "CertificateVerify");
    finish(&p);
    free(m);
}

/* RFC 6101 §5.6.1.1: a client in the middle of a handshake ignores HelloRequest (and, as every
 * implementation does, leaves it out of the Finished hashes). */
Test(badinput, hello_request_during_handshake_is_ignored)
{
    for (uint32_t index = 0; index < 3; index++) { /* before ServerHello, Certificate, ServerHelloDone */
        struct mitm *m = calloc(1, sizeof *m);
        struct pair p;
        start(&p, m, NULL);
        m->from = PAIR_SERVER;
        m->index = index;
        m->op = OP_PREPEND;
        uint8_t hr[4];
        m->nbytes = rec(m->bytes, 22, hr, hs_body(hr, 0, 0));
        int r = pair_handshake(&p);
        cr_expect_eq(r, PAIR_OK, "HelloRequest before server record %u: %s / %s (client sent %04x)", index,
                     SSLXErrorName(p.s[0].last), SSLXErrorName(p.s[1].last), alert_sent(&p, PAIR_CLIENT));
        cr_expect(m->hit);
        finish(&p);
        free(m);
    }
}

/* ---- key exchange values ---- */

/* A changed RSA-encrypted premaster is not reported at ClientKeyExchange (Bleichenbacher): the
 * server goes on with a random premaster and the first error is the client's Finished. */
Test(badinput, rsa_premaster_tampered)
{
    static const long offs[] = {9, 100, -1};
    for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
        struct mitm *m = calloc(1, sizeof *m);
        struct pair p;
        start(&p, m, NULL);
        m->from = PAIR_CLIENT;
        m->index = 1;
        m->op = OP_FLIP;
        m->off = offs[i];
        m->val = 0x01;
        cr_expect_eq(pair_handshake(&p), PAIR_FAILED);
        cr_expect(m->hit);
        expect_failure(&p, PAIR_SERVER, SSLProtocolErr, FATAL(BAD_MAC), "tampered premaster");
        finish(&p);
        free(m);
    }
}

/* DHE: a changed ServerKeyExchange (parameters or signature) fails the signature check. */
Test(badinput, dhe_server_key_exchange_tampered)
{
    static const long offs[] = {20, 141, 200, -1};
    static const uint16_t dhe = TLS_DHE_RSA_WITH_AES_128_CBC_SHA;
    for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
        struct mitm *m = calloc(1, sizeof *m);
        struct pair_config c;
        pair_config_init(&c);
        pair_config_suite(&c, &dhe);
        c.dh_params = "dh1024.pem";
        c.hook = mitm_hook;
        c.hook_ref = m;
        struct pair p;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        m->p = &p;
        m->from = PAIR_SERVER;
        m->index = 2; /* ServerHello, Certificate, ServerKeyExchange */
        m->op = OP_FLIP;
        m->off = offs[i];
        m->val = 0x01;
        cr_expect_eq(pair_handshake(&p), PAIR_FAILED);
        cr_expect(m->hit);
        expect_failure(&p, PAIR_CLIENT, SSLProtocolErr, FATAL(HS_FAILURE), "tampered ServerKeyExchange");
        finish(&p);
        free(m);
    }
}

struct dh_case {
    const char *what;
    int value; /* Ys: 0, 1, -1 (p - 1), -2 (p), -3 (short p) */
};

/* Anonymous DH: the client refuses small-subgroup values and short groups; the server refuses the
 * same in ClientKeyExchange. */
static int dh_hook(int from, uint32_t index, struct pair_rec *r, void *ref)
{
    const struct dh_case *dc = ref;
    if (from != PAIR_SERVER || index != 1 || r->b[5] != 12)
        return PAIR_PASS;
    uint8_t *q = r->b + 9;
    size_t pl = (size_t)q[0] << 8 | q[1];
    const uint8_t *pv = q + 2;
    size_t gl = (size_t)q[2 + pl] << 8 | q[3 + pl];
    uint8_t *y = q + 2 + pl + 2 + gl + 2;
    if (dc->value >= 0) {
        memset(y, 0, pl);
        y[pl - 1] = (uint8_t)dc->value;
    } else if (dc->value == -1 || dc->value == -2) {
        memcpy(y, pv, pl);
        if (dc->value == -1)
            y[pl - 1]--; /* p is odd */
    } else { /* p of 32 bytes: cut p to its last 32 bytes and fix the lengths */
        uint8_t body[2048];
        size_t o = 0, cut = pl - 32;
        body[o++] = 0, body[o++] = 32;
        memcpy(body + o, pv + cut, 32), o += 32;
        size_t rest = (r->len - 9) - (2 + pl);
        memcpy(body + o, q + 2 + pl, rest), o += rest;
        memcpy(q, body, o);
        size_t hl = o, rl = 4 + o;
        r->b[6] = 0, r->b[7] = (uint8_t)(hl >> 8), r->b[8] = (uint8_t)hl;
        r->b[3] = (uint8_t)(rl >> 8), r->b[4] = (uint8_t)rl;
        r->len = 5 + rl;
    }
    return PAIR_PASS;
}

Test(badinput, dh_anon_bad_values)
{
    static const struct dh_case cases[] = {
        {"Ys = 0", 0}, {"Ys = 1", 1}, {"Ys = p - 1", -1}, {"Ys = p", -2}, {"a 256-bit group", -3}};
    static const uint16_t anon = SSL_DH_anon_WITH_RC4_128_MD5;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pair_config c;
        pair_config_init(&c);
        pair_config_suite(&c, &anon);
        c.dh_params = "dh1024.pem";
        c.hook = dh_hook;
        c.hook_ref = (void *)&cases[i];
        struct pair p;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        cr_expect_eq(pair_handshake(&p), PAIR_FAILED, "%s", cases[i].what);
        expect_failure(&p, PAIR_CLIENT, SSLProtocolErr, FATAL(ILLEGAL), cases[i].what);
        finish(&p);
    }
}

Test(badinput, dh_client_value_refused)
{
    static const uint16_t anon = SSL_DH_anon_WITH_RC4_128_MD5;
    for (int v = 0; v < 2; v++) {
        struct mitm *m = calloc(1, sizeof *m);
        struct pair_config c;
        pair_config_init(&c);
        pair_config_suite(&c, &anon);
        c.dh_params = "dh1024.pem";
        c.hook = mitm_hook;
        c.hook_ref = m;
        struct pair p;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        m->p = &p;
        m->from = PAIR_CLIENT;
        m->index = 1; /* ClientKeyExchange: u16 length, Yc */
        m->op = OP_REPLACE;
        uint8_t body[4 + 2 + 128];
        body[0] = 16, body[1] = 0, body[2] = 0, body[3] = 130;
        body[4] = 0, body[5] = 128;
        memset(body + 6, 0, 128);
        body[6 + 127] = (uint8_t)v;
        m->nbytes = rec(m->bytes, 22, body, sizeof body);
        cr_expect_eq(pair_handshake(&p), PAIR_FAILED);
        cr_expect(m->hit);
        expect_failure(&p, PAIR_SERVER, SSLProtocolErr, FATAL(ILLEGAL), "Yc");
        finish(&p);
        free(m);
    }
}

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
Test(badinput, non_rsa_server_certificate)
{
    static const char *files[] = {"ec-cert.pem", "dsa-cert.pem"};
    for (int i = 0; i < 2; i++) {
        uint32_t len;
        uint8_t *der = cert_der(files[i], 0, &len);
        const uint8_t *certs[1] = {der};
        struct mitm *m = calloc(1, sizeof *m);
        struct pair p;
        start(&p, m, NULL);
        m->from = PAIR_SERVER;
        m->index = 1;
        m->op = OP_REPLACE;
        m->nbytes = cert_record(m->bytes, sizeof m->bytes, certs, &len, 1);
        cr_expect_eq(pair_handshake(&p), PAIR_FAILED, "%s", files[i]);
        expect_failure(&p, PAIR_CLIENT, SSLBadCertificateErr, FATAL(43), files[i]);
        finish(&p);
        free(m);
        free(der);
    }
}

/* Configuration mistakes end in a clean handshake failure. */
Test(badinput, server_misconfigured)
{
    /* no key or certificate: no RSA suite is usable */
    struct pair_config c;
    pair_config_init(&c);
    c.server_key = NULL;
    c.server_chain = NULL;
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_expect_eq(pair_handshake(&p), PAIR_FAILED);
    expect_failure(&p, PAIR_SERVER, SSLNegotiationErr, FATAL(HS_FAILURE), "no key");
    finish(&p);
    /* a key that does not match the certificate: the premaster decrypts to garbage, which is only
     * seen at the client's Finished */
    pair_config_init(&c);
    c.server_key = "server1024-key.pem";
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_expect_eq(pair_handshake(&p), PAIR_FAILED);
    expect_failure(&p, PAIR_SERVER, SSLProtocolErr, FATAL(BAD_MAC), "wrong key");
    finish(&p);
    /* a DHE-only server without DH parameters */
    static const uint16_t dhe = TLS_DHE_RSA_WITH_AES_128_CBC_SHA;
    pair_config_init(&c);
    pair_config_suite(&c, &dhe);
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_expect_eq(pair_handshake(&p), PAIR_FAILED);
    expect_failure(&p, PAIR_SERVER, SSLNegotiationErr, FATAL(HS_FAILURE), "DHE without parameters");
    finish(&p);
}

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
