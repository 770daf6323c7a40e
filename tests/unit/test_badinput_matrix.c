/*
 * test_badinput_matrix.c - the dimensions of the bad-input matrix (issue 8 point 5) that the other
 * bad-input tests do not cover: byte-exact replayed (duplicated) records in each handshake state and
 * after it, a dropped ChangeCipherSpec in the full and the resumed flow, ChangeCipherSpec bodies,
 * empty records, Finished one byte short or long, 33-byte session IDs, the largest hellos, and
 * ClientHello versions. Both sides; each case checks the error, the alert and that nothing leaks.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "mitm.h"
#include "pair_kx.h"

/* ---- one record of one side duplicated, dropped or replaced ---- */

enum rop { ROP_DUP, ROP_DROP, ROP_EMPTY_BEFORE };

struct recop {
    int from;
    uint32_t index;
    enum rop op;
    int hit;
};

static int recop_hook(int from, uint32_t index, struct pair_rec *r, void *ref)
{
    struct recop *o = ref;
    if (from != o->from || index != o->index)
        return PAIR_PASS;
    o->hit = 1;
    switch (o->op) {
    case ROP_DUP:
        memcpy(r->b + r->len, r->b, r->len);
        r->len *= 2;
        break;
    case ROP_DROP:
        r->len = 0;
        break;
    case ROP_EMPTY_BEFORE: /* an empty record of the same type and version first */
        memmove(r->b + 5, r->b, r->len);
        r->b[3] = r->b[4] = 0;
        r->len += 5;
        break;
    }
    return PAIR_PASS;
}

static int run_recop(struct pair *p, struct recop *o, const uint16_t *suite, struct pair_cache *cc,
                     struct pair_cache *sc)
{
    struct pair_config c;
    pair_config_init(&c);
    if (suite)
        pair_config_suite(&c, suite);
    c.cache[0] = cc;
    c.cache[1] = sc;
    c.hook = recop_hook;
    c.hook_ref = o;
    cr_assert_eq(pair_init(p, &c), SSLNoErr);
    return pair_handshake(p);
}

/* Full handshake records: client CH CKE CCS Fin; server SH Cert SHD CCS Fin. A byte-exact copy of
 * a handshake record is an unexpected message where the next one was due; a copy of the plaintext
 * ChangeCipherSpec arrives under the new keys and fails its MAC (stream and NULL ciphers here; CBC
 * in misaligned_cbc_record). */
Test(badinput, replayed_handshake_records)
{
    static const struct {
        const char *what;
        int from;
        uint32_t index;
        uint16_t alert;
        int cbc; /* also for the CBC suite */
    } cases[] = {
        {"ClientHello twice", PAIR_CLIENT, 0, FATAL(UNEXPECTED), 1},
        {"ClientKeyExchange twice", PAIR_CLIENT, 1, FATAL(UNEXPECTED), 1},
        {"client ChangeCipherSpec twice", PAIR_CLIENT, 2, FATAL(BAD_MAC), 0},
        {"ServerHello twice", PAIR_SERVER, 0, FATAL(UNEXPECTED), 1},
        {"Certificate twice", PAIR_SERVER, 1, FATAL(UNEXPECTED), 1},
        {"ServerHelloDone twice", PAIR_SERVER, 2, FATAL(UNEXPECTED), 1},
        {"server ChangeCipherSpec twice", PAIR_SERVER, 3, FATAL(BAD_MAC), 0},
    };
    static const uint16_t suites[] = {TLS_RSA_WITH_AES_128_CBC_SHA, SSL_RSA_WITH_RC4_128_MD5, SSL_RSA_WITH_NULL_SHA};
    for (size_t s = 0; s < 3; s++)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            if (s == 0 && !cases[i].cbc)
                continue;
            struct recop o = {cases[i].from, cases[i].index, ROP_DUP, 0};
            struct pair p;
            int r = run_recop(&p, &o, &suites[s], NULL, NULL);
            cr_expect(o.hit);
            cr_expect_eq(r, PAIR_FAILED, "%s (%04x)", cases[i].what, suites[s]);
            expect_failure(&p, PAIR_PEER(cases[i].from), SSLProtocolErr, cases[i].alert, cases[i].what);
            finish(&p);
        }
}

