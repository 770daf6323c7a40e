/*
 * test_ssl2.c - SSL 2.0 pair tests (issue 5): every cipher kind the crypto adapter supports, full and
 * with a reused session ID (both sides report it), data of 1, 16000 and 100000 bytes both ways, the
 * same connections with would-block at every byte and partial I/O (identical transcripts), status
 * calls; a kind the adapter lacks is refused cleanly. The rollback attack (RFC 6101 Appendix E.2)
 * and malformed SSL 2.0 records and messages are in test_ssl2_bad.c.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "crypto/crypto_ltc.h"
#include "pair.h"
#include "pair_kx.h"
#include "handshake/ssl2.h"
#include "state/ctx.h"

static const uint16_t kinds[] = {
    SSL2_SUITE_RC4_128_WITH_MD5,         SSL2_SUITE_RC4_128_EXPORT40_WITH_MD5,
    SSL2_SUITE_RC2_128_CBC_WITH_MD5,     SSL2_SUITE_RC2_128_CBC_EXPORT40_WITH_MD5,
    SSL2_SUITE_IDEA_128_CBC_WITH_MD5,    SSL2_SUITE_DES_64_CBC_WITH_MD5,
    SSL2_SUITE_DES_192_EDE3_CBC_WITH_MD5,
};
#define NKINDS 7

static int kind_supported(uint16_t suite)
{
    const struct ssl2_kind *k = ssl2_kind_by_suite(suite);
    cr_assert(k, "%04x is an SSL 2.0 kind", suite);
    return cry_cipher_state_size(k->cipher) != 0;
}

static void expect_no_leaks(const struct pair *p)
{
    for (int side = 0; side < 2; side++) {
        cr_expect_eq(p->s[side].alloc.live_blocks, 0, "side %d leaks %ld blocks", side,
                     p->s[side].alloc.live_blocks);
        cr_expect_eq(p->s[side].alloc.bad_frees, 0);
    }
}

static void config_v2(struct pair_config *c, const uint16_t *suite)
{
    pair_config_init(c);
    pair_config_suite(c, suite);
    c->version[PAIR_CLIENT] = c->version[PAIR_SERVER] = SSL_Version_2_0;
}

static void expect_v2(struct pair *p, uint16_t suite, int resumed, const char *what)
{
    for (int side = 0; side < 2; side++) {
        uint16 got = 0;
        SSLProtocolVersion v = SSL_Version_Undetermined;
        int r = -1;
        cr_expect_eq(SSLGetNegotiatedCipher(p->s[side].ctx, &got), SSLNoErr);
        cr_expect_eq(got, suite, "%s: side %d negotiated %04x, want %04x", what, side, got, suite);
        cr_expect_eq(SSLGetProtocolVersion(p->s[side].ctx, &v), SSLNoErr);
        cr_expect_eq(v, SSL_Version_2_0, "%s: side %d version %d", what, side, v);
        cr_expect_eq(SSLXGetResumed(p->s[side].ctx, &r), SSLNoErr);
        cr_expect_eq(r, resumed, "%s: side %d resumed=%d", what, side, r);
    }
    /* SSL 2.0 carries the server's certificate only; the server saw none */
    int n = -1;
    cr_expect_eq(SSLGetPeerCertificateChainLength(p->s[PAIR_CLIENT].ctx, &n), SSLNoErr);
    cr_expect_eq(n, 1, "%s: client holds %d peer certificates", what, n);
    SSLBuffer c = {0, NULL};
    if (n == 1 && SSLGetPeerCertificate(p->s[PAIR_CLIENT].ctx, 0, &c) == SSLNoErr) {
        uint32_t len = 0;
        uint8_t *der = pkx_cert_der("server-cert.pem", 0, &len);
        cr_assert(der);
        cr_expect(c.length == len && memcmp(c.data, der, len) == 0, "%s: the peer is server-cert.pem",
                  what);
        free(der);
        pair_free_fn(&c, &p->s[PAIR_CLIENT].alloc);
    }
    n = -1;
    cr_expect_eq(SSLGetPeerCertificateChainLength(p->s[PAIR_SERVER].ctx, &n), SSLNoErr);
    cr_expect_eq(n, 0, "%s: the server holds no peer certificate", what);
    uint8 a[32], b[32];
    uint32 al = sizeof a, bl = sizeof b;
    cr_expect_eq(SSLXGetSessionID(p->s[0].ctx, a, &al), SSLNoErr);
    cr_expect_eq(SSLXGetSessionID(p->s[1].ctx, b, &bl), SSLNoErr);
    cr_expect_eq(al, 16, "%s: SSL 2.0 session IDs have 16 bytes", what);
    cr_expect(al == bl && memcmp(a, b, al) == 0, "%s: both sides agree on the session ID", what);
}

