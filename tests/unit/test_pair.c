/*
 * test_pair.c - pair tests (DESIGN.md §4) for every SSL 3.0 suite of issue 2: full handshake, data
 * both ways (1, 16384, 16385 bytes and 1 MiB, content checked), resumption, clean close both ways;
 * CBC 1/n-1 record splitting on and off; and the same handshakes with would-block at every byte and
 * with partial I/O of 1..7 bytes, which must give byte-identical transcripts and keys.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pair.h"

static void keylog_cb(const char *line, void *ref)
{
    snprintf(ref, 200, "%s", line);
}

static void expect_no_leaks(const struct pair *p)
{
    for (int side = 0; side < 2; side++) {
        cr_expect_eq(p->s[side].alloc.live_blocks, 0, "side %d leaks %ld blocks (%ld bytes)", side,
                     p->s[side].alloc.live_blocks, p->s[side].alloc.live_bytes);
        cr_expect_eq(p->s[side].alloc.bad_frees, 0, "side %d freed foreign blocks", side);
        cr_expect_eq(p->s[side].alloc.unwiped_frees, 0, "side %d freed %ld blocks without wiping them",
                     side, p->s[side].alloc.unwiped_frees);
    }
}

static uint8_t *server_cert_der(uint32_t *len)
{
    size_t n;
    char *pem = pair_read_data("server-cert.pem", &n);
    cr_assert(pem);
    size_t pos = 0;
    uint8 *der = NULL;
    cr_assert_eq(SSLXPEMDecode(pem, n, &pos, "CERTIFICATE", &der, len), SSLNoErr);
    free(pem);
    return der;
}

/* The client sees the server's chain: leaf = server-cert.pem, then the CA. */
static void expect_peer_chain(struct pair *p)
{
    int n = -1;
    cr_expect_eq(SSLGetPeerCertificateChainLength(p->s[PAIR_CLIENT].ctx, &n), SSLNoErr);
    cr_expect_eq(n, 2, "peer chain length %d", n);
    SSLBuffer c = {0, NULL};
    cr_assert_eq(SSLGetPeerCertificate(p->s[PAIR_CLIENT].ctx, 0, &c), SSLNoErr);
    uint32_t len;
    uint8_t *der = server_cert_der(&len);
    cr_expect_eq(c.length, len);
    cr_expect(c.length == len && memcmp(c.data, der, len) == 0, "leaf is server-cert.pem");
    free(der);
    memset(c.data, 0, c.length); /* the allocator counts blocks freed unwiped */
    pair_free_fn(&c, &p->s[PAIR_CLIENT].alloc);
    n = -1;
    cr_expect_eq(SSLGetPeerCertificateChainLength(p->s[PAIR_SERVER].ctx, &n), SSLNoErr);
    cr_expect_eq(n, 0, "no client certificate was asked for");
}

static void expect_established(struct pair *p, uint16_t suite, int resumed)
{
    for (int side = 0; side < 2; side++) {
        uint16 got = 0xffff;
        SSLProtocolVersion v = SSL_Version_Undetermined;
        int r = -1;
        cr_expect_eq(SSLGetNegotiatedCipher(p->s[side].ctx, &got), SSLNoErr);
        cr_expect_eq(got, suite, "side %d negotiated %04x, want %04x", side, got, suite);
        cr_expect_eq(SSLGetProtocolVersion(p->s[side].ctx, &v), SSLNoErr);
        cr_expect_eq(v, SSL_Version_3_0);
        cr_expect_eq(SSLXGetResumed(p->s[side].ctx, &r), SSLNoErr);
        cr_expect_eq(r, resumed, "side %d resumed=%d, want %d", side, r, resumed);
    }
    uint8 a[32], b[32];
    uint32 al = sizeof a, bl = sizeof b;
    cr_expect_eq(SSLXGetSessionID(p->s[0].ctx, a, &al), SSLNoErr);
    cr_expect_eq(SSLXGetSessionID(p->s[1].ctx, b, &bl), SSLNoErr);
    cr_expect_eq(al, 32, "the server caches, so it issued a 32-byte session ID");
    cr_expect(al == bl && memcmp(a, b, al) == 0, "both sides agree on the session ID");
}

/* Close from @first, then from the other side: each reader sees a graceful close. SSL 2.0 has no
 * close_notify: there SSLClose sends nothing and the end of the transport is the clean end. */
static void close_both(struct pair *p, int first)
{
    SSLProtocolVersion v = SSL_Version_3_0;
    SSLGetProtocolVersion(p->s[first].ctx, &v);
    if (v == SSL_Version_2_0) {
        uint64_t before = p->pipe[first].total;
        cr_expect_eq(SSLClose(p->s[first].ctx), SSLNoErr);
        cr_expect_eq(p->pipe[first].total, before, "SSL 2.0: SSLClose sends nothing");
        pair_eof(p, PAIR_CLIENT);
        pair_eof(p, PAIR_SERVER);
        for (int side = 0; side < 2; side++) {
            uint8_t buf[8];
            uint32 len = sizeof buf;
            SSLErr e = SSLRead(buf, &len, p->s[side].ctx);
            cr_expect_eq(e, SSLConnectionClosedGraceful, "SSL 2.0 side %d at the end of the stream: %s",
                         side, SSLXErrorName(e));
        }
        cr_expect_eq(SSLClose(p->s[PAIR_PEER(first)].ctx), SSLNoErr);
        return;
    }
    SSLErr cr = SSLUnknownErr;
    SSLErr r = pair_close(p, first, &cr);
    cr_expect_eq(cr, SSLNoErr, "SSLClose: %s", SSLXErrorName(cr));
    cr_expect_eq(r, SSLConnectionClosedGraceful, "peer read after close: %s", SSLXErrorName(r));
    uint8_t buf[8];
    uint32 len = sizeof buf;
    cr_expect_eq(SSLRead(buf, &len, p->s[PAIR_PEER(first)].ctx), SSLConnectionClosedGraceful,
                 "a closed connection stays closed");
    cr_expect_eq(len, 0);
    r = pair_close(p, PAIR_PEER(first), &cr);
    cr_expect_eq(cr, SSLNoErr, "second SSLClose: %s", SSLXErrorName(cr));
    cr_expect_eq(r, SSLConnectionClosedGraceful, "first closer reads: %s", SSLXErrorName(r));
}