/* Each side's Finished (its last handshake record) replayed: the handshake completes, and the copy,
 * read as the first record after it, fails its MAC. Then a replayed data record. */
Test(badinput, replayed_records_after_handshake)
{
    static const uint16_t suites[] = {TLS_RSA_WITH_AES_128_CBC_SHA, SSL_RSA_WITH_RC4_128_MD5, SSL_RSA_WITH_NULL_SHA};
    for (size_t s = 0; s < 3; s++)
        for (int from = 0; from < 2; from++) {
            struct recop o = {from, from == PAIR_CLIENT ? 3 : 4, ROP_DUP, 0};
            struct pair p;
            cr_expect_eq(run_recop(&p, &o, &suites[s], NULL, NULL), PAIR_OK, "the copy waits unread");
            cr_expect(o.hit);
            int victim = PAIR_PEER(from);
            uint8_t b[8];
            uint32 len = sizeof b;
            p.s[victim].last = SSLRead(b, &len, p.s[victim].ctx);
            cr_expect_eq(len, 0);
            expect_failure(&p, victim, SSLProtocolErr, FATAL(BAD_MAC), "Finished replayed");
            finish(&p);
            /* the first data record, twice: the copy is refused, its data is not delivered again */
            struct recop od = {from, from == PAIR_CLIENT ? 4 : 5, ROP_DUP, 0};
            cr_assert_eq(run_recop(&p, &od, &suites[s], NULL, NULL), PAIR_OK);
            SSLErr e = pair_exchange(&p, from, "abc", 3);
            cr_expect(od.hit);
            if (e == SSLNoErr) { /* the copy was not read yet */
                len = sizeof b;
                e = SSLRead(b, &len, p.s[victim].ctx);
                cr_expect_eq(len, 0, "the replayed data is not delivered");
            }
            cr_expect_eq(e, SSLProtocolErr, "%s", SSLXErrorName(e));
            p.s[victim].last = e;
            cr_expect_leq(p.s[victim].rx_len, 3, "delivered once at most");
            expect_failure(&p, victim, SSLProtocolErr, FATAL(BAD_MAC), "data record replayed");
            finish(&p);
        }
}

/* A CBC record whose length is not a multiple of the block size (a replayed plaintext
 * ChangeCipherSpec after the keys changed, or a cut record) fails like any other undecryptable
 * record: SSLProtocolErr and bad_record_mac. */
Test(badinput, misaligned_cbc_record)
{
    static const uint16_t suites[] = {TLS_RSA_WITH_AES_128_CBC_SHA, SSL_RSA_WITH_3DES_EDE_CBC_SHA};
    for (size_t s = 0; s < 2; s++) {
        for (int from = 0; from < 2; from++) {
            struct recop o = {from, from == PAIR_CLIENT ? 2 : 3, ROP_DUP, 0};
            struct pair p;
            cr_expect_eq(run_recop(&p, &o, &suites[s], NULL, NULL), PAIR_FAILED);
            cr_expect(o.hit);
            expect_failure(&p, PAIR_PEER(from), SSLProtocolErr, FATAL(BAD_MAC), "ChangeCipherSpec twice (CBC)");
            finish(&p);
        }
        static const size_t lens[] = {1, 15, 17, 33, 41};
        for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
            for (int from = 0; from < 2; from++) {
                struct mitm *m = calloc(1, sizeof *m);
                struct pair p;
                start(&p, m, &suites[s]);
                m->from = from;
                m->appdata = 1;
                m->op = OP_REPLACE;
                uint8_t junk[64];
                memset(junk, 0x3c, sizeof junk);
                m->nbytes = rec(m->bytes, 23, junk, lens[i]);
                send_after_handshake(&p, from, 1);
                cr_expect(m->hit);
                expect_failure(&p, PAIR_PEER(from), SSLProtocolErr, FATAL(BAD_MAC), "misaligned CBC record");
                finish(&p);
                free(m);
            }
    }
}