static void exchange(struct pair *p, size_t n, uint32_t seed, const char *what)
{
    uint8_t *buf = malloc(n);
    cr_assert(buf);
    for (int from = 0; from < 2; from++) {
        pair_pattern(buf, n, seed + (uint32_t)from);
        SSLErr e = pair_exchange(p, from, buf, n);
        cr_expect_eq(e, SSLNoErr, "%s: %zu bytes from side %d: %s", what, n, from, SSLXErrorName(e));
        uint32 pend = 1;
        cr_expect_eq(SSLGetReadPendingSize(p->s[PAIR_PEER(from)].ctx, &pend), SSLNoErr);
        cr_expect_eq(pend, 0, "%s: everything was read", what);
    }
    free(buf);
}

/* SSL 2.0 has no close_notify: SSLClose sends nothing; the end of the transport is the end. */
static void close_v2(struct pair *p, int first, const char *what)
{
    uint64_t before = p->pipe[first].total;
    cr_expect_eq(SSLClose(p->s[first].ctx), SSLNoErr, "%s", what);
    cr_expect_eq(p->pipe[first].total, before, "%s: SSLClose sends nothing", what);
    pair_eof(p, PAIR_CLIENT);
    pair_eof(p, PAIR_SERVER);
    for (int side = 0; side < 2; side++) {
        uint8_t buf[8];
        uint32 len = sizeof buf;
        SSLErr e = SSLRead(buf, &len, p->s[side].ctx);
        cr_expect_eq(e, SSLConnectionClosedGraceful, "%s: side %d at the end: %s", what, side,
                     SSLXErrorName(e));
        cr_expect_eq(len, 0);
    }
    cr_expect_eq(SSLClose(p->s[PAIR_PEER(first)].ctx), SSLNoErr, "%s", what);
}

ParameterizedTestParameters(ssl2, kind_full_reused)
{
    return cr_make_param_array(uint16_t, (void *)kinds, NKINDS);
}

ParameterizedTest(uint16_t *suite, ssl2, kind_full_reused, .timeout = 60)
{
    struct pair_cache cc, sc;
    pair_cache_init(&cc);
    pair_cache_init(&sc);
    struct pair_config c;
    config_v2(&c, suite);
    c.cache[PAIR_CLIENT] = &cc;
    c.cache[PAIR_SERVER] = &sc;
    struct pair p;
    cr_assert(kind_supported(*suite), "%s: this build cannot run an SSL 2.0 kind",
              SSLXCipherSuiteName(*suite));
    uint8 sid[2][16];
    for (int conn = 0; conn < 2; conn++) {
        char what[64];
        snprintf(what, sizeof what, "%s %s", SSLXCipherSuiteName(*suite), conn ? "reused" : "full");
        c.seed = 5 + (uint64_t)conn;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        int r = pair_handshake(&p);
        cr_assert_eq(r, PAIR_OK, "%s: client %s, server %s", what, SSLXErrorName(p.s[0].last),
                     SSLXErrorName(p.s[1].last));
        expect_v2(&p, *suite, conn, what);
        uint32 l = 16;
        cr_expect_eq(SSLXGetSessionID(p.s[0].ctx, sid[conn], &l), SSLNoErr);
        exchange(&p, 1, 100, what);
        exchange(&p, 16000, 200, what);
        exchange(&p, 100000, 300, what);
        close_v2(&p, conn ? PAIR_SERVER : PAIR_CLIENT, what);
        pair_free(&p);
        expect_no_leaks(&p);
    }
    cr_expect(memcmp(sid[0], sid[1], 16) == 0, "the session ID was reused");
    cr_expect_eq(sc.adds, 1, "the server stored the session once");
    cr_expect_eq(cc.adds, 1, "the client stored the session once");
    cr_expect_geq(sc.hits, 1, "the server found it");
    pair_cache_clear(&cc);
    pair_cache_clear(&sc);
}