static void exchange_sizes(struct pair *p, const size_t *sizes, int n)
{
    for (int i = 0; i < n; i++) {
        uint8_t *buf = malloc(sizes[i]);
        cr_assert(buf);
        for (int from = 0; from < 2; from++) {
            pair_pattern(buf, sizes[i], (uint32_t)(sizes[i] * 2 + (size_t)from));
            SSLErr e = pair_exchange(p, from, buf, sizes[i]);
            cr_expect_eq(e, SSLNoErr, "%zu bytes from side %d: %s", sizes[i], from, SSLXErrorName(e));
            uint32 pend = 1;
            cr_expect_eq(SSLGetReadPendingSize(p->s[PAIR_PEER(from)].ctx, &pend), SSLNoErr);
            cr_expect_eq(pend, 0, "everything was read");
        }
        free(buf);
    }
}

ParameterizedTestParameters(pair, suite_full_data_resume_close)
{
    return cr_make_param_array(uint16_t, (void *)pair_suites, PAIR_NSUITES);
}

ParameterizedTest(uint16_t *suite, pair, suite_full_data_resume_close, .timeout = 60)
{
    struct pair_cache cc, sc;
    pair_cache_init(&cc);
    pair_cache_init(&sc);
    struct pair_config c;
    pair_config_init(&c);
    pair_config_suite(&c, suite);
    c.cache[PAIR_CLIENT] = &cc;
    c.cache[PAIR_SERVER] = &sc;
    struct pair p;
    uint8 sid1[32];
    uint32 sid1len = sizeof sid1;

    /* first connection: full handshake */
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    int r = pair_handshake(&p);
    cr_assert_eq(r, PAIR_OK, "handshake %04x: client %s, server %s", *suite,
                 SSLXErrorName(p.s[0].last), SSLXErrorName(p.s[1].last));
    expect_established(&p, *suite, 0);
    expect_peer_chain(&p);
    cr_expect_eq(SSLXGetSessionID(p.s[0].ctx, sid1, &sid1len), SSLNoErr);
    cr_expect_eq(cc.adds, 1, "the client stored its session");
    cr_expect_eq(sc.adds, 1, "the server stored its session");
    const size_t sizes[] = {1, 16384, 16385, 1u << 20};
    exchange_sizes(&p, sizes, 4);
    close_both(&p, PAIR_CLIENT);
    pair_free(&p);
    expect_no_leaks(&p);
    cr_expect_eq(cc.n, 1, "a clean close keeps the session");
    cr_expect_eq(sc.n, 1);

    /* second connection: resumed */
    c.seed = 2;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    r = pair_handshake(&p);
    cr_assert_eq(r, PAIR_OK, "resumed handshake %04x: client %s, server %s", *suite,
                 SSLXErrorName(p.s[0].last), SSLXErrorName(p.s[1].last));
    expect_established(&p, *suite, 1);
    expect_peer_chain(&p);
    uint8 sid2[32];
    uint32 sid2len = sizeof sid2;
    cr_expect_eq(SSLXGetSessionID(p.s[0].ctx, sid2, &sid2len), SSLNoErr);
    cr_expect(sid1len == sid2len && memcmp(sid1, sid2, sid1len) == 0, "the same session");
    const size_t sizes2[] = {1, 16385};
    exchange_sizes(&p, sizes2, 2);
    close_both(&p, PAIR_SERVER);
    pair_free(&p);
    expect_no_leaks(&p);
    pair_cache_clear(&cc);
    pair_cache_clear(&sc);
}

/* ---- CBC 1/n-1 splitting: count application-data records on the wire ---- */

struct rec_count {
    int appdata[2];
    size_t lens[2][8];
};

static int count_hook(int from, uint32_t index, struct pair_rec *r, void *ref)
{
    (void)index;
    struct rec_count *rc = ref;
    if (r->b[0] == 23) {
        if (rc->appdata[from] < 8)
            rc->lens[from][rc->appdata[from]] = r->len - 5;
        rc->appdata[from]++;
    }
    return PAIR_PASS;
}

struct split_param {
    uint16_t suite;
    int split;
};

ParameterizedTestParameters(pair, cbc_split)
{
    static struct split_param ps[2 * PAIR_NSUITES];
    for (int i = 0; i < PAIR_NSUITES; i++)
        for (int s = 0; s < 2; s++)
            ps[2 * i + s] = (struct split_param){pair_suites[i], s};
    return cr_make_param_array(struct split_param, ps, 2 * PAIR_NSUITES);
}