/* ChangeCipherSpec dropped: the peer's Finished arrives under keys the receiver has not switched
 * to. Full flow (client CCS = record 2, server CCS = record 3) and resumed flow (record 1 both). */
Test(badinput, missing_change_cipher_spec)
{
    static const uint16_t suites[] = {TLS_RSA_WITH_AES_128_CBC_SHA, SSL_RSA_WITH_RC4_128_MD5, SSL_RSA_WITH_NULL_SHA};
    for (size_t s = 0; s < 3; s++)
        for (int resumed = 0; resumed < 2; resumed++)
            for (int from = 0; from < 2; from++) {
                struct pair_cache cc, sc;
                pair_cache_init(&cc);
                pair_cache_init(&sc);
                struct pair p;
                if (resumed) {
                    struct recop none = {0, 99, ROP_DUP, 0};
                    cr_assert_eq(run_recop(&p, &none, &suites[s], &cc, &sc), PAIR_OK);
                    SSLErr ce;
                    cr_expect_eq(pair_close(&p, PAIR_CLIENT, &ce), SSLConnectionClosedGraceful);
                    pair_free(&p);
                }
                struct recop o = {from, resumed ? 1 : from == PAIR_CLIENT ? 2 : 3, ROP_DROP, 0};
                int r = run_recop(&p, &o, &suites[s], &cc, &sc);
                cr_expect(o.hit);
                int victim = PAIR_PEER(from);
                int res = -1;
                SSLXGetResumed(p.s[victim].ctx, &res);
                cr_expect_eq(res, resumed);
                cr_expect_eq(r, PAIR_FAILED, "suite %04x resumed %d from %d: %d", suites[s], resumed, from, r);
                SSLErr e = p.s[victim].last;
                uint16_t al = alert_sent(&p, victim);
                cr_expect_eq(e, SSLProtocolErr, "suite %04x resumed %d from %d: %s", suites[s], resumed, from,
                             SSLXErrorName(e));
                cr_expect(al == FATAL(UNEXPECTED) || al == FATAL(ILLEGAL), "suite %04x resumed %d from %d: alert %04x",
                          suites[s], resumed, from, al);
                cr_log_info("missing CCS: suite %04x resumed %d from %d: %s alert %04x", suites[s], resumed, from,
                            SSLXErrorName(e), al);
                if (suites[s] == SSL_RSA_WITH_NULL_SHA) /* the plaintext Finished is seen for what it is */
                    cr_expect_eq(al, FATAL(UNEXPECTED));
                pair_free(&p);
                expect_no_leaks(&p);
                pair_cache_clear(&cc);
                pair_cache_clear(&sc);
            }
}

/* ChangeCipherSpec bodies other than the single byte 1, both sides. */
Test(badinput, change_cipher_spec_bodies)
{
    static const struct {
        uint8_t b[2];
        size_t n;
    } bodies[] = {{{0, 0}, 0}, {{2, 0}, 1}, {{0, 0}, 1}, {{1, 1}, 2}, {{1, 0}, 2}};
    for (int from = 0; from < 2; from++)
        for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
            struct mitm *m = calloc(1, sizeof *m);
            struct pair p;
            start(&p, m, NULL);
            m->from = from;
            m->index = from == PAIR_CLIENT ? 2 : 3;
            m->op = OP_REPLACE;
            m->nbytes = rec(m->bytes, 20, bodies[i].b, bodies[i].n);
            cr_expect_eq(pair_handshake(&p), PAIR_FAILED);
            cr_expect(m->hit);
            expect_failure(&p, PAIR_PEER(from), SSLProtocolErr, FATAL(UNEXPECTED), "ChangeCipherSpec body");
            finish(&p);
            free(m);
        }
}

