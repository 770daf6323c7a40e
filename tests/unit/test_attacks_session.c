/*
 * test_attacks_session.c - the known attacks of docs/security.md, part 2: a peer that tries to
 * renegotiate, records after close_notify, resumption with a session the server never issued, and
 * RFC 5746 signalling (SCSV, renegotiation_info) on both sides. Post-handshake records are forged
 * under a NULL-cipher suite with the sender's MAC keys (mitm.h), so the receiver really opens them.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "mitm.h"
#include "pair_kx.h"

/* A record sealed with @from's current NULL-cipher write state at sequence number @seq. */
static size_t forge_at(struct pair *p, int from, uint8_t type, const uint8_t *body, size_t n, uint64_t seq,
                       uint8_t *out)
{
    const struct dirstate *d = &p->s[from].ctx->wr_cur;
    cr_assert(d->suite && d->suite->cipher == CRY_C_NULL, "forging needs a NULL-cipher suite");
    size_t len = n + d->suite->mac_len;
    out[0] = type, out[1] = 3, out[2] = 0;
    out[3] = (uint8_t)(len >> 8), out[4] = (uint8_t)len;
    memmove(out + 5, body, n);
    mac3_compute(d->suite->mac, d->mac_secret, seq, type, out + 5, n, out + 5 + n);
    return 5 + len;
}

/* The ClientHello our client sends (handshake message, without the record header). */
static size_t client_hello_msg(uint8_t *out, size_t cap)
{
    struct pair_config c;
    pair_config_init(&c);
    pair_config_suite(&c, &null_sha);
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(pair_run_side(&p, PAIR_CLIENT), SSLWouldBlockErr);
    const uint8_t *d;
    size_t n = pair_pending(&p, PAIR_SERVER, &d);
    cr_assert(n > 9 && n - 5 <= cap && d[0] == 22 && d[5] == 1);
    memcpy(out, d + 5, n - 5);
    finish(&p);
    return n - 5;
}

/* Append extension bytes to a ClientHello message (which has none yet), fixing its length. */
static size_t hello_add_ext(uint8_t *msg, size_t n, const uint8_t *ext, size_t extlen)
{
    msg[n] = (uint8_t)(extlen >> 8), msg[n + 1] = (uint8_t)extlen;
    memcpy(msg + n + 2, ext, extlen);
    n += 2 + extlen;
    msg[1] = (uint8_t)((n - 4) >> 16), msg[2] = (uint8_t)((n - 4) >> 8), msg[3] = (uint8_t)(n - 4);
    return n;
}

/* ---- renegotiation ---- */

/* A ClientHello after the handshake (the client's real one: with the SCSV; with a
 * renegotiation_info carrying 12 bytes of "client_verify_data", as a secure renegotiation would;
 * with an empty one, as an insecure one would): the server refuses with a fatal handshake_failure
 * (SSL 3.0 has no no_renegotiation alert) and answers nothing else. */