/* Several kinds offered: the client's first kind the server lists wins; the server lists its own
 * order, so the client's preference decides in SSL 2.0. */
Test(ssl2, kind_choice)
{
    static const uint16_t cli[] = {SSL2_SUITE_DES_192_EDE3_CBC_WITH_MD5, SSL2_SUITE_RC4_128_WITH_MD5};
    static const uint16_t srv[] = {SSL2_SUITE_RC4_128_WITH_MD5, SSL2_SUITE_DES_192_EDE3_CBC_WITH_MD5,
                                   SSL2_SUITE_RC2_128_CBC_WITH_MD5};
    struct pair_config c;
    pair_config_init(&c);
    c.version[0] = c.version[1] = SSL_Version_2_0;
    c.suites[PAIR_CLIENT] = cli;
    c.nsuites[PAIR_CLIENT] = 2;
    c.suites[PAIR_SERVER] = srv;
    c.nsuites[PAIR_SERVER] = 3;
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(pair_handshake(&p), PAIR_OK, "%s / %s", SSLXErrorName(p.s[0].last),
                 SSLXErrorName(p.s[1].last));
    uint16 s = 0;
    cr_expect_eq(SSLGetNegotiatedCipher(p.s[PAIR_SERVER].ctx, &s), SSLNoErr);
    cr_expect_eq(s, SSL2_SUITE_DES_192_EDE3_CBC_WITH_MD5, "negotiated %04x", s);
    exchange(&p, 777, 1, "kind choice");
    pair_free(&p);
    expect_no_leaks(&p);
}

/* No kind in common: the server sends ERROR (NO-CIPHER) and returns SSLNegotiationErr. */
Test(ssl2, no_common_kind)
{
    static const uint16_t cli[] = {SSL2_SUITE_RC4_128_EXPORT40_WITH_MD5};
    static const uint16_t srv[] = {SSL2_SUITE_DES_192_EDE3_CBC_WITH_MD5};
    struct pair_config c;
    pair_config_init(&c);
    c.version[0] = c.version[1] = SSL_Version_2_0;
    c.suites[PAIR_CLIENT] = cli;
    c.nsuites[PAIR_CLIENT] = 1;
    c.suites[PAIR_SERVER] = srv;
    c.nsuites[PAIR_SERVER] = 1;
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_expect_eq(pair_handshake(&p), PAIR_FAILED);
    cr_expect_eq(p.s[PAIR_SERVER].last, SSLNegotiationErr, "%s", SSLXErrorName(p.s[1].last));
    cr_expect_eq(p.s[PAIR_CLIENT].last, SSLFatalAlert, "%s", SSLXErrorName(p.s[0].last));
    uint16 sent = 0, recv = 0;
    SSLXGetLastAlerts(p.s[PAIR_CLIENT].ctx, &sent, &recv);
    cr_expect_eq(recv, 0x0001, "the client got ERROR NO-CIPHER (%04x)", recv);
    pair_free(&p);
    expect_no_leaks(&p);
}

/* Status before and after: the set value before negotiation, SSL_Version_2_0 after. */
Test(ssl2, protocol_version_reporting)
{
    static const uint16_t k = SSL2_SUITE_RC4_128_WITH_MD5;
    struct pair_config c;
    config_v2(&c, &k);
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    SSLProtocolVersion v = SSL_Version_3_0;
    cr_expect_eq(SSLGetProtocolVersion(p.s[0].ctx, &v), SSLNoErr);
    cr_expect_eq(v, SSL_Version_2_0);
    cr_assert_eq(pair_handshake(&p), PAIR_OK);
    cr_expect_eq(SSLGetProtocolVersion(p.s[1].ctx, &v), SSLNoErr);
    cr_expect_eq(v, SSL_Version_2_0);
    pair_free(&p);
    /* an Undetermined server talks SSL 2.0 to a 2.0-only client (no rollback mark: no refusal) */
    pair_config_init(&c);
    pair_config_suite(&c, &k);
    c.version[PAIR_CLIENT] = SSL_Version_2_0;
    c.version[PAIR_SERVER] = SSL_Version_Undetermined;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_expect_eq(SSLGetProtocolVersion(p.s[PAIR_SERVER].ctx, &v), SSLNoErr);
    cr_expect_eq(v, SSL_Version_Undetermined);
    cr_assert_eq(pair_handshake(&p), PAIR_OK, "%s / %s", SSLXErrorName(p.s[0].last),
                 SSLXErrorName(p.s[1].last));
    for (int side = 0; side < 2; side++) {
        cr_expect_eq(SSLGetProtocolVersion(p.s[side].ctx, &v), SSLNoErr);
        cr_expect_eq(v, SSL_Version_2_0, "side %d", side);
    }
    exchange(&p, 5000, 9, "undetermined server, 2.0-only client");
    pair_free(&p);
    expect_no_leaks(&p);
    /* an Undetermined client with SSL 2.0 kinds only is a 2.0 client: it does not offer 3.0 (which
     * it could not use) and does not mark its padding, so an Undetermined server talks 2.0 */
    pair_config_init(&c);
    pair_config_suite(&c, &k);
    c.version[PAIR_CLIENT] = c.version[PAIR_SERVER] = SSL_Version_Undetermined;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(pair_handshake(&p), PAIR_OK, "%s / %s", SSLXErrorName(p.s[0].last),
                 SSLXErrorName(p.s[1].last));
    for (int side = 0; side < 2; side++) {
        cr_expect_eq(SSLGetProtocolVersion(p.s[side].ctx, &v), SSLNoErr);
        cr_expect_eq(v, SSL_Version_2_0, "side %d", side);
    }
    exchange(&p, 300, 7, "undetermined pair, SSL 2.0 kinds only");
    pair_free(&p);
    expect_no_leaks(&p);
}