/* ---- empty records ---- */

/* An empty encrypted record has no room for a MAC: bad_record_mac, both ways, block and stream. */
Test(badinput, empty_encrypted_record)
{
    static const uint16_t suites[] = {TLS_RSA_WITH_AES_128_CBC_SHA, SSL_RSA_WITH_RC4_128_MD5};
    for (size_t s = 0; s < 2; s++)
        for (int from = 0; from < 2; from++)
            for (uint8_t type = 21; type <= 23; type++) {
                struct mitm *m = calloc(1, sizeof *m);
                struct pair p;
                start(&p, m, &suites[s]);
                m->from = from;
                m->appdata = 1;
                m->op = OP_REPLACE;
                m->nbytes = rec(m->bytes, type, NULL, 0);
                send_after_handshake(&p, from, 1);
                cr_expect(m->hit);
                expect_failure(&p, PAIR_PEER(from), SSLProtocolErr, FATAL(BAD_MAC), "empty encrypted record");
                finish(&p);
                free(m);
            }
}

/* An empty plaintext handshake record before a handshake message carries no fragment: it is
 * skipped and the handshake completes (RFC 6101 does not forbid it; TLS 1.2 later did). An empty
 * plaintext alert or ChangeCipherSpec record is refused (test_badinput.c, and above). */
Test(badinput, empty_handshake_record_is_skipped)
{
    static const struct {
        int from;
        uint32_t index;
    } cases[] = {{PAIR_CLIENT, 0}, {PAIR_CLIENT, 1}, {PAIR_SERVER, 0}, {PAIR_SERVER, 1}, {PAIR_SERVER, 2}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct recop o = {cases[i].from, cases[i].index, ROP_EMPTY_BEFORE, 0};
        struct pair p;
        int r = run_recop(&p, &o, NULL, NULL, NULL);
        cr_expect(o.hit);
        cr_expect_eq(r, PAIR_OK, "empty record before record %u of side %d: %s / %s", cases[i].index,
                     cases[i].from, SSLXErrorName(p.s[0].last), SSLXErrorName(p.s[1].last));
        finish(&p);
    }
}

/* ---- Finished one byte short or long, and empty (NULL cipher: forged with the right MAC) ---- */

struct fin_edit {
    int from;
    long delta;   /* bytes added to (or removed from) the 36-byte Finished body */
    int hit;
};

static struct pair *fin_pair;

static int fin_hook2(int from, uint32_t index, struct pair_rec *r, void *ref)
{
    struct fin_edit *f = ref;
    if (from != f->from || f->hit || r->b[0] != 22 || !fin_pair->s[from].ctx->wr_cur.suite)
        return PAIR_PASS;
    (void)index;
    /* the sender's Finished under the NULL cipher: 20 00 00 24 <36 bytes> MAC(20) */
    size_t n = r->len - 5 - 20;
    uint8_t body[64];
    if (n != 40 || r->b[5] != 20)
        return PAIR_PASS;
    memcpy(body, r->b + 5, n);
    size_t fl = (size_t)(36 + f->delta);
    body[3] = (uint8_t)fl;
    if (f->delta > 0)
        memset(body + 40, 0, (size_t)f->delta);
    r->len = forge(fin_pair, from, 22, body, 4 + fl, r->b);
    f->hit = 1;
    return PAIR_PASS;
}