Test(attacks, renegotiation_client_hello_refused)
{
    static const uint8_t ri12[] = {0xff, 0x01, 0x00, 0x0d, 0x0c, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    static const uint8_t ri0[] = {0xff, 0x01, 0x00, 0x01, 0x00};
    for (int v = 0; v < 3; v++) {
        uint8_t ch[600];
        size_t n = client_hello_msg(ch, sizeof ch - 40);
        if (v == 1)
            n = hello_add_ext(ch, n, ri12, sizeof ri12);
        else if (v == 2)
            n = hello_add_ext(ch, n, ri0, sizeof ri0);
        struct mitm *m = calloc(1, sizeof *m);
        struct pair p;
        start(&p, m, &null_sha);
        m->from = PAIR_CLIENT;
        m->appdata = 1;
        m->op = OP_FORGE;
        m->forge_type = 22;
        memcpy(m->bytes, ch, n);
        m->nbytes = n;
        cr_assert_eq(pair_handshake(&p), PAIR_OK);
        uint64_t before = p.pipe[PAIR_SERVER].total;
        SSLErr e = pair_send(&p, PAIR_CLIENT, "a", 1);
        cr_expect(m->hit);
        cr_expect_eq(e, SSLProtocolErr, "variant %d: %s", v, SSLXErrorName(e));
        expect_failure(&p, PAIR_SERVER, SSLProtocolErr, FATAL(HS_FAILURE), "ClientHello after the handshake");
        cr_expect_eq(p.pipe[PAIR_SERVER].total - before, 5 + 2 + 20, "variant %d: only the alert was sent", v);
        finish(&p);
        free(m);
    }
}

/* HelloRequest after the handshake: the client ignores it (RFC 6101 §5.6.1.1), sends no ClientHello,
 * and the data goes on both ways; several at once too. With a body it is not a HelloRequest: fatal
 * handshake_failure (a renegotiation refused). A server never receives one: unexpected_message. */
Test(attacks, hello_request_after_handshake)
{
    static const uint8_t hr1[] = {0, 0, 0, 0}, hr3[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t hr_body[] = {0, 0, 0, 1, 0};
    const struct {
        const uint8_t *b;
        size_t n;
        int to;
        uint16_t alert; /* 0: ignored */
    } cases[] = {{hr1, 4, PAIR_CLIENT, 0}, {hr3, 12, PAIR_CLIENT, 0}, {hr_body, 5, PAIR_CLIENT, FATAL(HS_FAILURE)},
                 {hr1, 4, PAIR_SERVER, FATAL(UNEXPECTED)}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int from = PAIR_PEER(cases[i].to);
        struct mitm *m = calloc(1, sizeof *m);
        struct pair p;
        SSLErr e = forge_after(&p, m, from, 22, cases[i].b, cases[i].n);
        if (cases[i].alert) {
            cr_expect_neq(e, SSLNoErr, "case %zu", i);
            if (p.s[cases[i].to].last == SSLNoErr) { /* pair_send stopped before the peer read */
                uint8_t b[4];
                uint32 len = sizeof b;
                p.s[cases[i].to].last = SSLRead(b, &len, p.s[cases[i].to].ctx);
            }
            expect_failure(&p, cases[i].to, SSLProtocolErr, cases[i].alert, "handshake message after the handshake");
        } else {
            cr_expect_eq(e, SSLNoErr, "case %zu: %s", i, SSLXErrorName(e));
            uint64_t before = p.pipe[PAIR_CLIENT].total;
            cr_expect_eq(pair_exchange(&p, PAIR_SERVER, "b", 1), SSLNoErr);
            cr_expect_eq(p.pipe[PAIR_CLIENT].total, before, "case %zu: the client answered the HelloRequest", i);
            cr_expect_eq(pair_exchange(&p, PAIR_CLIENT, "c", 1), SSLNoErr);
            cr_expect_eq(p.pipe[PAIR_CLIENT].total - before, 5 + 1 + 20, "only the data record");
            int resumed = -1;
            SSLXGetResumed(p.s[PAIR_CLIENT].ctx, &resumed);
            cr_expect_eq(resumed, 0);
        }
        finish(&p);
        free(m);
    }
}

/* A ServerHello out of the blue after the handshake repeats a message already received:
 * unexpected_message (only a renegotiation is a handshake_failure). */
Test(attacks, server_hello_after_handshake_refused)
{
    struct mitm *m = calloc(1, sizeof *m);
    struct pair p;
    uint8_t sh[80];
    size_t n = hs_body(sh, 2, 70);
    SSLErr e = forge_after(&p, m, PAIR_SERVER, 22, sh, n);
    cr_expect_neq(e, SSLNoErr);
    if (p.s[PAIR_CLIENT].last == SSLNoErr) {
        uint8_t b[4];
        uint32 len = sizeof b;
        p.s[PAIR_CLIENT].last = SSLRead(b, &len, p.s[PAIR_CLIENT].ctx);
    }
    expect_failure(&p, PAIR_CLIENT, SSLProtocolErr, FATAL(UNEXPECTED), "ServerHello after the handshake");
    finish(&p);
    free(m);
}

/* ---- a duplicated handshake message ---- */

/* Sends record @index of @from twice: plaintext records as they are, the Finished (NULL cipher)
 * sealed again at the next sequence number, so the copy opens and only its place is wrong. */
struct dup {
    struct pair *p;
    int from;
    uint32_t index;
    int done;
};

static int dup_hook(int from, uint32_t index, struct pair_rec *r, void *ref)
{
    struct dup *d = ref;
    if (!d->p || d->done || from != d->from || index != d->index)
        return PAIR_PASS;
    cr_assert_eq(r->b[0], 22, "record %u of side %d is not a handshake record", index, from);
    const struct dirstate *w = &d->p->s[from].ctx->wr_cur;
    uint8_t copy[4096];
    cr_assert(r->len <= sizeof copy && 2 * r->len <= r->cap);
    memcpy(copy, r->b, r->len);
    if (w->suite) /* under the new keys: body without its MAC, sealed again at the next number */
        r->len += forge_at(d->p, from, 22, copy + 5, r->len - 5 - w->suite->mac_len, w->seq, r->b + r->len);
    else {
        memcpy(r->b + r->len, copy, r->len);
        r->len *= 2;
    }
    d->done = 1;
    return PAIR_PASS;
}

/* RFC 6101 §5.6 / issue 13 point 11: a handshake message received twice is out of order, whether
 * the copy arrives during the handshake (Certificate, ServerHelloDone, ClientKeyExchange) or after
 * it (either Finished): the victim sends unexpected_message (10), never handshake_failure, and the
 * peer receives exactly that alert. */
Test(attacks, duplicated_handshake_message_is_unexpected)
{
    static const struct {
        const char *what;
        int from;
        uint32_t index; /* full handshake, NULL-SHA: client CH CKE CCS Fin, server SH Cert SHD CCS Fin */
        int after;      /* the copy is read after the handshake completed */
    } cases[] = {
        {"server Certificate", PAIR_SERVER, 1, 0}, {"ServerHelloDone", PAIR_SERVER, 2, 0},
        {"ClientKeyExchange", PAIR_CLIENT, 1, 0},  {"server Finished", PAIR_SERVER, 4, 1},
        {"client Finished", PAIR_CLIENT, 3, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct dup d = {.from = cases[i].from, .index = cases[i].index};
        struct pair_config c;
        pair_config_init(&c);
        pair_config_suite(&c, &null_sha);
        c.hook = dup_hook;
        c.hook_ref = &d;
        struct pair p;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        d.p = &p;
        int victim = PAIR_PEER(cases[i].from);
        int r = pair_handshake(&p);
        if (cases[i].after) {
            cr_expect_eq(r, PAIR_OK, "%s: %s / %s", cases[i].what, SSLXErrorName(p.s[0].last),
                         SSLXErrorName(p.s[1].last));
            uint8_t b[16];
            uint32 len = sizeof b;
            p.s[victim].last = SSLRead(b, &len, p.s[victim].ctx);
        } else {
            cr_expect_eq(r, PAIR_FAILED, "%s", cases[i].what);
        }
        cr_expect(d.done, "%s: not duplicated", cases[i].what);
        expect_failure(&p, victim, SSLProtocolErr, FATAL(UNEXPECTED), cases[i].what);
        pair_free(&p);
        expect_no_leaks(&p);
    }
}

/* ---- records after close_notify ---- */

/* Appends a forged record (the next sequence number, so it would open) after the first record of
 * @from whose type is @trigger. */
struct append {
    struct pair *p;
    int from;
    uint8_t trigger;
    uint8_t type;
    const char *body;
    int done;
};

static int append_hook(int from, uint32_t index, struct pair_rec *r, void *ref)
{
    (void)index;
    struct append *a = ref;
    if (!a->p || a->done || from != a->from || r->b[0] != a->trigger || !a->p->s[0].done || !a->p->s[1].done)
        return PAIR_PASS;
    const struct dirstate *d = &a->p->s[from].ctx->wr_cur;
    r->len += forge_at(a->p, from, a->type, (const uint8_t *)a->body, strlen(a->body), d->seq, r->b + r->len);
    a->done = 1;
    return PAIR_PASS;
}

/* What follows close_notify is never read: SSLRead reports the graceful close, now and later, and
 * the data behind it is not delivered. Control: the same forged record behind a data record is read.
 * The side that sent close_notify refuses to write after it. */
Test(attacks, records_after_close_notify_are_ignored)
{
    for (int control = 0; control < 2; control++)
        for (int from = 0; from < 2; from++) {
            struct append a = {.from = from, .trigger = (uint8_t)(control ? 23 : 21), .type = 23, .body = "evil"};
            struct pair_config c;
            pair_config_init(&c);
            pair_config_suite(&c, &null_sha);
            c.hook = append_hook;
            c.hook_ref = &a;
            struct pair p;
            cr_assert_eq(pair_init(&p, &c), SSLNoErr);
            cr_assert_eq(pair_handshake(&p), PAIR_OK);
            a.p = &p;
            SSLContext *rx = p.s[PAIR_PEER(from)].ctx;
            uint8_t b[64];
            uint32 len = sizeof b;
            if (control) {
                cr_expect_eq(pair_send(&p, from, "x", 1), SSLNoErr);
                cr_expect(a.done);
                cr_expect_eq(pair_recv_all(&p, PAIR_PEER(from), 5), SSLNoErr);
                cr_expect(p.s[PAIR_PEER(from)].rx_len == 5 && memcmp(p.s[PAIR_PEER(from)].rx, "xevil", 5) == 0,
                          "control: the forged record is read");
            } else {
                cr_expect_eq(SSLClose(p.s[from].ctx), SSLNoErr);
                cr_expect(a.done);
                cr_expect_eq(SSLRead(b, &len, rx), SSLConnectionClosedGraceful);
                cr_expect_eq(len, 0);
                len = sizeof b;
                cr_expect_eq(SSLRead(b, &len, rx), SSLConnectionClosedGraceful, "and it stays closed");
                cr_expect_eq(len, 0);
                uint32 pend = 1;
                cr_expect_eq(SSLGetReadPendingSize(rx, &pend), SSLNoErr);
                cr_expect_eq(pend, 0, "nothing readable behind close_notify");
                len = 1;
                cr_expect_eq(SSLWrite("y", &len, p.s[from].ctx), SSLConnectionClosedError, "no data after our close");
                cr_expect_eq(len, 0);
            }
            pair_free(&p);
            expect_no_leaks(&p);
        }
}

/* A fatal alert followed by data: the data is never read; the error stays. */
Test(attacks, records_after_fatal_alert_are_ignored)
{
    struct append a = {.from = PAIR_SERVER, .trigger = 21, .type = 23, .body = "evil"};
    struct pair_config c;
    pair_config_init(&c);
    pair_config_suite(&c, &null_sha);
    c.hook = append_hook;
    c.hook_ref = &a;
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(pair_handshake(&p), PAIR_OK);
    a.p = &p;
    /* the server fails on a record from the client (a bad MAC) and sends its fatal alert */
    SSLContext *srv = p.s[PAIR_SERVER].ctx;
    uint8_t rec[64];
    size_t n = forge_at(&p, PAIR_CLIENT, 23, (const uint8_t *)"z", 1, p.s[PAIR_CLIENT].ctx->wr_cur.seq, rec);
    rec[n - 1] ^= 1;
    pair_inject(&p, PAIR_SERVER, rec, n);
    uint8_t b[64];
    uint32 len = sizeof b;
    cr_expect_eq(SSLRead(b, &len, srv), SSLProtocolErr);
    cr_expect(a.done, "the alert went out, with the forged record behind it");
    len = sizeof b;
    SSLContext *cli = p.s[PAIR_CLIENT].ctx;
    cr_expect_eq(SSLRead(b, &len, cli), SSLFatalAlert);
    cr_expect_eq(len, 0);
    len = sizeof b;
    cr_expect_eq(SSLRead(b, &len, cli), SSLFatalAlert, "sticky");
    cr_expect_eq(len, 0);
    pair_free(&p);
    expect_no_leaks(&p);
}

/* ---- resumption with a session the server never issued ---- */

static void mangle_sid(uint8_t *data, uint32_t *len, void *ref)
{
    (void)ref;
    /* blob: "SR" 2 | version u16 | suite u16 | sid_len u8 | sid */
    if (*len > 8 + 32 && data[7] == 32)
        for (int i = 0; i < 32; i++)
            data[8 + i] ^= 0x5c;
}

/* The client offers a session ID the server never issued (its cache entry was changed): the server
 * finds nothing, runs a full handshake with a new ID, and the client follows; nothing resumes. */
Test(attacks, resume_with_unknown_session_id)
{
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
    uint8 sid1[32];
    uint32 l1 = sizeof sid1;
    cr_assert_eq(SSLXGetSessionID(p.s[0].ctx, sid1, &l1), SSLNoErr);
    SSLErr ce;
    cr_expect_eq(pair_close(&p, PAIR_CLIENT, &ce), SSLConnectionClosedGraceful);
    pair_free(&p);
    cc.mangle = mangle_sid;
    c.seed = 2;
    struct pkx_mitm m;
    pkx_mitm_init(&m, &p);
    m.cap_from = PAIR_CLIENT;
    m.cap_type = 1;
    c.hook = pkx_hook;
    c.hook_ref = &m;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    unsigned hits = sc.hits, gets = sc.gets;
    cr_assert_eq(pair_handshake(&p), PAIR_OK, "%s / %s", SSLXErrorName(p.s[0].last), SSLXErrorName(p.s[1].last));
    cr_assert(m.captured && m.cap_len > 35 + 32 && m.cap[34] == 32, "the client offered a 32-byte ID");
    uint8_t offered[32];
    memcpy(offered, m.cap + 35, 32);
    for (int i = 0; i < 32; i++)
        cr_expect_eq(offered[i], sid1[i] ^ 0x5c, "the offered ID is the changed one");
    cr_expect_gt(sc.gets, gets, "the server looked it up");
    cr_expect_eq(sc.hits, hits, "and found nothing");
    for (int side = 0; side < 2; side++) {
        int r = -1;
        SSLXGetResumed(p.s[side].ctx, &r);
        cr_expect_eq(r, 0, "side %d: a full handshake", side);
    }
    uint8 sid2[32];
    uint32 l2 = sizeof sid2;
    cr_assert_eq(SSLXGetSessionID(p.s[0].ctx, sid2, &l2), SSLNoErr);
    cr_expect(l2 == 32 && memcmp(sid2, offered, 32) != 0 && memcmp(sid2, sid1, 32) != 0, "a new session ID");
    cr_expect_eq(pair_exchange(&p, PAIR_CLIENT, "ok", 2), SSLNoErr);
    pair_free(&p);
    expect_no_leaks(&p);
    pair_cache_clear(&cc);
    pair_cache_clear(&sc);
}

/* ---- RFC 5746 signalling ---- */

/* Our client always sends the SCSV (once) and no extensions; in an SSL 2.0-format hello it is the
 * 3-byte spec 00 00 FF. */
Test(attacks, rfc5746_client_sends_scsv)
{
    uint8_t ch[600];
    size_t n = client_hello_msg(ch, sizeof ch);
    size_t o = 4 + 2 + 32;
    o += 1 + ch[o];
    size_t ns = (size_t)ch[o] << 8 | ch[o + 1];
    int scsv = 0;
    for (size_t i = o + 2; i < o + 2 + ns; i += 2)
        scsv += ch[i] == 0x00 && ch[i + 1] == 0xff;
    cr_expect_eq(scsv, 1, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV once in the suites");
    o += 2 + ns;
    o += 1 + ch[o];
    cr_expect_eq(o, n, "no extensions after the compression methods");
    /* the SSL 2.0-format hello of a client that may speak 2.0 or 3.0 */
    struct pair_config c;
    pair_config_init(&c);
    c.version[PAIR_CLIENT] = SSL_Version_Undetermined;
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(pair_run_side(&p, PAIR_CLIENT), SSLWouldBlockErr);
    const uint8_t *d;
    size_t len = pair_pending(&p, PAIR_SERVER, &d);
    cr_assert(len > 11 && (d[0] & 0x80) && d[2] == 1, "an SSL 2.0 CLIENT-HELLO");
    size_t specs = (size_t)d[5] << 8 | d[6];
    scsv = 0;
    for (size_t i = 11; i + 3 <= 11 + specs; i += 3)
        scsv += d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 0xff;
    cr_expect_eq(scsv, 1, "00 00 FF among the cipher specs");
    finish(&p);
}

/* A hand-made ClientHello record: version 3.0, fixed random, no session ID, @suites, null
 * compression, then @ext (the extensions block body) if @ext is not NULL. */
static size_t make_client_hello(uint8_t *out, const uint16_t *suites, size_t ns, const uint8_t *ext, size_t extlen)
{
    uint8_t *m = out + 5;
    size_t o = 4;
    m[o++] = 3, m[o++] = 0;
    for (int i = 0; i < 32; i++)
        m[o++] = (uint8_t)(0x40 + i);
    m[o++] = 0;
    m[o++] = (uint8_t)(2 * ns >> 8), m[o++] = (uint8_t)(2 * ns);
    for (size_t i = 0; i < ns; i++)
        m[o++] = (uint8_t)(suites[i] >> 8), m[o++] = (uint8_t)suites[i];
    m[o++] = 1, m[o++] = 0;
    if (ext) {
        m[o++] = (uint8_t)(extlen >> 8), m[o++] = (uint8_t)extlen;
        memcpy(m + o, ext, extlen);
        o += extlen;
    }
    m[0] = 1, m[1] = 0, m[2] = (uint8_t)((o - 4) >> 8), m[3] = (uint8_t)(o - 4);
    out[0] = 22, out[1] = 3, out[2] = 0, out[3] = (uint8_t)(o >> 8), out[4] = (uint8_t)o;
    return 5 + o;
}

/* Feed one hello to a fresh server (version setting @v); returns its result. *ri: the server's
 * ServerHello carried an empty renegotiation_info (1), carried no extensions (0), or none was sent
 * (-1); *sh_ext_bytes: the bytes after the compression method. */
static SSLErr server_answer(SSLProtocolVersion v, const uint8_t *rec, size_t n, int *ri, size_t *sh_ext_bytes,
                            uint16_t *alert)
{
    struct pair_config c;
    pair_config_init(&c);
    c.version[PAIR_SERVER] = v;
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    pair_inject(&p, PAIR_SERVER, rec, n);
    SSLErr e = pair_run_side(&p, PAIR_SERVER);
    *alert = alert_sent(&p, PAIR_SERVER);
    const uint8_t *d;
    size_t len = pair_pending(&p, PAIR_CLIENT, &d);
    *ri = -1;
    *sh_ext_bytes = 0;
    if (len > 9 && d[0] == 22 && d[5] == 2) {
        size_t mlen = (size_t)d[6] << 16 | (size_t)d[7] << 8 | d[8];
        const uint8_t *b = d + 9;
        size_t o = 2 + 32;
        o += 1 + b[o];
        o += 3;
        cr_assert_leq(o, mlen);
        *sh_ext_bytes = mlen - o;
        static const uint8_t empty_ri[] = {0x00, 0x05, 0xff, 0x01, 0x00, 0x01, 0x00};
        *ri = mlen - o == sizeof empty_ri && memcmp(b + o, empty_ri, sizeof empty_ri) == 0;
    }
    finish(&p);
    return e;
}

/* The server answers the SCSV or an empty renegotiation_info with an empty renegotiation_info in
 * ServerHello, and with no extension otherwise; a non-empty or malformed one on an initial
 * handshake is a fatal handshake_failure (RFC 5746 §3.6); one sent twice is illegal_parameter. */
Test(attacks, rfc5746_server_answers)
{
    static const uint16_t with_scsv[] = {TLS_RSA_WITH_AES_128_CBC_SHA, TLS_EMPTY_RENEGOTIATION_INFO_SCSV};
    static const uint16_t plain[] = {TLS_RSA_WITH_AES_128_CBC_SHA};
    static const uint8_t ri_empty[] = {0xff, 0x01, 0x00, 0x01, 0x00};
    static const uint8_t ri_12[] = {0xff, 0x01, 0x00, 0x0d, 0x0c, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    static const uint8_t ri_bad[] = {0xff, 0x01, 0x00, 0x02, 0x01, 0x00};
    static const uint8_t ri_nolen[] = {0xff, 0x01, 0x00, 0x00};
    static const uint8_t other[] = {0x3a, 0x3a, 0x00, 0x02, 0x00, 0x00}; /* an unknown (GREASE) type */
    static const uint8_t other_ri[] = {0x3a, 0x3a, 0x00, 0x02, 0x00, 0x00, 0xff, 0x01, 0x00, 0x01, 0x00};
    static const uint8_t ri_twice[] = {0xff, 0x01, 0x00, 0x01, 0x00, 0xff, 0x01, 0x00, 0x01, 0x00};
    const struct {
        const char *what;
        const uint16_t *suites;
        size_t ns;
        const uint8_t *ext;
        size_t extlen;
        int ri; /* 1: empty RI in ServerHello; 0: no extensions; -1: refused */
    } cases[] = {
        {"SCSV", with_scsv, 2, NULL, 0, 1},
        {"empty renegotiation_info", plain, 1, ri_empty, sizeof ri_empty, 1},
        {"SCSV and empty renegotiation_info", with_scsv, 2, ri_empty, sizeof ri_empty, 1},
        {"neither", plain, 1, NULL, 0, 0},
        {"an unknown extension only", plain, 1, other, sizeof other, 0},
        {"an unknown extension, then renegotiation_info", plain, 1, other_ri, sizeof other_ri, 1},
        {"renegotiation_info with 12 bytes", plain, 1, ri_12, sizeof ri_12, -1},
        {"renegotiation_info with 12 bytes and the SCSV", with_scsv, 2, ri_12, sizeof ri_12, -1},
        {"renegotiation_info, inner length wrong", plain, 1, ri_bad, sizeof ri_bad, -1},
        {"renegotiation_info without its length byte", plain, 1, ri_nolen, sizeof ri_nolen, -1},
        {"renegotiation_info twice", plain, 1, ri_twice, sizeof ri_twice, -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t rec[200];
        size_t n = make_client_hello(rec, cases[i].suites, cases[i].ns, cases[i].ext, cases[i].extlen);
        int ri;
        size_t extb;
        uint16_t alert;
        SSLErr e = server_answer(SSL_Version_3_0_Only, rec, n, &ri, &extb, &alert);
        if (cases[i].ri < 0) {
            cr_expect_eq(e, SSLProtocolErr, "%s: %s", cases[i].what, SSLXErrorName(e));
            /* a repeated extension is illegal_parameter (as NSS and OpenSSL answer it) */
            uint16_t want = cases[i].ext == ri_twice ? FATAL(ILLEGAL) : FATAL(HS_FAILURE);
            cr_expect_eq(alert, want, "%s: alert %04x", cases[i].what, alert);
            cr_expect_eq(ri, -1, "%s: no ServerHello", cases[i].what);
            continue;
        }
        cr_expect_eq(e, SSLWouldBlockErr, "%s: %s", cases[i].what, SSLXErrorName(e));
        if (cases[i].ri)
            cr_expect_eq(ri, 1, "%s: an empty renegotiation_info (%zu extension bytes)", cases[i].what, extb);
        else
            cr_expect_eq(extb, 0, "%s: no extensions (%zu bytes)", cases[i].what, extb);
    }
}

/* RFC 5746 §3.6 and §4.5: the SCSV may come in an SSL 2.0-format ClientHello (which cannot carry
 * extensions), and the server answers it the same way when it continues in SSL 3.0. */
Test(attacks, rfc5746_server_answers_scsv_in_v2_hello)
{
    for (int with = 0; with < 2; with++) {
        /* CLIENT-HELLO, version 3.0, specs 00 00 2F (+ 00 00 FF), no session ID, 16-byte challenge */
        uint8_t rec[64];
        size_t specs = with ? 6 : 3, body = 9 + specs + 16, o = 0;
        rec[o++] = (uint8_t)(0x80 | body >> 8), rec[o++] = (uint8_t)body;
        rec[o++] = 1, rec[o++] = 3, rec[o++] = 0;
        rec[o++] = 0, rec[o++] = (uint8_t)specs, rec[o++] = 0, rec[o++] = 0, rec[o++] = 0, rec[o++] = 16;
        rec[o++] = 0, rec[o++] = 0, rec[o++] = 0x2f;
        if (with)
            rec[o++] = 0, rec[o++] = 0, rec[o++] = 0xff;
        for (int i = 0; i < 16; i++)
            rec[o++] = (uint8_t)(0x60 + i);
        int ri;
        size_t extb;
        uint16_t alert;
        SSLErr e = server_answer(SSL_Version_3_0_With_2_0_Hello, rec, o, &ri, &extb, &alert);
        cr_expect_eq(e, SSLWouldBlockErr, "%s", SSLXErrorName(e));
        if (with)
            cr_expect_eq(ri, 1, "SCSV in an SSL 2.0-format hello: an empty renegotiation_info (%zu bytes)", extb);
        else
            cr_expect_eq(extb, 0, "no SCSV: no extensions");
    }
}

/* The client: an empty renegotiation_info from the server is expected; a non-empty or malformed one
 * is a fatal handshake_failure before the client sends anything more; a server that sends none (one
 * that predates RFC 5746) is accepted, since this client never renegotiates. */
struct sh_edit {
    int mode; /* 0: RI with 12 bytes; 1: RI inner length wrong; 2: no extensions */
};

static void edit_server_hello(struct pair *p, uint8_t *body, size_t *len, size_t cap, void *ref)
{
    (void)p;
    const struct sh_edit *se = ref;
    size_t o = 2 + 32;
    o += 1 + body[o];
    o += 3;
    cr_assert_eq(*len, o + 7, "our server sends an empty renegotiation_info");
    cr_assert_geq(cap, o + 40);
    static const uint8_t ri12[] = {0x00, 0x11, 0xff, 0x01, 0x00, 0x0d, 0x0c, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    static const uint8_t ribad[] = {0x00, 0x06, 0xff, 0x01, 0x00, 0x02, 0x05, 0x00};
    switch (se->mode) {
    case 0: memcpy(body + o, ri12, sizeof ri12), *len = o + sizeof ri12; break;
    case 1: memcpy(body + o, ribad, sizeof ribad), *len = o + sizeof ribad; break;
    default: *len = o; break;
    }
}

Test(attacks, rfc5746_client_checks_server_hello)
{
    for (int mode = 0; mode < 3; mode++) {
        struct pair_config c;
        pair_config_init(&c);
        struct pair p;
        struct pkx_mitm m;
        struct sh_edit se = {mode};
        pkx_mitm_edit(&m, &p, &c, PAIR_SERVER, 2, edit_server_hello, &se);
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        int r = pair_handshake(&p);
        cr_expect_eq(m.edited, 1);
        cr_expect_eq(r, PAIR_FAILED, "mode %d: the transcript was changed in any case", mode);
        int sent_kx = 0;
        for (int i = 0; i < m.ntypes[PAIR_CLIENT]; i++)
            sent_kx |= m.types[PAIR_CLIENT][i] == 16;
        if (mode == 2) { /* accepted: the handshake goes on and fails only at Finished */
            cr_expect(sent_kx, "no renegotiation_info: the client went on");
            cr_expect_eq(alert_sent(&p, PAIR_CLIENT), 0);
            cr_expect_eq(p.s[PAIR_CLIENT].last, SSLFatalAlert, "%s", SSLXErrorName(p.s[PAIR_CLIENT].last));
        } else {
            cr_expect(!sent_kx, "mode %d: refused at ServerHello", mode);
            cr_expect_eq(p.s[PAIR_CLIENT].last, SSLProtocolErr, "mode %d: %s", mode, SSLXErrorName(p.s[PAIR_CLIENT].last));
            cr_expect_eq(alert_sent(&p, PAIR_CLIENT), FATAL(HS_FAILURE), "mode %d: alert %04x", mode,
                         alert_sent(&p, PAIR_CLIENT));
        }
        pair_free(&p);
        expect_no_leaks(&p);
    }
}
