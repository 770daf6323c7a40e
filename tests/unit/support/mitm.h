/*
 * mitm.h - the man in the middle of the bad-input tests (test_badinput*.c): a pair record hook that
 * replaces, prepends, flips, sets, truncates or re-frames one record, forges records under a
 * NULL-cipher suite's MAC (internal record state, mac3.h), and the checks every case makes (the
 * victim's error and alert, the peer's view, stickiness, no leak). Header-only: Criterion asserts.
 */
#ifndef SSLREF_TEST_MITM_H
#define SSLREF_TEST_MITM_H

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "pair.h"
#include "state/ctx.h"
#include "record/mac3.h"

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
static inline size_t forge(struct pair *p, int from, uint8_t type, const uint8_t *body, size_t n, uint8_t *out)
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

static inline int mitm_hook(int from, uint32_t index, struct pair_rec *r, void *ref)
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
static inline size_t rec(uint8_t *out, uint8_t type, const uint8_t *body, size_t n)
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
static inline size_t hs_body(uint8_t *out, uint8_t hs_type, size_t n)
{
    out[0] = hs_type;
    out[1] = (uint8_t)(n >> 16);
    out[2] = (uint8_t)(n >> 8);
    out[3] = (uint8_t)n;
    memset(out + 4, 1, n);
    return 4 + n;
}

static inline void expect_no_leaks(const struct pair *p)
{
    for (int side = 0; side < 2; side++) {
        cr_expect_eq(p->s[side].alloc.live_blocks, 0, "side %d: %ld blocks leaked", side,
                     p->s[side].alloc.live_blocks);
        cr_expect_eq(p->s[side].alloc.bad_frees, 0);
        cr_expect_eq(p->s[side].alloc.unwiped_frees, 0, "side %d: blocks freed without wiping", side);
    }
}

static inline uint16_t alert_sent(struct pair *p, int side)
{
    uint16 s = 0, r = 0;
    SSLXGetLastAlerts(p->s[side].ctx, &s, &r);
    return s;
}

static inline uint16_t alert_recv(struct pair *p, int side)
{
    uint16 s = 0, r = 0;
    SSLXGetLastAlerts(p->s[side].ctx, &s, &r);
    return r;
}

/* The victim failed with @err after sending @alert (0: none); the other side, reading on if it had
 * finished, sees that alert as SSLFatalAlert. */
static inline void expect_failure(struct pair *p, int victim, SSLErr err, uint16_t alert, const char *what)
{
    cr_expect_eq(p->s[victim].last, err, "%s: victim got %s, want %s", what,
                 SSLXErrorName(p->s[victim].last), SSLXErrorName(err));
    cr_expect_eq(alert_sent(p, victim), alert, "%s: victim sent alert %04x, want %04x", what,
                 alert_sent(p, victim), alert);
    int other = PAIR_PEER(victim);
    /* the victim's application drains its queue (the alert) and closes its transport */
    for (int i = 0; i < 100000; i++) {
        uint32 pend = 0;
        SSLGetWritePendingSize(p->s[victim].ctx, &pend);
        if (!pend)
            break;
        SSLErr se = SSLServiceWriteQueue(p->s[victim].ctx);
        (void)se;
    }
    p->pipe[victim].eof = 1;
    SSLErr oe = p->s[other].last;
    if (oe == SSLNoErr || oe == SSLWouldBlockErr) { /* read on (several calls under would-block) */
        for (int i = 0; i < 100000; i++) {
            uint8_t b[64];
            uint32 len = sizeof b;
            oe = SSLRead(b, &len, p->s[other].ctx);
            if (oe != SSLWouldBlockErr || !p->pipe[victim].eof)
                break;
        }
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

static inline void start(struct pair *p, struct mitm *m, const uint16_t *suite)
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

static inline void finish(struct pair *p)
{
    pair_free(p);
    expect_no_leaks(p);
}

/* Send @n bytes from @from after the handshake; the peer's read fails. */
static inline void send_after_handshake(struct pair *p, int from, size_t n)
{
    cr_assert_eq(pair_handshake(p), PAIR_OK, "%s / %s", SSLXErrorName(p->s[0].last),
                 SSLXErrorName(p->s[1].last));
    uint8_t buf[200];
    pair_pattern(buf, sizeof buf, 1);
    SSLErr e = pair_send(p, from, buf, n);
    if (e == SSLNoErr) /* the receiver may still be reading (partial I/O) */
        e = pair_recv_all(p, PAIR_PEER(from), n);
    cr_expect_neq(e, SSLNoErr, "the receiver must fail");
}

/* ---- after the handshake (NULL-cipher suite, records forged with the right MAC) ---- */

/* Replace the first application record of @from (1 byte "a") by a forged record; then send "b". */
static inline SSLErr forge_after(struct pair *p, struct mitm *m, int from, uint8_t type, const uint8_t *body,
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

#endif