Test(badinput, finished_lengths)
{
    static const struct {
        long delta;
        uint16_t alert;
    } cases[] = {{-1, FATAL(HS_FAILURE)}, {1, FATAL(ILLEGAL)}, {-36, FATAL(HS_FAILURE)}, {0, 0}};
    for (int from = 0; from < 2; from++)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            struct fin_edit f = {from, cases[i].delta, 0};
            struct pair_config c;
            pair_config_init(&c);
            pair_config_suite(&c, &null_sha);
            c.hook = fin_hook2;
            c.hook_ref = &f;
            struct pair p;
            fin_pair = &p;
            cr_assert_eq(pair_init(&p, &c), SSLNoErr);
            int r = pair_handshake(&p);
            cr_expect(f.hit, "side %d's Finished was rewritten", from);
            if (!cases[i].alert) { /* control: re-forged unchanged, it is taken */
                cr_expect_eq(r, PAIR_OK, "control: %s / %s", SSLXErrorName(p.s[0].last), SSLXErrorName(p.s[1].last));
            } else {
                cr_expect_eq(r, PAIR_FAILED);
                expect_failure(&p, PAIR_PEER(from), SSLProtocolErr, cases[i].alert, "Finished length");
            }
            finish(&p);
        }
}

/* ---- 33-byte session IDs, lengths consistent ---- */

static size_t hello_record(uint8_t *out, uint16_t version, size_t sidlen, size_t nsuites, uint16_t suite)
{
    uint8_t *m = out + 5;
    size_t o = 4;
    m[o++] = (uint8_t)(version >> 8), m[o++] = (uint8_t)version;
    for (int i = 0; i < 32; i++)
        m[o++] = (uint8_t)(0x20 + i);
    m[o++] = (uint8_t)sidlen;
    memset(m + o, 0xab, sidlen);
    o += sidlen;
    m[o++] = (uint8_t)(2 * nsuites >> 8), m[o++] = (uint8_t)(2 * nsuites);
    for (size_t i = 0; i + 1 < nsuites; i++) /* unknown ids first, the real one last */
        m[o++] = 0xfe, m[o++] = (uint8_t)i;
    m[o++] = (uint8_t)(suite >> 8), m[o++] = (uint8_t)suite;
    m[o++] = 1, m[o++] = 0;
    m[0] = 1, m[1] = (uint8_t)((o - 4) >> 16), m[2] = (uint8_t)((o - 4) >> 8), m[3] = (uint8_t)(o - 4);
    /* records of at most 2^14 bytes */
    size_t total = o, in = 0, w = 0;
    uint8_t *tmp = malloc(total);
    cr_assert(tmp);
    memcpy(tmp, m, total);
    while (in < total) {
        size_t k = total - in > 16384 ? 16384 : total - in;
        out[w] = 22, out[w + 1] = 3, out[w + 2] = 0, out[w + 3] = (uint8_t)(k >> 8), out[w + 4] = (uint8_t)k;
        memcpy(out + w + 5, tmp + in, k);
        w += 5 + k;
        in += k;
    }
    free(tmp);
    return w;
}

/* Feed a hello to a fresh server; its result, its alert, and whether it answered with ServerHello
 * (and which version). */
static SSLErr feed_server(const uint8_t *rec, size_t n, uint16_t *alert, int *sh_version)
{
    struct pair_config c;
    pair_config_init(&c);
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    pair_inject(&p, PAIR_SERVER, rec, n);
    pair_eof(&p, PAIR_SERVER);
    SSLErr e = pair_run_side(&p, PAIR_SERVER);
    *alert = alert_sent(&p, PAIR_SERVER);
    const uint8_t *d;
    size_t len = pair_pending(&p, PAIR_CLIENT, &d);
    *sh_version = len > 11 && d[0] == 22 && d[5] == 2 ? d[9] << 8 | d[10] : -1;
    finish(&p);
    return e;
}

Test(badinput, hello_session_id_33_bytes)
{
    uint8_t rec[200];
    uint16_t alert;
    int shv;
    size_t n = hello_record(rec, 0x0300, 32, 1, TLS_RSA_WITH_AES_128_CBC_SHA);
    feed_server(rec, n, &alert, &shv);
    cr_expect_eq(shv, 0x0300, "control: a 32-byte ID (unknown) gets a ServerHello");
    n = hello_record(rec, 0x0300, 33, 1, TLS_RSA_WITH_AES_128_CBC_SHA);
    SSLErr e = feed_server(rec, n, &alert, &shv);
    cr_expect_eq(e, SSLProtocolErr, "%s", SSLXErrorName(e));
    cr_expect_eq(alert, FATAL(ILLEGAL));
    cr_expect_eq(shv, -1);
}