/* ---- would-block at every byte and partial I/O: the same bytes on the wire ---- */

struct summary {
    uint64_t hash[2][2], bytes[2][2];
    int resumed[2][2];
    uint64_t wouldblocks;
};

static void run_scenario(uint16_t suite, const struct pair_io_cfg *io, struct summary *out)
{
    struct pair_cache cc, sc;
    pair_cache_init(&cc);
    pair_cache_init(&sc);
    memset(out, 0, sizeof *out);
    struct pair_config c;
    config_v2(&c, &suite);
    c.cache[0] = &cc;
    c.cache[1] = &sc;
    c.io[0] = c.io[1] = *io;
    for (int conn = 0; conn < 2; conn++) {
        c.seed = 50 + (uint64_t)conn;
        struct pair p;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        int r = pair_handshake(&p);
        cr_assert_eq(r, PAIR_OK, "%04x chunk %u wb %d/%d conn %d: %s / %s", suite, io->chunk,
                     io->wb_every_byte, io->wb_with_data, conn, SSLXErrorName(p.s[0].last),
                     SSLXErrorName(p.s[1].last));
        expect_v2(&p, suite, conn, "scenario");
        exchange(&p, 16001, 60 + (uint32_t)conn, "scenario");
        for (int d = 0; d < 2; d++) {
            out->hash[conn][d] = p.pipe[d].hash;
            out->bytes[conn][d] = p.pipe[d].total;
            cr_expect_eq(SSLXGetResumed(p.s[d].ctx, &out->resumed[conn][d]), SSLNoErr);
        }
        close_v2(&p, PAIR_CLIENT, "scenario");
        out->wouldblocks += p.s[0].end.wouldblocks + p.s[1].end.wouldblocks;
        pair_free(&p);
        expect_no_leaks(&p);
    }
    pair_cache_clear(&cc);
    pair_cache_clear(&sc);
}

static void expect_same(const struct summary *a, const struct summary *b, const char *what)
{
    for (int conn = 0; conn < 2; conn++)
        for (int d = 0; d < 2; d++) {
            cr_expect_eq(a->hash[conn][d], b->hash[conn][d], "%s: conn %d pipe %d differs", what,
                         conn, d);
            cr_expect_eq(a->bytes[conn][d], b->bytes[conn][d], "%s: byte counts", what);
            cr_expect_eq(b->resumed[conn][d], conn, "%s: conn %d side %d resumed", what, conn, d);
        }
}

/* Every kind (kind_full_reused fails if the build cannot run one). */
ParameterizedTestParameters(ssl2, would_block_every_byte)
{
    return cr_make_param_array(uint16_t, (void *)kinds, NKINDS);
}