ParameterizedTest(struct split_param *sp, pair, cbc_split, .timeout = 60)
{
    struct rec_count rc;
    memset(&rc, 0, sizeof rc);
    struct pair_config c;
    pair_config_init(&c);
    pair_config_suite(&c, &sp->suite);
    c.cbc_split = sp->split;
    c.hook = count_hook;
    c.hook_ref = &rc;
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(pair_handshake(&p), PAIR_OK);
    int cbc = sp->suite == 0x0009 || sp->suite == 0x000a || sp->suite == 0x002f || sp->suite == 0x0035;
    uint8_t buf[16384];
    pair_pattern(buf, sizeof buf, 7);
    for (int from = 0; from < 2; from++) {
        memset(&rc, 0, sizeof rc);
        cr_expect_eq(pair_exchange(&p, from, buf, sizeof buf), SSLNoErr);
        int want = cbc && sp->split ? 2 : 1;
        cr_expect_eq(rc.appdata[from], want, "suite %04x split %d: %d records for 16384 bytes",
                     sp->suite, sp->split, rc.appdata[from]);
        if (want == 2) /* the first record carries one byte: MAC + padding round up to a block */
            cr_expect_leq(rc.lens[from][0], 32, "first record %zu bytes", rc.lens[from][0]);
        memset(&rc, 0, sizeof rc);
        cr_expect_eq(pair_exchange(&p, from, buf, 1), SSLNoErr);
        cr_expect_eq(rc.appdata[from], 1, "a 1-byte write is never split");
    }
    close_both(&p, PAIR_CLIENT);
    pair_free(&p);
    expect_no_leaks(&p);
}

/* ---- the same connection under every I/O pattern ---- */

struct summary {
    char keylog[2][2][200];   /* [connection][side] */
    uint64_t hs_hash[2][2];   /* [connection][pipe]: transcript hash once the handshake is done */
    uint64_t hs_bytes[2][2];
    int resumed[2];
    uint64_t wouldblocks;
};

/* Two connections (full, then resumed), each with data both ways and a clean close. */
enum { SC_CLIENT_AUTH = 1, SC_SSL2 = 2, SC_V2HELLO = 4 };

static void run_scenario_f(uint16_t suite, const struct pair_io_cfg *io, size_t limit, size_t datalen,
                           struct summary *out, int flags)
{
    struct pair_cache cc, sc;
    pair_cache_init(&cc);
    pair_cache_init(&sc);
    memset(out, 0, sizeof *out);
    struct pair_config c;
    pair_config_init(&c);
    pair_config_suite(&c, &suite);
    c.cache[0] = &cc;
    c.cache[1] = &sc;
    c.io[0] = c.io[1] = *io;
    c.pipe_limit = limit;
    c.export_key = "export512-key.pem";
    c.dh_params = "dh1024.pem";
    if (flags & SC_SSL2)
        c.version[0] = c.version[1] = SSL_Version_2_0;
    if (flags & SC_V2HELLO) /* SSL 3.0 negotiated through an SSL 2.0-format hello */
        c.version[0] = c.version[1] = SSL_Version_Undetermined;
    if (flags & SC_CLIENT_AUTH) {
        c.request_client_cert = 1;
        c.client_key = "client-key.pem";
        c.client_chain = "client-cert.pem";
    }
    /* CBC splitting stays on: the transcripts compared are the handshakes', which it does not touch */
    uint8_t *buf = malloc(datalen);
    cr_assert(buf);
    for (int conn = 0; conn < 2; conn++) {
        c.seed = 10 + (uint64_t)conn;
        struct pair p;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        for (int side = 0; side < 2; side++)
            SSLXSetKeyLogFunc(p.s[side].ctx, keylog_cb, out->keylog[conn][side]);
        int r = pair_handshake(&p);
        cr_assert_eq(r, PAIR_OK, "suite %04x chunk %u wb %d/%d limit %zu conn %d: %s / %s", suite,
                     io->chunk, io->wb_every_byte, io->wb_with_data, limit, conn,
                     SSLXErrorName(p.s[0].last), SSLXErrorName(p.s[1].last));
        for (int d = 0; d < 2; d++) {
            out->hs_hash[conn][d] = p.pipe[d].hash;
            out->hs_bytes[conn][d] = p.pipe[d].total;
        }
        cr_expect_eq(SSLXGetResumed(p.s[0].ctx, &out->resumed[conn]), SSLNoErr);
        int sr = -1;
        cr_expect_eq(SSLXGetResumed(p.s[1].ctx, &sr), SSLNoErr);
        cr_expect_eq(sr, out->resumed[conn]);
        for (int from = 0; from < 2; from++) {
            pair_pattern(buf, datalen, (uint32_t)(conn * 2 + from));
            SSLErr e = pair_exchange(&p, from, buf, datalen);
            cr_expect_eq(e, SSLNoErr, "data from %d: %s", from, SSLXErrorName(e));
        }
        close_both(&p, conn ? PAIR_SERVER : PAIR_CLIENT);
        out->wouldblocks += p.s[0].end.wouldblocks + p.s[1].end.wouldblocks;
        pair_free(&p);
        expect_no_leaks(&p);
    }
    free(buf);
    pair_cache_clear(&cc);
    pair_cache_clear(&sc);
}

static void run_scenario(uint16_t suite, const struct pair_io_cfg *io, size_t limit, size_t datalen,
                         struct summary *out)
{
    run_scenario_f(suite, io, limit, datalen, out, 0);
}