static void sh_sid33(struct pair *p, uint8_t *body, size_t *len, size_t cap, void *ref)
{
    (void)p, (void)ref;
    size_t o = 2 + 32;
    size_t sl = body[o];
    cr_assert_eq(sl, 32);
    cr_assert_leq(*len + 1, cap);
    memmove(body + o + 1 + 33, body + o + 1 + 32, *len - (o + 1 + 32));
    body[o + 1 + 32] = 0xcd;
    body[o] = 33;
    *len += 1;
}

Test(badinput, server_hello_session_id_33_bytes)
{
    struct pair_config c;
    pair_config_init(&c);
    struct pair p;
    struct pkx_mitm m;
    pkx_mitm_edit(&m, &p, &c, PAIR_SERVER, 2, sh_sid33, NULL);
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_expect_eq(pair_handshake(&p), PAIR_FAILED);
    cr_expect_eq(m.edited, 1);
    expect_failure(&p, PAIR_CLIENT, SSLProtocolErr, FATAL(ILLEGAL), "ServerHello with a 33-byte ID");
    finish(&p);
}

/* ---- the largest hellos, and ClientHello versions ---- */

/* A ClientHello at the largest record (2^14 bytes of fragment) and one over two records are
 * taken; record_over_limit (test_badinput.c) has the 2^14 + 1 case. */
Test(badinput, largest_client_hellos)
{
    static const size_t counts[] = {(16384 - 4 - 2 - 32 - 1 - 1 - 2 - 2) / 2, 12000, 30000};
    uint8_t *rec = malloc(70000);
    cr_assert(rec);
    for (size_t i = 0; i < 3; i++) {
        size_t n = hello_record(rec, 0x0300, i == 0, counts[i], TLS_RSA_WITH_AES_128_CBC_SHA);
        if (i == 0)
            cr_expect_eq(n, 5 + 16384, "one full record (%zu bytes)", n);
        uint16_t alert;
        int shv;
        SSLErr e = feed_server(rec, n, &alert, &shv);
        cr_expect_eq(shv, 0x0300, "%zu suites: %s alert %04x", counts[i], SSLXErrorName(e), alert);
    }
    free(rec);
}