ParameterizedTest(uint16_t *suite, ssl2, would_block_every_byte, .timeout = 120)
{
    struct summary ref, got;
    struct pair_io_cfg plain = {0}, wb = {.wb_every_byte = 1},
                       wbd = {.wb_every_byte = 1, .wb_with_data = 1}, part = {.chunk = 5};
    run_scenario(*suite, &plain, &ref);
    run_scenario(*suite, &wb, &got);
    expect_same(&ref, &got, "would-block before every byte");
    cr_expect_gt(got.wouldblocks, 2 * (ref.bytes[0][0] + ref.bytes[0][1]),
                 "every byte was preceded by a would-block");
    run_scenario(*suite, &wbd, &got);
    expect_same(&ref, &got, "would-block returned with each byte");
    run_scenario(*suite, &part, &got);
    expect_same(&ref, &got, "5-byte partial I/O");
}

/* ---- records as large as the peer may send, a small server key, a session the server forgot ---- */

/* SSL 2.0 §1.1: a 2-byte header carries up to 32767 bytes, a 3-byte one up to 16383. We send at most
 * 16000 data bytes per record, but must take the largest records a peer may send. */
Test(ssl2, largest_records_from_peer)
{
    static const struct {
        uint16_t kind;
        uint32_t data;
    } cases[] = {
        {SSL2_SUITE_RC4_128_WITH_MD5, 32767 - 16},            /* 2-byte header, full */
        {SSL2_SUITE_DES_192_EDE3_CBC_WITH_MD5, 32760 - 16},   /* 2-byte header, no padding */
        {SSL2_SUITE_DES_192_EDE3_CBC_WITH_MD5, 16376 - 16 - 7}, /* 3-byte header, 7 padding bytes */
        {SSL2_SUITE_RC2_128_CBC_WITH_MD5, 16376 - 16 - 1},    /* 3-byte header, 1 padding byte */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pair_config c;
        config_v2(&c, &cases[i].kind);
        struct pair p;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        cr_assert_eq(pair_handshake(&p), PAIR_OK);
        for (int from = 0; from < 2; from++) {
            uint8_t *buf = malloc(cases[i].data);
            cr_assert(buf);
            pair_pattern(buf, cases[i].data, (uint32_t)i);
            uint64_t before = p.pipe[from].total;
            cr_assert_eq(ssl2_seal(p.s[from].ctx, buf, cases[i].data), SSLNoErr);
            cr_assert_eq(SSLServiceWriteQueue(p.s[from].ctx), SSLNoErr);
            size_t hdr = cases[i].data + 16 == 32767 || (cases[i].data + 16) % 8 == 0 ? 2 : 3;
            size_t pad = hdr == 3 ? 8 - (cases[i].data + 16) % 8 : 0;
            cr_expect_eq(p.pipe[from].total - before, hdr + 16 + cases[i].data + pad,
                         "case %zu: one record of %zu header bytes", i, hdr);
            int to = PAIR_PEER(from);
            p.s[to].rx_len = 0;
            SSLErr e = pair_recv_all(&p, to, cases[i].data);
            cr_expect_eq(e, SSLNoErr, "case %zu from %d: %s", i, from, SSLXErrorName(e));
            cr_expect(p.s[to].rx_len == cases[i].data && memcmp(p.s[to].rx, buf, cases[i].data) == 0,
                      "case %zu from %d: %zu bytes arrived intact", i, from, p.s[to].rx_len);
            free(buf);
        }
        exchange(&p, 100, 3, "after a large record");
        pair_free(&p);
        expect_no_leaks(&p);
    }
}

ParameterizedTestParameters(ssl2, server_key_512)
{
    return cr_make_param_array(uint16_t, (void *)kinds, NKINDS);
}

/* A 512-bit server key (the smallest RSA block the master key must fit in). */
ParameterizedTest(uint16_t *suite, ssl2, server_key_512)
{
    struct pair_config c;
    config_v2(&c, suite);
    c.server_key = "export512-key.pem";
    c.server_chain = "export512-cert.pem";
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(pair_handshake(&p), PAIR_OK, "%04x: %s / %s", *suite, SSLXErrorName(p.s[0].last),
                 SSLXErrorName(p.s[1].last));
    uint16 got = 0;
    cr_expect_eq(SSLGetNegotiatedCipher(p.s[PAIR_CLIENT].ctx, &got), SSLNoErr);
    cr_expect_eq(got, *suite);
    exchange(&p, 20000, 4, "512-bit server");
    pair_free(&p);
    expect_no_leaks(&p);
}