static void expect_same(const struct summary *a, const struct summary *b, const char *what)
{
    for (int conn = 0; conn < 2; conn++) {
        for (int side = 0; side < 2; side++) {
            cr_expect_str_eq(a->keylog[conn][side], b->keylog[conn][side], "%s: keys differ", what);
            cr_expect_str_neq(b->keylog[conn][side], "", "%s: key log line written", what);
            cr_expect_str_eq(b->keylog[conn][side], b->keylog[conn][0], "%s: both sides agree", what);
            cr_expect(strlen(b->keylog[conn][side]) == 14 + 64 + 1 + 96 &&
                          strncmp(b->keylog[conn][side], "CLIENT_RANDOM ", 14) == 0 &&
                          strspn(b->keylog[conn][side] + 14, "0123456789abcdef") == 64 &&
                          strspn(b->keylog[conn][side] + 79, "0123456789abcdef") == 96,
                      "%s: NSS key-log format: %s", what, b->keylog[conn][side]);
            cr_expect_eq(a->hs_hash[conn][side], b->hs_hash[conn][side], "%s: transcript differs", what);
            cr_expect_eq(a->hs_bytes[conn][side], b->hs_bytes[conn][side]);
        }
        cr_expect_eq(a->resumed[conn], b->resumed[conn], "%s", what);
    }
    cr_expect_eq(b->resumed[0], 0);
    cr_expect_eq(b->resumed[1], 1, "%s: second connection resumed", what);
}

ParameterizedTestParameters(pair, would_block_every_byte)
{
    return cr_make_param_array(uint16_t, (void *)pair_suites, PAIR_NSUITES);
}

ParameterizedTest(uint16_t *suite, pair, would_block_every_byte, .timeout = 60)
{
    struct summary ref, got;
    struct pair_io_cfg plain = {0}, wb = {.wb_every_byte = 1},
                       wbd = {.wb_every_byte = 1, .wb_with_data = 1};
    run_scenario(*suite, &plain, 0, 16385, &ref);
    run_scenario(*suite, &wb, 0, 16385, &got);
    expect_same(&ref, &got, "would-block before every byte");
    cr_expect_gt(got.wouldblocks, 2 * (ref.hs_bytes[0][0] + ref.hs_bytes[0][1]),
                 "every byte was preceded by a would-block");
    run_scenario(*suite, &wbd, 0, 16385, &got);
    expect_same(&ref, &got, "would-block returned with each byte");
}

struct io_param {
    uint16_t suite;
    uint32_t chunk;
};

ParameterizedTestParameters(pair, partial_io)
{
    static struct io_param ps[PAIR_NSUITES * 7];
    for (int i = 0; i < PAIR_NSUITES; i++)
        for (uint32_t k = 1; k <= 7; k++)
            ps[i * 7 + (int)k - 1] = (struct io_param){pair_suites[i], k};
    return cr_make_param_array(struct io_param, ps, PAIR_NSUITES * 7);
}

ParameterizedTest(struct io_param *ip, pair, partial_io, .timeout = 60)
{
    struct summary ref, got;
    struct pair_io_cfg plain = {0}, part = {.chunk = ip->chunk};
    run_scenario(ip->suite, &plain, 0, 4099, &ref);
    run_scenario(ip->suite, &part, 0, 4099, &got);
    expect_same(&ref, &got, "partial I/O");
}

/* A slow reader: the pipe holds at most a few bytes, so SSLWrite must queue and report progress. */
Test(pair, backpressure_1mib, .timeout = 60)
{
    struct summary ref, got;
    struct pair_io_cfg plain = {0}, part = {.chunk = 7};
    run_scenario(0x002f, &plain, 0, 1u << 20, &ref);
    run_scenario(0x002f, &part, 4096, 1u << 20, &got);
    expect_same(&ref, &got, "chunk 7, pipe limit 4096");
    run_scenario(0x0004, &plain, 0, 100000, &ref);
    run_scenario(0x0004, &part, 3, 100000, &got);
    expect_same(&ref, &got, "chunk 7, pipe limit 3");
}

/* End of stream reported as a 0-byte read with SSLNoErr works as well as the error form. */
Test(pair, eof_as_zero_read)
{
    struct pair_config c;
    pair_config_init(&c);
    c.io[0].eof_noerr = c.io[1].eof_noerr = 1;
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(pair_handshake(&p), PAIR_OK);
    pair_eof(&p, PAIR_SERVER); /* the client's stream ends without close_notify */
    uint8_t b[4];
    uint32 len = sizeof b;
    cr_expect_eq(SSLRead(b, &len, p.s[PAIR_SERVER].ctx), SSLConnectionClosedError);
    pair_free(&p);
    expect_no_leaks(&p);
}