/* A TLS client's hello (3.1, 3.3, 3.255) is answered in 3.0; other major versions are refused. */
Test(badinput, client_hello_versions)
{
    static const struct {
        uint16_t v;
        int sh; /* ServerHello version, -1: refused */
    } cases[] = {{0x0300, 0x0300}, {0x0301, 0x0300}, {0x0303, 0x0300}, {0x03ff, 0x0300},
                 {0x0400, -1}, {0x0200, -1}, {0x0002, -1}, {0x0000, -1}, {0xffff, -1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t rec[200];
        size_t n = hello_record(rec, cases[i].v, 0, 1, TLS_RSA_WITH_AES_128_CBC_SHA);
        uint16_t alert;
        int shv;
        SSLErr e = feed_server(rec, n, &alert, &shv);
        cr_expect_eq(shv, cases[i].sh, "hello %04x: ServerHello %04x (%s)", cases[i].v, shv, SSLXErrorName(e));
        if (cases[i].sh < 0) {
            cr_expect_eq(e, SSLNegotiationErr, "hello %04x: %s", cases[i].v, SSLXErrorName(e));
            cr_expect_eq(alert, FATAL(HS_FAILURE), "hello %04x: %04x", cases[i].v, alert);
        }
    }
}

/* The record version of a TLS client's first record (3.1) before any version is agreed. */
Test(badinput, first_record_version_3_1)
{
    uint8_t rec[200];
    size_t n = hello_record(rec, 0x0301, 0, 1, TLS_RSA_WITH_AES_128_CBC_SHA);
    rec[2] = 1;
    uint16_t alert;
    int shv;
    SSLErr e = feed_server(rec, n, &alert, &shv);
    cr_log_info("first record version 3.1: %s, alert %04x, ServerHello %04x", SSLXErrorName(e), alert, shv);
    cr_expect_eq(shv, 0x0300, "answered in 3.0 (%s, alert %04x)", SSLXErrorName(e), alert);
}

/* ---- the server's Certificate message: every truncation and every length byte value ---- */

struct cert_mut {
    int trunc;      /* keep this many body bytes (-1: no truncation) */
    int off;        /* set body[off] = val (-1: none) */
    uint8_t val;
    size_t len;     /* the original body length */
    size_t lens[4]; /* offsets of the length fields */
    uint8_t orig[4][3];
    int nlens;
};

static void cert_edit(struct pair *p, uint8_t *body, size_t *len, size_t cap, void *ref)
{
    (void)p, (void)cap;
    struct cert_mut *cm = ref;
    cm->len = *len;
    cm->nlens = 0;
    for (size_t o = 0; o + 3 <= *len && cm->nlens < 4;) { /* list length, then each certificate's */
        memcpy(cm->orig[cm->nlens], body + o, 3);
        cm->lens[cm->nlens++] = o;
        o += o == 0 ? 3 : 3 + ((size_t)body[o] << 16 | (size_t)body[o + 1] << 8 | body[o + 2]);
    }
    if (cm->trunc >= 0 && (size_t)cm->trunc < *len)
        *len = (size_t)cm->trunc;
    if (cm->off >= 0 && (size_t)cm->off < *len)
        body[cm->off] = cm->val;
}

static int cert_run(struct cert_mut *cm, SSLErr *client_err)
{
    struct pair_config c;
    pair_config_init(&c);
    struct pair p;
    struct pkx_mitm m;
    pkx_mitm_edit(&m, &p, &c, PAIR_SERVER, 11, cert_edit, cm);
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    int r = pair_handshake(&p);
    cr_assert_eq(m.edited, 1);
    *client_err = p.s[PAIR_CLIENT].last;
    pair_free(&p);
    cr_expect_eq(pair_live_blocks(&p), 0, "leak");
    return r;
}

Test(badinput, generated_server_certificate, .timeout = 300)
{
    struct cert_mut cm = {.trunc = -1, .off = -1};
    SSLErr e;
    cr_assert_eq(cert_run(&cm, &e), PAIR_OK, "control");
    cr_assert_eq(cm.nlens, 3, "list, leaf and CA lengths");
    size_t len = cm.len, lens[3] = {cm.lens[0], cm.lens[1], cm.lens[2]};
    unsigned runs = 0;
    for (size_t t = 0; t < len; t += (t < 64 || len - t < 64) ? 1 : 7) { /* dense at both ends */
        struct cert_mut c2 = {.trunc = (int)t, .off = -1};
        int r = cert_run(&c2, &e);
        cr_expect(r == PAIR_FAILED && e != SSLNoErr && e != SSLWouldBlockErr, "truncated to %zu: %s", t,
                  SSLXErrorName(e));
        runs++;
    }
    for (int f = 0; f < 3; f++)
        for (size_t b = 0; b < 3; b++)
            for (int v = 0; v < 256; v++) {
                if (v == cm.orig[f][b])
                    continue;
                struct cert_mut c2 = {.trunc = -1, .off = (int)(lens[f] + b), .val = (uint8_t)v};
                int r = cert_run(&c2, &e);
                cr_expect(r == PAIR_FAILED && e != SSLNoErr && e != SSLWouldBlockErr, "length %d byte %zu = %02x: %s",
                          f, b, v, SSLXErrorName(e));
                runs++;
            }
    cr_log_info("server Certificate: %u mutated handshakes failed cleanly", runs);
}