/* The client offers a session ID the server no longer has: a full handshake follows, on both sides. */
Test(ssl2, reuse_miss)
{
    static const uint16_t k = SSL2_SUITE_RC2_128_CBC_WITH_MD5;
    struct pair_cache cc, sc;
    pair_cache_init(&cc);
    pair_cache_init(&sc);
    struct pair_config c;
    config_v2(&c, &k);
    c.cache[PAIR_CLIENT] = &cc;
    c.cache[PAIR_SERVER] = &sc;
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(pair_handshake(&p), PAIR_OK);
    uint8 sid1[16], sid2[16];
    uint32 l1 = 16, l2 = 16;
    cr_expect_eq(SSLXGetSessionID(p.s[0].ctx, sid1, &l1), SSLNoErr);
    pair_free(&p);
    pair_cache_clear(&sc); /* the server forgets */
    pair_cache_init(&sc);
    c.seed = 9;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(pair_handshake(&p), PAIR_OK, "%s / %s", SSLXErrorName(p.s[0].last),
                 SSLXErrorName(p.s[1].last));
    cr_expect_eq(cc.hits, 1, "the client offered its cached session");
    expect_v2(&p, k, 0, "reuse miss");
    cr_expect_eq(SSLXGetSessionID(p.s[0].ctx, sid2, &l2), SSLNoErr);
    cr_expect(memcmp(sid1, sid2, 16) != 0, "a new session");
    exchange(&p, 16000, 8, "reuse miss");
    pair_free(&p);
    expect_no_leaks(&p);
    pair_cache_clear(&cc);
    pair_cache_clear(&sc);
}

/* An SSL 2.0 session offered in an SSL 2.0-format hello that also offers 3.0: a 3.0-capable server
 * continues in 3.0 and must not resume the SSL 2.0 session there; a full 3.0 handshake follows. */
Test(ssl2, v2_session_not_resumed_as_v3)
{
    static const uint16_t both[] = {TLS_RSA_WITH_AES_128_CBC_SHA, SSL2_SUITE_RC4_128_WITH_MD5};
    struct pair_cache cc, sc;
    pair_cache_init(&cc);
    pair_cache_init(&sc);
    struct pair_config c;
    pair_config_init(&c);
    c.suites[0] = c.suites[1] = both;
    c.nsuites[0] = c.nsuites[1] = 2;
    c.version[PAIR_CLIENT] = SSL_Version_2_0;
    c.version[PAIR_SERVER] = SSL_Version_Undetermined;
    c.cache[PAIR_CLIENT] = &cc;
    c.cache[PAIR_SERVER] = &sc;
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(pair_handshake(&p), PAIR_OK);
    SSLProtocolVersion v = SSL_Version_Undetermined;
    cr_expect_eq(SSLGetProtocolVersion(p.s[0].ctx, &v), SSLNoErr);
    cr_expect_eq(v, SSL_Version_2_0);
    pair_free(&p);
    c.version[PAIR_CLIENT] = SSL_Version_Undetermined; /* now the client offers 3.0 as well */
    c.seed = 3;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(pair_handshake(&p), PAIR_OK, "%s / %s", SSLXErrorName(p.s[0].last),
                 SSLXErrorName(p.s[1].last));
    for (int side = 0; side < 2; side++) {
        int r = -1;
        uint16 s = 0;
        cr_expect_eq(SSLGetProtocolVersion(p.s[side].ctx, &v), SSLNoErr);
        cr_expect_eq(v, SSL_Version_3_0, "side %d", side);
        cr_expect_eq(SSLXGetResumed(p.s[side].ctx, &r), SSLNoErr);
        cr_expect_eq(r, 0, "side %d did not resume the SSL 2.0 session", side);
        cr_expect_eq(SSLGetNegotiatedCipher(p.s[side].ctx, &s), SSLNoErr);
        cr_expect_eq(s, TLS_RSA_WITH_AES_128_CBC_SHA);
    }
    exchange(&p, 5000, 6, "3.0 after a 2.0 session");
    pair_free(&p);
    expect_no_leaks(&p);
    pair_cache_clear(&cc);
    pair_cache_clear(&sc);
}

/* SSL 2.0 §2.6: a server may send REQUEST-CERTIFICATE after SERVER-VERIFY. Our client has no SSL 2.0
 * client certificates: it answers ERROR (NO-CERTIFICATE-ERROR) and the handshake goes on. Our server
 * never asks, so a scripted one does: it seals the request with its own keys before its
 * SERVER-FINISHED. (That server does not wait for the answer, so the ERROR reaches it after its
 * handshake, as the 3 bytes 00 00 02 of the first record: the client sent it, sealed in sequence.) */