/* Default configuration: the server prefers AES-128 and neither side enables NULL suites. */
Test(pair, defaults_negotiate_aes128)
{
    struct pair_config c;
    pair_config_init(&c);
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(pair_handshake(&p), PAIR_OK, "%s / %s", SSLXErrorName(p.s[0].last),
                 SSLXErrorName(p.s[1].last));
    uint16 s = 0;
    cr_expect_eq(SSLGetNegotiatedCipher(p.s[0].ctx, &s), SSLNoErr);
    cr_expect_eq(s, TLS_RSA_WITH_AES_128_CBC_SHA);
    pair_free(&p);
    expect_no_leaks(&p);

    static const uint16_t null_only[] = {SSL_RSA_WITH_NULL_MD5, SSL_RSA_WITH_NULL_SHA};
    c.suites[PAIR_CLIENT] = null_only; /* the server keeps its default list */
    c.nsuites[PAIR_CLIENT] = 2;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_expect_eq(pair_handshake(&p), PAIR_FAILED);
    cr_expect_eq(p.s[PAIR_SERVER].last, SSLNegotiationErr, "server: %s", SSLXErrorName(p.s[1].last));
    cr_expect_eq(p.s[PAIR_CLIENT].last, SSLFatalAlert, "client: %s", SSLXErrorName(p.s[0].last));
    uint16 sent = 0, recv = 0;
    SSLXGetLastAlerts(p.s[PAIR_CLIENT].ctx, &sent, &recv);
    cr_expect_eq(recv, 0x0228, "handshake_failure received: %04x", recv);
    pair_free(&p);
    expect_no_leaks(&p);
}

/* ---- the version table (SSLRef 3.0 API, "Version Handshaking Summary") ---- */

struct version_param {
    SSLProtocolVersion client, server;
    SSLProtocolVersion want; /* SSL_Version_3_0, SSL_Version_2_0, or Undetermined: must fail */
};

ParameterizedTestParameters(pair, version_table)
{
#define U SSL_Version_Undetermined
#define H SSL_Version_3_0_With_2_0_Hello
#define O SSL_Version_3_0_Only
#define V2 SSL_Version_2_0
#define V3 SSL_Version_3_0
#define NO SSL_Version_Undetermined
    static struct version_param ps[] = {
        {U, U, V3}, {U, H, V3}, {U, O, NO}, {U, V2, V2},
        {H, U, V3}, {H, H, V3}, {H, O, NO}, {H, V2, NO},
        {O, U, V3}, {O, H, V3}, {O, O, V3}, {O, V2, NO},
        {V2, U, V2}, {V2, H, NO}, {V2, O, NO}, {V2, V2, V2},
    };
#undef U
#undef H
#undef O
#undef V2
#undef V3
#undef NO
    return cr_make_param_array(struct version_param, ps, sizeof ps / sizeof ps[0]);
}

ParameterizedTest(struct version_param *vp, pair, version_table, .timeout = 60)
{
    struct pair_cache cc, sc;
    pair_cache_init(&cc);
    pair_cache_init(&sc);
    struct pair_config c;
    pair_config_init(&c);
    c.version[PAIR_CLIENT] = vp->client;
    c.version[PAIR_SERVER] = vp->server;
    c.cache[0] = &cc;
    c.cache[1] = &sc;
    for (int conn = 0; conn < 2; conn++) {
        struct pair p;
        c.seed = 30 + (uint64_t)conn;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        int r = pair_handshake(&p);
        if (vp->want == SSL_Version_Undetermined) {
            cr_expect_eq(r, PAIR_FAILED, "client %d server %d must not connect (%s / %s)", vp->client,
                         vp->server, SSLXErrorName(p.s[0].last), SSLXErrorName(p.s[1].last));
            pair_free(&p);
            expect_no_leaks(&p);
            break;
        }
        cr_assert_eq(r, PAIR_OK, "client %d server %d conn %d: %s / %s", vp->client, vp->server, conn,
                     SSLXErrorName(p.s[0].last), SSLXErrorName(p.s[1].last));
        for (int side = 0; side < 2; side++) {
            SSLProtocolVersion v;
            cr_expect_eq(SSLGetProtocolVersion(p.s[side].ctx, &v), SSLNoErr);
            cr_expect_eq(v, vp->want, "side %d: version %d, want %d", side, v, vp->want);
        }
        int r0 = -1, r1 = -1;
        SSLXGetResumed(p.s[0].ctx, &r0);
        SSLXGetResumed(p.s[1].ctx, &r1);
        cr_expect_eq(r0, conn, "client resumed=%d on connection %d", r0, conn);
        cr_expect_eq(r1, conn, "server resumed=%d on connection %d", r1, conn);
        const size_t sizes[] = {1, 16385};
        exchange_sizes(&p, sizes, 2);
        close_both(&p, PAIR_CLIENT);
        pair_free(&p);
        expect_no_leaks(&p);
    }
    pair_cache_clear(&cc);
    pair_cache_clear(&sc);
}

/* SSL 2.0 clean close when the Read callback reports the end of the stream as a 0-byte read (the
 * version table above uses the SSLConnectionClosedError form): both sides see
 * SSLConnectionClosedGraceful and the session stays resumable. */
Test(pair, ssl2_eof_as_zero_read)
{
    struct pair_cache cc, sc;
    pair_cache_init(&cc);
    pair_cache_init(&sc);
    struct pair_config c;
    pair_config_init(&c);
    c.version[PAIR_CLIENT] = c.version[PAIR_SERVER] = SSL_Version_2_0;
    c.io[0].eof_noerr = c.io[1].eof_noerr = 1;
    c.cache[0] = &cc;
    c.cache[1] = &sc;
    for (int conn = 0; conn < 2; conn++) {
        struct pair p;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        cr_assert_eq(pair_handshake(&p), PAIR_OK);
        int r = -1;
        SSLXGetResumed(p.s[PAIR_CLIENT].ctx, &r);
        cr_expect_eq(r, conn, "connection %d resumed=%d", conn, r);
        close_both(&p, PAIR_CLIENT);
        pair_free(&p);
        expect_no_leaks(&p);
    }
    pair_cache_clear(&cc);
    pair_cache_clear(&sc);
}

/* ---- record boundaries are not message boundaries (RFC 6101 §5.2.1) ---- */

struct rechunk {
    size_t k;          /* bytes of handshake data per record (0: all in one record) */
    uint8_t held[8192];
    size_t held_len;
    int ccs_seen[2];
};

/* Re-frame @n bytes of handshake data as records of at most k bytes. */
static size_t reframe(uint8_t *out, const uint8_t *data, size_t n, size_t k)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t m = k && n - i > k ? k : n - i;
        out[o++] = 22, out[o++] = 3, out[o++] = 0, out[o++] = (uint8_t)(m >> 8), out[o++] = (uint8_t)m;
        memcpy(out + o, data + i, m);
        o += m;
        i += m;
    }
    return o;
}

/* The server's first flight (ServerHello, Certificate, ServerHelloDone) is gathered and sent again as
 * k-byte records; each plaintext handshake record of the client is cut into k-byte records. */
static int rechunk_hook(int from, uint32_t index, struct pair_rec *r, void *ref)
{
    struct rechunk *rc = ref;
    if (r->b[0] == 20)
        rc->ccs_seen[from] = 1;
    if (r->b[0] != 22 || rc->ccs_seen[from])
        return PAIR_PASS;
    uint8_t body[8192];
    size_t n = r->len - 5;
    cr_assert_leq(n, sizeof body);
    memcpy(body, r->b + 5, n);
    if (from == PAIR_SERVER && index < 2) {
        cr_assert_leq(rc->held_len + n, sizeof rc->held);
        memcpy(rc->held + rc->held_len, body, n);
        rc->held_len += n;
        r->len = 0; /* held back */
        return PAIR_PASS;
    }
    if (from == PAIR_SERVER) {
        memcpy(rc->held + rc->held_len, body, n);
        r->len = reframe(r->b, rc->held, rc->held_len + n, rc->k);
        rc->held_len = 0;
    } else {
        r->len = reframe(r->b, body, n, rc->k);
    }
    cr_assert_leq(r->len, r->cap);
    return PAIR_PASS;
}

ParameterizedTestParameters(pair, handshake_record_framing)
{
    static size_t ks[] = {0, 1, 2, 3, 5, 64, 1000};
    return cr_make_param_array(size_t, ks, sizeof ks / sizeof ks[0]);
}

ParameterizedTest(size_t *k, pair, handshake_record_framing)
{
    struct rechunk *rc = calloc(1, sizeof *rc);
    rc->k = *k;
    struct pair_config c;
    pair_config_init(&c);
    c.hook = rechunk_hook;
    c.hook_ref = rc;
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(pair_handshake(&p), PAIR_OK, "k=%zu: %s / %s", *k, SSLXErrorName(p.s[0].last),
                 SSLXErrorName(p.s[1].last));
    uint8_t msg[3000];
    pair_pattern(msg, sizeof msg, 4);
    cr_expect_eq(pair_exchange(&p, PAIR_CLIENT, msg, sizeof msg), SSLNoErr);
    cr_expect_eq(pair_exchange(&p, PAIR_SERVER, msg, sizeof msg), SSLNoErr);
    close_both(&p, PAIR_SERVER);
    pair_free(&p);
    expect_no_leaks(&p);
    free(rc);
}

/* ---- every suite this build implements (export, DHE and anonymous suites included) ---- */

ParameterizedTestParameters(pair, every_supported_suite)
{
    static uint16_t ids[64];
    uint32_t n = SSLXSupportedCipherSuites(ids, 64);
    return cr_make_param_array(uint16_t, ids, n < 64 ? n : 64);
}

ParameterizedTest(uint16_t *suite, pair, every_supported_suite, .timeout = 60)
{
    struct pair_cache cc, sc;
    pair_cache_init(&cc);
    pair_cache_init(&sc);
    struct pair_config c;
    pair_config_init(&c);
    pair_config_suite(&c, suite);
    c.export_key = "export512-key.pem";
    c.dh_params = "dh1024.pem";
    c.cache[0] = &cc;
    c.cache[1] = &sc;
    const char *name = SSLXCipherSuiteName(*suite);
    cr_assert(name);
    int anon = strstr(name, "_anon_") != NULL;
    for (int conn = 0; conn < 2; conn++) {
        struct pair p;
        c.seed = 70 + (uint64_t)conn;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        cr_assert_eq(pair_handshake(&p), PAIR_OK, "%s conn %d: %s / %s", name, conn,
                     SSLXErrorName(p.s[0].last), SSLXErrorName(p.s[1].last));
        for (int side = 0; side < 2; side++) {
            uint16 got = 0;
            int r = -1;
            SSLGetNegotiatedCipher(p.s[side].ctx, &got);
            SSLXGetResumed(p.s[side].ctx, &r);
            cr_expect_eq(got, *suite, "%s side %d", name, side);
            cr_expect_eq(r, conn, "%s side %d conn %d resumed=%d", name, side, conn, r);
        }
        int n = -1;
        SSLGetPeerCertificateChainLength(p.s[PAIR_CLIENT].ctx, &n);
        cr_expect_eq(n, anon ? 0 : 2, "%s: peer chain %d", name, n);
        const size_t sizes[] = {1, 16385};
        exchange_sizes(&p, sizes, 2);
        close_both(&p, PAIR_CLIENT);
        pair_free(&p);
        expect_no_leaks(&p);
    }
    pair_cache_clear(&cc);
    pair_cache_clear(&sc);
}