Test(ssl2, request_certificate_answered_with_error)
{
    static const uint16_t k = SSL2_SUITE_DES_192_EDE3_CBC_WITH_MD5;
    struct pair_config c;
    config_v2(&c, &k);
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(pair_run_side(&p, PAIR_CLIENT), SSLWouldBlockErr);  /* CLIENT-HELLO */
    cr_assert_eq(pair_run_side(&p, PAIR_SERVER), SSLWouldBlockErr);  /* SERVER-HELLO */
    cr_assert_eq(pair_run_side(&p, PAIR_CLIENT), SSLWouldBlockErr);  /* MASTER-KEY, FINISHED */
    const uint8_t *d = NULL;
    size_t n = pair_pending(&p, PAIR_SERVER, &d), hdr, body, pad;
    size_t cmk = pkx_v2_record(d, n, &hdr, &body, &pad);
    cr_assert(cmk > 0 && cmk < n);
    uint8_t *all = malloc(n);
    cr_assert(all);
    memcpy(all, d, n);
    const uint8_t *rest = all + cmk;
    size_t restlen = n - cmk;
    pair_drain(&p, PAIR_SERVER);
    pair_inject(&p, PAIR_SERVER, all, cmk);
    cr_assert_eq(pair_run_side(&p, PAIR_SERVER), SSLWouldBlockErr); /* SERVER-VERIFY, waits */
    uint8_t req[1 + 1 + 16] = {MSG2_REQUEST_CERTIFICATE, 1 /* SSL_AT_MD5_WITH_RSA_ENCRYPTION */};
    memset(req + 2, 0x42, 16);
    cr_assert_eq(ssl2_seal(p.s[PAIR_SERVER].ctx, req, sizeof req), SSLNoErr);
    pair_inject(&p, PAIR_SERVER, rest, restlen);
    free(all);
    cr_assert_eq(pair_run_side(&p, PAIR_SERVER), SSLNoErr, "%s", SSLXErrorName(p.s[1].last));
    SSLErr e = pair_run_side(&p, PAIR_CLIENT);
    cr_assert_eq(e, SSLNoErr, "the client goes on after REQUEST-CERTIFICATE: %s", SSLXErrorName(e));
    cr_expect_eq(pair_recv_all(&p, PAIR_SERVER, 3), SSLNoErr);
    cr_expect(p.s[PAIR_SERVER].rx_len == 3 && p.s[PAIR_SERVER].rx[0] == MSG2_ERROR &&
                  p.s[PAIR_SERVER].rx[1] == 0 && p.s[PAIR_SERVER].rx[2] == ERR2_NO_CERTIFICATE,
              "the client answered ERROR NO-CERTIFICATE (%zu bytes)", p.s[PAIR_SERVER].rx_len);
    exchange(&p, 1000, 2, "after REQUEST-CERTIFICATE");
    pair_free(&p);
    expect_no_leaks(&p);
}

/* ---- RFC 6101 Appendix E.1: a shorter challenge is the right-aligned client random ---- */

ParameterizedTestParameters(ssl2, v2_hello_challenge_lengths)
{
    static uint32_t lens[] = {16, 17, 20, 31, 32};
    return cr_make_param_array(uint32_t, lens, 5);
}

/* Old clients send 16-byte challenges. Our client always sends 32, so the test shortens its hello in
 * flight to the last @len bytes and makes the client agree (random = zeros + those bytes, handshake
 * hashes restarted with the changed hello). The server must right-align the challenge (a DHE
 * signature covers the client random) and hash the hello as received (Finished). */