/* ---- client authentication ---- */

Test(pair, client_auth, .timeout = 60)
{
    for (int has_cert = 0; has_cert < 2; has_cert++) {
        struct pair_cache cc, sc;
        pair_cache_init(&cc);
        pair_cache_init(&sc);
        struct pair_config c;
        pair_config_init(&c);
        c.request_client_cert = 1;
        if (has_cert) {
            c.client_key = "client-key.pem";
            c.client_chain = "client-cert.pem";
        }
        c.cache[0] = &cc;
        c.cache[1] = &sc;
        for (int conn = 0; conn < 2; conn++) {
            struct pair p;
            c.seed = 80 + (uint64_t)conn;
            cr_assert_eq(pair_init(&p, &c), SSLNoErr);
            cr_assert_eq(pair_handshake(&p), PAIR_OK, "cert %d conn %d: %s / %s", has_cert, conn,
                         SSLXErrorName(p.s[0].last), SSLXErrorName(p.s[1].last));
            int r = -1, n = -1;
            SSLXGetResumed(p.s[PAIR_SERVER].ctx, &r);
            cr_expect_eq(r, conn);
            SSLGetPeerCertificateChainLength(p.s[PAIR_SERVER].ctx, &n);
            cr_expect_eq(n, has_cert, "cert %d conn %d: the server sees %d client certificates",
                         has_cert, conn, n);
            if (n == 1) {
                SSLBuffer der;
                cr_assert_eq(SSLGetPeerCertificate(p.s[PAIR_SERVER].ctx, 0, &der), SSLNoErr);
                size_t len;
                char *pem = pair_read_data("client-cert.pem", &len);
                size_t pos = 0;
                uint8 *want = NULL;
                uint32 wl = 0;
                cr_assert_eq(SSLXPEMDecode(pem, len, &pos, "CERTIFICATE", &want, &wl), SSLNoErr);
                cr_expect(der.length == wl && memcmp(der.data, want, wl) == 0, "the client's certificate");
                free(want);
                free(pem);
                memset(der.data, 0, der.length);
                pair_free_fn(&der, &p.s[PAIR_SERVER].alloc);
            }
            uint8_t msg[100];
            pair_pattern(msg, sizeof msg, 1);
            cr_expect_eq(pair_exchange(&p, PAIR_CLIENT, msg, sizeof msg), SSLNoErr);
            close_both(&p, PAIR_CLIENT);
            pair_free(&p);
            expect_no_leaks(&p);
        }
        pair_cache_clear(&cc);
        pair_cache_clear(&sc);
    }
}

/* A handshake message longer than one record (a CertificateRequest with large names) is sent as
 * several records and reassembled. */
Test(pair, handshake_message_over_several_records)
{
    struct pair_config c;
    pair_config_init(&c);
    c.request_client_cert = 1;
    c.client_key = "client-key.pem";
    c.client_chain = "client-cert.pem";
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    uint8_t *dn = malloc(12000);
    for (int i = 0; i < 4; i++) {
        pair_pattern(dn, 12000, (uint32_t)i);
        dn[0] = 0x30; /* the client does not parse the names */
        SSLBuffer b = {12000, dn};
        cr_assert_eq(SSLAddDistinguishedName(p.s[PAIR_SERVER].ctx, b), SSLNoErr);
    }
    free(dn);
    cr_assert_eq(pair_handshake(&p), PAIR_OK, "%s / %s", SSLXErrorName(p.s[0].last),
                 SSLXErrorName(p.s[1].last));
    int n = 0;
    SSLGetPeerCertificateChainLength(p.s[PAIR_SERVER].ctx, &n);
    cr_expect_eq(n, 1);
    cr_expect_gt(p.pipe[PAIR_SERVER].total, 48000, "the names went over the wire");
    pair_free(&p);
    expect_no_leaks(&p);
}

/* Would-block at every byte and 3-byte I/O in the other flows: ServerKeyExchange (export RSA, DHE,
 * anonymous DH) and client authentication (CertificateRequest, Certificate, CertificateVerify). */
struct flow_param {
    uint16_t suite;
    int flags;
};

ParameterizedTestParameters(pair, would_block_other_flows)
{
    static struct flow_param ps[] = {
        {SSL_RSA_EXPORT_WITH_RC4_40_MD5, 0},
        {TLS_DHE_RSA_WITH_AES_128_CBC_SHA, 0},
        {SSL_DH_anon_WITH_RC4_128_MD5, 0},
        {TLS_RSA_WITH_AES_128_CBC_SHA, SC_CLIENT_AUTH},
        {SSL_DHE_RSA_WITH_3DES_EDE_CBC_SHA, SC_CLIENT_AUTH},
        {TLS_RSA_WITH_AES_256_CBC_SHA, SC_V2HELLO},
        {SSL_RSA_WITH_RC4_128_MD5, SC_V2HELLO | SC_CLIENT_AUTH},
    };
    return cr_make_param_array(struct flow_param, ps, sizeof ps / sizeof ps[0]);
}