ParameterizedTest(uint32_t *len, ssl2, v2_hello_challenge_lengths)
{
    static const uint16_t suites[] = {TLS_DHE_RSA_WITH_AES_128_CBC_SHA};
    struct pair_config c;
    pair_config_init(&c);
    c.suites[0] = c.suites[1] = suites;
    c.nsuites[0] = c.nsuites[1] = 1;
    c.version[0] = c.version[1] = SSL_Version_Undetermined;
    c.dh_params = "dh1024.pem";
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(pair_run_side(&p, PAIR_CLIENT), SSLWouldBlockErr);
    const uint8_t *d = NULL;
    size_t n = pair_pending(&p, PAIR_SERVER, &d);
    uint8_t rec[512];
    cr_assert_leq(n, sizeof rec);
    memcpy(rec, d, n);
    pair_drain(&p, PAIR_SERVER);
    cr_assert(rec[0] & 0x80);
    uint8_t *m = rec + 2;
    size_t body = n - 2, nch = (size_t)m[7] << 8 | m[8];
    cr_assert_eq(nch, 32);
    /* drop the first 32 - len challenge bytes */
    size_t cut = 32 - *len;
    memmove(m + body - 32, m + body - 32 + cut, *len);
    body -= cut;
    m[7] = 0, m[8] = (uint8_t)*len;
    rec[0] = (uint8_t)(0x80 | body >> 8), rec[1] = (uint8_t)body;
    SSLContext *cl = p.s[PAIR_CLIENT].ctx;
    memset(cl->client_random, 0, cut);
    cr_assert(memcmp(cl->client_random + cut, m + body - *len, *len) == 0);
    struct transcript *t = (struct transcript *)cl->transcript.data;
    cr_assert_not_null(t, "the client's transcript exists while its handshake runs");
    cry_hash_init(&t->md5, CRY_MD5);
    cry_hash_init(&t->sha1, CRY_SHA1);
    cry_hash_update(&t->md5, m, body);
    cry_hash_update(&t->sha1, m, body);
    pair_inject(&p, PAIR_SERVER, rec, 2 + body);
    int r = pair_handshake(&p);
    cr_assert_eq(r, PAIR_OK, "challenge %u: %s / %s", *len, SSLXErrorName(p.s[0].last),
                 SSLXErrorName(p.s[1].last));
    cr_expect(memcmp(p.s[PAIR_SERVER].ctx->client_random, cl->client_random, 32) == 0,
              "the server's client random is the right-aligned challenge");
    SSLProtocolVersion v = SSL_Version_Undetermined;
    cr_expect_eq(SSLGetProtocolVersion(p.s[PAIR_SERVER].ctx, &v), SSLNoErr);
    cr_expect_eq(v, SSL_Version_3_0);
    exchange(&p, 2000, 1, "short challenge");
    pair_free(&p);
    expect_no_leaks(&p);
}

ParameterizedTestParameters(ssl2, challenge_lengths)
{
    static uint32_t lens[] = {16, 23, 32};
    return cr_make_param_array(uint32_t, lens, 3);
}

/* The same in SSL 2.0 proper: CHALLENGE-LENGTH 16..32 (§2.5); SERVER-VERIFY echoes the challenge and
 * the key material hashes it, so both must use exactly the bytes sent. */
ParameterizedTest(uint32_t *len, ssl2, challenge_lengths)
{
    static const uint16_t k = SSL2_SUITE_RC2_128_CBC_EXPORT40_WITH_MD5;
    struct pair_config c;
    config_v2(&c, &k);
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(pair_run_side(&p, PAIR_CLIENT), SSLWouldBlockErr);
    const uint8_t *d = NULL;
    size_t n = pair_pending(&p, PAIR_SERVER, &d);
    uint8_t rec[512];
    cr_assert_leq(n, sizeof rec);
    memcpy(rec, d, n);
    pair_drain(&p, PAIR_SERVER);
    uint8_t *m = rec + 2;
    size_t body = n - 2, cut = 32 - *len;
    cr_assert_eq(m[8], 32);
    memmove(m + body - 32, m + body - 32 + cut, *len);
    body -= cut;
    m[8] = (uint8_t)*len;
    rec[0] = (uint8_t)(0x80 | body >> 8), rec[1] = (uint8_t)body;
    SSLContext *cl = p.s[PAIR_CLIENT].ctx;
    memmove(cl->challenge, cl->challenge + cut, *len);
    cl->challenge_len = (uint8_t)*len;
    pair_inject(&p, PAIR_SERVER, rec, 2 + body);
    cr_assert_eq(pair_handshake(&p), PAIR_OK, "challenge %u: %s / %s", *len,
                 SSLXErrorName(p.s[0].last), SSLXErrorName(p.s[1].last));
    expect_v2(&p, k, 0, "short challenge");
    exchange(&p, 2000, 1, "short challenge");
    pair_free(&p);
    expect_no_leaks(&p);
}