ParameterizedTest(struct flow_param *fp, pair, would_block_other_flows, .timeout = 60)
{
    struct summary ref, got;
    struct pair_io_cfg plain = {0}, wb = {.wb_every_byte = 1}, part = {.chunk = 3};
    run_scenario_f(fp->suite, &plain, 0, 5000, &ref, fp->flags);
    run_scenario_f(fp->suite, &wb, 0, 5000, &got, fp->flags);
    expect_same(&ref, &got, "would-block before every byte");
    run_scenario_f(fp->suite, &part, 0, 5000, &got, fp->flags);
    expect_same(&ref, &got, "3-byte I/O");
}

/* Random I/O: every call moves a random number of bytes and some would-block, with a different
 * pattern per seed; transcripts, keys and data must be those of the plain run. */
struct random_param {
    uint16_t suite;
    uint64_t seed;
};

ParameterizedTestParameters(pair, random_io)
{
    static struct random_param ps[4 * 12];
    static const uint16_t suites[4] = {TLS_RSA_WITH_AES_128_CBC_SHA, SSL_RSA_WITH_RC4_128_MD5,
                                       SSL_RSA_WITH_3DES_EDE_CBC_SHA, SSL_RSA_WITH_NULL_SHA};
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 12; j++)
            ps[i * 12 + j] = (struct random_param){suites[i], (uint64_t)j + 1};
    return cr_make_param_array(struct random_param, ps, 4 * 12);
}

ParameterizedTest(struct random_param *rp, pair, random_io, .timeout = 60)
{
    struct summary ref, got;
    struct pair_io_cfg plain = {0}, rnd = {.random_io = rp->seed};
    run_scenario(rp->suite, &plain, 0, 40000, &ref);
    run_scenario(rp->suite, &rnd, rp->seed % 3 ? 0 : 700, 40000, &got);
    expect_same(&ref, &got, "random I/O");
}

/* ---- SSL 2.0: every cipher kind, full and resumed, data, close, and the same under would-block
 * at every byte and 5-byte I/O ---- */

ParameterizedTestParameters(pair, ssl2_kinds)
{
    static uint16_t kinds[] = {SSL2_SUITE_RC4_128_WITH_MD5, SSL2_SUITE_RC4_128_EXPORT40_WITH_MD5,
                               SSL2_SUITE_RC2_128_CBC_WITH_MD5, SSL2_SUITE_RC2_128_CBC_EXPORT40_WITH_MD5,
                               SSL2_SUITE_IDEA_128_CBC_WITH_MD5, SSL2_SUITE_DES_64_CBC_WITH_MD5,
                               SSL2_SUITE_DES_192_EDE3_CBC_WITH_MD5};
    return cr_make_param_array(uint16_t, kinds, sizeof kinds / sizeof kinds[0]);
}

ParameterizedTest(uint16_t *kind, pair, ssl2_kinds, .timeout = 60)
{
    struct pair_cache cc, sc;
    pair_cache_init(&cc);
    pair_cache_init(&sc);
    struct pair_config c;
    pair_config_init(&c);
    pair_config_suite(&c, kind);
    c.version[0] = c.version[1] = SSL_Version_2_0;
    c.cache[0] = &cc;
    c.cache[1] = &sc;
    for (int conn = 0; conn < 2; conn++) {
        struct pair p;
        c.seed = 100 + (uint64_t)conn;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        cr_assert_eq(pair_handshake(&p), PAIR_OK, "kind %04x conn %d: %s / %s", *kind, conn,
                     SSLXErrorName(p.s[0].last), SSLXErrorName(p.s[1].last));
        for (int side = 0; side < 2; side++) {
            uint16 got = 0;
            SSLProtocolVersion v;
            int r = -1;
            SSLGetNegotiatedCipher(p.s[side].ctx, &got);
            SSLGetProtocolVersion(p.s[side].ctx, &v);
            SSLXGetResumed(p.s[side].ctx, &r);
            cr_expect_eq(got, *kind, "side %d: %04x", side, got);
            cr_expect_eq(v, SSL_Version_2_0);
            cr_expect_eq(r, conn, "kind %04x side %d conn %d resumed=%d", *kind, side, conn, r);
        }
        int n = -1;
        SSLGetPeerCertificateChainLength(p.s[PAIR_CLIENT].ctx, &n);
        cr_expect_geq(n, 1, "the client has the server's certificate");
        const size_t sizes[] = {1, 16000, 16001, 100000};
        exchange_sizes(&p, sizes, 4);
        close_both(&p, conn ? PAIR_SERVER : PAIR_CLIENT);
        pair_free(&p);
        expect_no_leaks(&p);
    }
    pair_cache_clear(&cc);
    pair_cache_clear(&sc);
    struct summary ref, got;
    struct pair_io_cfg plain = {0}, wb = {.wb_every_byte = 1}, part = {.chunk = 5};
    run_scenario_f(*kind, &plain, 0, 20000, &ref, SC_SSL2);
    cr_expect_eq(ref.resumed[1], 1);
    run_scenario_f(*kind, &wb, 0, 20000, &got, SC_SSL2);
    cr_expect(memcmp(ref.hs_hash, got.hs_hash, sizeof ref.hs_hash) == 0, "would-block: same transcript");
    cr_expect_eq(got.resumed[1], 1);
    run_scenario_f(*kind, &part, 0, 20000, &got, SC_SSL2);
    cr_expect(memcmp(ref.hs_hash, got.hs_hash, sizeof ref.hs_hash) == 0, "5-byte I/O: same transcript");
}
