/*
 * test_kx.c - pair tests of issue 4 (RFC 6101 §5.6.3-§5.6.8): every export RSA (with and without a
 * temporary key), DHE-RSA and anonymous DH suite, full and resumed, with and without client
 * authentication (a client with a chain, a client without one); the handshake messages each side
 * sent, both peer chains and the certificate callbacks; the same connections with would-block at
 * every byte; suite selection (no export suite without an export key, no anonymous suite by default);
 * CertificateRequest names; the key exchanges after an SSL 2.0-format hello; a duplicated server.
 * Hostile key exchanges are in test_kx_bad.c, generated malformed messages in test_kx_gen.c.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pair.h"
#include "pair_kx.h"
#include "x509/x509.h"

enum kx_mode { K_EXPORT_SKE, K_EXPORT_PLAIN, K_DHE, K_ANON, K_DSS };
enum auth_mode { A_NONE, A_CERT, A_NOCERT };

struct kx_case {
    uint16_t suite;
    uint8_t kx;   /* enum kx_mode */
    uint8_t auth; /* enum auth_mode */
    uint8_t v2hello; /* both sides Undetermined: the client's first hello is in SSL 2.0 format */
};

static const struct { uint16_t suite; uint8_t kx; } all_suites[] = {
    {SSL_RSA_EXPORT_WITH_RC4_40_MD5, K_EXPORT_SKE},
    {SSL_RSA_EXPORT_WITH_RC2_CBC_40_MD5, K_EXPORT_SKE},
    {SSL_RSA_EXPORT_WITH_DES40_CBC_SHA, K_EXPORT_SKE},
    {SSL_RSA_EXPORT_WITH_RC4_40_MD5, K_EXPORT_PLAIN},
    {SSL_RSA_EXPORT_WITH_RC2_CBC_40_MD5, K_EXPORT_PLAIN},
    {SSL_RSA_EXPORT_WITH_DES40_CBC_SHA, K_EXPORT_PLAIN},
    {SSL_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA, K_DHE},
    {SSL_DHE_RSA_WITH_DES_CBC_SHA, K_DHE},
    {SSL_DHE_RSA_WITH_3DES_EDE_CBC_SHA, K_DHE},
    {TLS_DHE_RSA_WITH_AES_128_CBC_SHA, K_DHE},
    {TLS_DHE_RSA_WITH_AES_256_CBC_SHA, K_DHE},
    {SSL_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA, K_DSS},
    {SSL_DHE_DSS_WITH_DES_CBC_SHA, K_DSS},
    {SSL_DHE_DSS_WITH_3DES_EDE_CBC_SHA, K_DSS},
    {TLS_DHE_DSS_WITH_AES_128_CBC_SHA, K_DSS},
    {TLS_DHE_DSS_WITH_AES_256_CBC_SHA, K_DSS},
    {SSL_DH_anon_EXPORT_WITH_RC4_40_MD5, K_ANON},
    {SSL_DH_anon_WITH_RC4_128_MD5, K_ANON},
    {SSL_DH_anon_EXPORT_WITH_DES40_CBC_SHA, K_ANON},
    {SSL_DH_anon_WITH_DES_CBC_SHA, K_ANON},
    {SSL_DH_anon_WITH_3DES_EDE_CBC_SHA, K_ANON},
};
#define NALL ((int)(sizeof all_suites / sizeof all_suites[0]))

static const char *const client_chain[] = {"client-cert.pem", "ca-cert.pem"};

/* ---- set-up ---- */

static void configure(struct pair_config *c, const struct kx_case *k)
{
    pair_config_init(c);
    pair_config_suite(c, &k->suite);
    switch (k->kx) {
    case K_EXPORT_SKE: /* a 2048-bit certificate key: the 512-bit temporary key goes in SKE */
        c->export_key = "export512-key.pem";
        break;
    case K_EXPORT_PLAIN: /* a 512-bit certificate key: no SKE, no export key needed */
        c->server_key = "export512-key.pem";
        c->server_chain = "export512-cert.pem";
        break;
    case K_DHE:
        c->dh_params = "dh1024.pem";
        break;
    case K_DSS: /* a DSA key and certificate (issued by the RSA test CA) */
        c->dh_params = "dh1024.pem";
        c->server_key = "dsa1024-key.pem";
        c->server_chain = "dsa1024-chain.pem";
        break;
    case K_ANON: /* an anonymous server needs no key and no certificate */
        c->dh_params = "dh1024.pem";
        c->server_key = c->server_chain = NULL;
        break;
    }
    if (c->dh_params && strstr(SSLXCipherSuiteName(k->suite), "_EXPORT_"))
        c->dh_params = "dh512.pem"; /* export DH suites are limited to 512-bit groups */
    if (k->auth != A_NONE)
        c->request_client_cert = 1;
    if (k->auth == A_CERT)
        c->client_key = "client-key.pem";
    if (k->v2hello)
        c->version[PAIR_CLIENT] = c->version[PAIR_SERVER] = SSL_Version_Undetermined;
}

struct seen2 {
    struct pkx_seen s[2]; /* what each side's SSLCheckCertificateFunc saw */
};

static void post_init(struct pair *p, const struct kx_case *k, struct seen2 *seen)
{
    memset(seen, 0, sizeof *seen);
    for (int side = 0; side < 2; side++) {
        cr_assert_eq(SSLSetCheckCertificateFunc(p->s[side].ctx, pkx_check_cert), SSLNoErr);
        cr_assert_eq(SSLSetCheckCertificateRef(p->s[side].ctx, &seen->s[side]), SSLNoErr);
    }
    if (k->auth == A_CERT)
        cr_assert_eq(pkx_add_chain(p->s[PAIR_CLIENT].ctx, client_chain, 2), SSLNoErr);
}

static void expect_no_leaks(const struct pair *p)
{
    for (int side = 0; side < 2; side++) {
        cr_expect_eq(p->s[side].alloc.live_blocks, 0, "side %d leaks %ld blocks", side,
                     p->s[side].alloc.live_blocks);
        cr_expect_eq(p->s[side].alloc.bad_frees, 0);
    }
}

/* ---- expectations ---- */

static int client_authenticates(const struct kx_case *k)
{
    return k->auth == A_CERT && k->kx != K_ANON; /* §5.6.4: an anonymous server may not ask */
}

/* The peer chain @side holds: @n certificates, the leaf being the first of tests/data @leaf_file. */
static void expect_chain(struct pair *p, int side, int n, const char *leaf_file, const char *what)
{
    int got = -1;
    cr_expect_eq(SSLGetPeerCertificateChainLength(p->s[side].ctx, &got), SSLNoErr);
    cr_expect_eq(got, n, "%s: side %d holds %d peer certificates, want %d", what, side, got, n);
    if (n == 0 || got != n)
        return;
    SSLBuffer c = {0, NULL};
    cr_assert_eq(SSLGetPeerCertificate(p->s[side].ctx, 0, &c), SSLNoErr);
    uint32_t len = 0;
    uint8_t *der = pkx_cert_der(leaf_file, 0, &len);
    cr_assert(der);
    cr_expect(c.length == len && memcmp(c.data, der, len) == 0, "%s: side %d's peer leaf is %s",
              what, side, leaf_file);
    free(der);
    pair_free_fn(&c, &p->s[side].alloc);
}

static void expect_seen(const struct pkx_seen *s, int calls, int n, const char *leaf_file,
                        const char *what)
{
    cr_expect_eq(s->calls, calls, "%s: check callback called %d times, want %d", what, s->calls,
                 calls);
    if (!calls || s->calls != calls)
        return;
    cr_expect_eq(s->count, n, "%s: callback saw %d certificates", what, s->count);
    uint32_t len = 0;
    uint8_t *der = pkx_cert_der(leaf_file, 0, &len);
    cr_assert(der);
    cr_expect(s->leaf_len == len && memcmp(s->leaf, der, len) == 0, "%s: callback saw leaf %s",
              what, leaf_file);
    free(der);
}

static void expect_state(struct pair *p, const struct kx_case *k, int resumed, const char *what)
{
    for (int side = 0; side < 2; side++) {
        uint16 got = 0;
        SSLProtocolVersion v = SSL_Version_Undetermined;
        int r = -1;
        cr_expect_eq(SSLGetNegotiatedCipher(p->s[side].ctx, &got), SSLNoErr);
        cr_expect_eq(got, k->suite, "%s: side %d negotiated %04x", what, side, got);
        cr_expect_eq(SSLGetProtocolVersion(p->s[side].ctx, &v), SSLNoErr);
        cr_expect_eq(v, SSL_Version_3_0, "%s: side %d version %d", what, side, v);
        cr_expect_eq(SSLXGetResumed(p->s[side].ctx, &r), SSLNoErr);
        cr_expect_eq(r, resumed, "%s: side %d resumed=%d", what, side, r);
    }
    /* the client's view of the server */
    if (k->kx == K_ANON)
        expect_chain(p, PAIR_CLIENT, 0, NULL, what);
    else if (k->kx == K_EXPORT_PLAIN)
        expect_chain(p, PAIR_CLIENT, 1, "export512-cert.pem", what);
    else if (k->kx == K_DSS)
        expect_chain(p, PAIR_CLIENT, 2, "dsa1024-cert.pem", what);
    else
        expect_chain(p, PAIR_CLIENT, 2, "server-cert.pem", what);
    /* the server's view of the client */
    if (client_authenticates(k))
        expect_chain(p, PAIR_SERVER, 2, "client-cert.pem", what);
    else
        expect_chain(p, PAIR_SERVER, 0, NULL, what);
}

/* The handshake messages each side sent in the clear, and the no_certificate warning. */
static void expect_messages(const struct pkx_mitm *m, const struct kx_case *k, int resumed,
                            const char *what)
{
    uint8_t srv[8], cli[8];
    int ns = 0, nc = 0;
    srv[ns++] = 2;
    cli[nc++] = 1;
    if (!resumed) {
        if (k->kx != K_ANON)
            srv[ns++] = 11;
        if (k->kx != K_EXPORT_PLAIN)
            srv[ns++] = 12;
        if (k->auth != A_NONE && k->kx != K_ANON)
            srv[ns++] = 13;
        srv[ns++] = 14;
        if (client_authenticates(k))
            cli[nc++] = 11;
        cli[nc++] = 16;
        if (client_authenticates(k))
            cli[nc++] = 15;
    }
    char b1[200], b2[200];
    cr_expect(pkx_types_eq(m, PAIR_SERVER, srv, ns), "%s: server sent [%s]", what,
              pkx_types_str(m, PAIR_SERVER, b1, sizeof b1));
    cr_expect(pkx_types_eq(m, PAIR_CLIENT, cli, nc), "%s: client sent [%s]", what,
              pkx_types_str(m, PAIR_CLIENT, b2, sizeof b2));
    int nocert = !resumed && k->auth == A_NOCERT && k->kx != K_ANON;
    cr_expect_eq(m->nalerts[PAIR_CLIENT], nocert, "%s: client sent %d plaintext alerts", what,
                 m->nalerts[PAIR_CLIENT]);
    if (nocert && m->nalerts[PAIR_CLIENT] == 1)
        cr_expect_eq(m->alerts[PAIR_CLIENT][0], PKX_AL(1, PKX_NO_CERT), "%s: no_certificate", what);
    cr_expect_eq(m->nalerts[PAIR_SERVER], 0, "%s: the server sent no alert", what);
}

static void exchange(struct pair *p, size_t n, uint32_t seed, const char *what)
{
    uint8_t *buf = malloc(n);
    cr_assert(buf);
    for (int from = 0; from < 2; from++) {
        pair_pattern(buf, n, seed + (uint32_t)from);
        SSLErr e = pair_exchange(p, from, buf, n);
        cr_expect_eq(e, SSLNoErr, "%s: %zu bytes from side %d: %s", what, n, from, SSLXErrorName(e));
    }
    free(buf);
}

static void close_clean(struct pair *p, int first, const char *what)
{
    SSLErr cr = SSLUnknownErr;
    SSLErr r = pair_close(p, first, &cr);
    cr_expect_eq(cr, SSLNoErr, "%s: SSLClose: %s", what, SSLXErrorName(cr));
    cr_expect_eq(r, SSLConnectionClosedGraceful, "%s: peer after close: %s", what, SSLXErrorName(r));
    r = pair_close(p, PAIR_PEER(first), &cr);
    cr_expect_eq(cr, SSLNoErr, "%s: second SSLClose: %s", what, SSLXErrorName(cr));
    cr_expect_eq(r, SSLConnectionClosedGraceful, "%s: first closer reads: %s", what, SSLXErrorName(r));
}

/* ---- every suite, full and resumed, three client-authentication modes ---- */

ParameterizedTestParameters(kx, suite_full_resumed)
{
    static struct kx_case cs[NALL * 3];
    for (int i = 0; i < NALL; i++)
        for (int a = 0; a < 3; a++)
            cs[3 * i + a] = (struct kx_case){all_suites[i].suite, all_suites[i].kx, (uint8_t)a, 0};
    return cr_make_param_array(struct kx_case, cs, NALL * 3);
}

ParameterizedTest(struct kx_case *k, kx, suite_full_resumed, .timeout = 60)
{
    struct pair_cache cc, sc;
    pair_cache_init(&cc);
    pair_cache_init(&sc);
    struct pair_config c;
    configure(&c, k);
    c.cache[PAIR_CLIENT] = &cc;
    c.cache[PAIR_SERVER] = &sc;
    struct pair p;
    struct pkx_mitm m;
    c.hook = pkx_hook;
    c.hook_ref = &m;
    struct seen2 seen;
    char what[64];
    uint8 sid[2][32];
    uint32 sidlen[2] = {32, 32};
    for (int conn = 0; conn < 2; conn++) {
        snprintf(what, sizeof what, "%04x kx %d auth %d %s", k->suite, k->kx, k->auth,
                 conn ? "resumed" : "full");
        c.seed = 1 + (uint64_t)conn;
        pkx_mitm_init(&m, &p);
        cr_assert_eq(pair_init(&p, &c), SSLNoErr, "%s", what);
        post_init(&p, k, &seen);
        int r = pair_handshake(&p);
        cr_assert_eq(r, PAIR_OK, "%s: client %s, server %s", what, SSLXErrorName(p.s[0].last),
                     SSLXErrorName(p.s[1].last));
        expect_state(&p, k, conn, what);
        expect_messages(&m, k, conn, what);
        /* the certificate callbacks run on full handshakes only */
        if (conn == 0 && k->kx != K_ANON)
            expect_seen(&seen.s[PAIR_CLIENT], 1, k->kx == K_EXPORT_PLAIN ? 1 : 2,
                        k->kx == K_EXPORT_PLAIN ? "export512-cert.pem"
                        : k->kx == K_DSS        ? "dsa1024-cert.pem"
                                                : "server-cert.pem",
                        what);
        else
            expect_seen(&seen.s[PAIR_CLIENT], 0, 0, NULL, what);
        if (conn == 0 && client_authenticates(k))
            expect_seen(&seen.s[PAIR_SERVER], 1, 2, "client-cert.pem", what);
        else
            expect_seen(&seen.s[PAIR_SERVER], 0, 0, NULL, what);
        uint16 sent = 0, recv = 0;
        cr_expect_eq(SSLXGetLastAlerts(p.s[PAIR_SERVER].ctx, &sent, &recv), SSLNoErr);
        cr_expect_eq(recv, conn == 0 && k->auth == A_NOCERT && k->kx != K_ANON ? PKX_AL(1, PKX_NO_CERT) : 0,
                     "%s: server received alert %04x", what, recv);
        cr_expect_eq(SSLXGetSessionID(p.s[PAIR_CLIENT].ctx, sid[conn], &sidlen[conn]), SSLNoErr);
        exchange(&p, 1, 10, what);
        exchange(&p, 16385, 20, what);
        close_clean(&p, conn ? PAIR_SERVER : PAIR_CLIENT, what);
        pair_free(&p);
        expect_no_leaks(&p);
    }
    cr_expect(sidlen[0] == 32 && sidlen[1] == 32 && memcmp(sid[0], sid[1], 32) == 0,
              "the second connection resumed the first session");
    cr_expect_eq(sc.adds, 1, "the server stored one session");
    cr_expect_eq(cc.adds, 1, "the client stored one session");
    pair_cache_clear(&cc);
    pair_cache_clear(&sc);
}

/* ---- would-block at every byte: one suite per key exchange, and client authentication ---- */

struct summary {
    char keylog[2][2][200];
    uint64_t hash[2][2], bytes[2][2];
    int resumed[2];
    uint64_t wouldblocks;
};

static void keylog_cb(const char *line, void *ref) { snprintf(ref, 200, "%s", line); }

static void run_scenario(const struct kx_case *k, const struct pair_io_cfg *io, struct summary *out)
{
    struct pair_cache cc, sc;
    pair_cache_init(&cc);
    pair_cache_init(&sc);
    memset(out, 0, sizeof *out);
    struct pair_config c;
    configure(&c, k);
    c.cache[0] = &cc;
    c.cache[1] = &sc;
    c.io[0] = c.io[1] = *io;
    c.cbc_split = 0;
    struct seen2 seen;
    for (int conn = 0; conn < 2; conn++) {
        c.seed = 30 + (uint64_t)conn;
        struct pair p;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        post_init(&p, k, &seen);
        for (int side = 0; side < 2; side++)
            SSLXSetKeyLogFunc(p.s[side].ctx, keylog_cb, out->keylog[conn][side]);
        int r = pair_handshake(&p);
        cr_assert_eq(r, PAIR_OK, "%04x wb %d conn %d: %s / %s", k->suite, io->wb_every_byte, conn,
                     SSLXErrorName(p.s[0].last), SSLXErrorName(p.s[1].last));
        for (int d = 0; d < 2; d++) {
            out->hash[conn][d] = p.pipe[d].hash;
            out->bytes[conn][d] = p.pipe[d].total;
        }
        cr_expect_eq(SSLXGetResumed(p.s[0].ctx, &out->resumed[conn]), SSLNoErr);
        expect_state(&p, k, conn, "would-block scenario");
        exchange(&p, 4099, 40 + (uint32_t)conn, "would-block scenario");
        close_clean(&p, conn ? PAIR_SERVER : PAIR_CLIENT, "would-block scenario");
        out->wouldblocks += p.s[0].end.wouldblocks + p.s[1].end.wouldblocks;
        pair_free(&p);
        expect_no_leaks(&p);
    }
    pair_cache_clear(&cc);
    pair_cache_clear(&sc);
}

static void expect_same(const struct summary *a, const struct summary *b, const char *what)
{
    for (int conn = 0; conn < 2; conn++) {
        for (int side = 0; side < 2; side++) {
            cr_expect_str_neq(b->keylog[conn][side], "", "%s: key log written", what);
            cr_expect_str_eq(a->keylog[conn][side], b->keylog[conn][side], "%s: keys differ", what);
            cr_expect_str_eq(b->keylog[conn][side], b->keylog[conn][0], "%s: sides agree", what);
            cr_expect_eq(a->hash[conn][side], b->hash[conn][side], "%s: transcript differs", what);
            cr_expect_eq(a->bytes[conn][side], b->bytes[conn][side]);
        }
        cr_expect_eq(b->resumed[conn], conn, "%s: connection %d resumed=%d", what, conn,
                     b->resumed[conn]);
    }
}

ParameterizedTestParameters(kx, would_block_every_byte)
{
    static struct kx_case cs[] = {
        {SSL_RSA_EXPORT_WITH_RC4_40_MD5, K_EXPORT_SKE, A_NONE, 0},
        {SSL_RSA_EXPORT_WITH_DES40_CBC_SHA, K_EXPORT_PLAIN, A_NONE, 0},
        {TLS_DHE_RSA_WITH_AES_128_CBC_SHA, K_DHE, A_NONE, 0},
        {SSL_DH_anon_WITH_3DES_EDE_CBC_SHA, K_ANON, A_NONE, 0},
        {TLS_DHE_RSA_WITH_AES_256_CBC_SHA, K_DHE, A_CERT, 0},
        {SSL_RSA_EXPORT_WITH_RC2_CBC_40_MD5, K_EXPORT_SKE, A_CERT, 0},
        {SSL_DHE_RSA_WITH_3DES_EDE_CBC_SHA, K_DHE, A_NOCERT, 0},
        {TLS_DHE_RSA_WITH_AES_128_CBC_SHA, K_DHE, A_CERT, 1},
        {SSL_DH_anon_WITH_RC4_128_MD5, K_ANON, A_NONE, 1},
        {SSL_RSA_EXPORT_WITH_DES40_CBC_SHA, K_EXPORT_SKE, A_NOCERT, 1},
        {TLS_DHE_DSS_WITH_AES_128_CBC_SHA, K_DSS, A_CERT, 0},
    };
    return cr_make_param_array(struct kx_case, cs, sizeof cs / sizeof cs[0]);
}

ParameterizedTest(struct kx_case *k, kx, would_block_every_byte, .timeout = 120)
{
    struct summary ref, got;
    struct pair_io_cfg plain = {0}, wb = {.wb_every_byte = 1},
                       wbd = {.wb_every_byte = 1, .wb_with_data = 1}, part = {.chunk = 3};
    run_scenario(k, &plain, &ref);
    run_scenario(k, &wb, &got);
    expect_same(&ref, &got, "would-block before every byte");
    cr_expect_gt(got.wouldblocks, 2 * (ref.bytes[0][0] + ref.bytes[0][1]),
                 "every byte was preceded by a would-block");
    run_scenario(k, &wbd, &got);
    expect_same(&ref, &got, "would-block returned with each byte");
    run_scenario(k, &part, &got);
    expect_same(&ref, &got, "3-byte partial I/O");
}

/* ---- suite selection ---- */

static int run_suites(const uint16_t *cli, uint32_t ncli, const uint16_t *srv, uint32_t nsrv,
                      const char *export_key, const char *dh, struct pair *p)
{
    struct pair_config c;
    pair_config_init(&c);
    c.suites[PAIR_CLIENT] = cli;
    c.nsuites[PAIR_CLIENT] = ncli;
    c.suites[PAIR_SERVER] = srv;
    c.nsuites[PAIR_SERVER] = nsrv;
    c.export_key = export_key;
    c.dh_params = dh;
    cr_assert_eq(pair_init(p, &c), SSLNoErr);
    return pair_handshake(p);
}

static uint16_t negotiated(struct pair *p, int side)
{
    uint16 s = 0;
    cr_expect_eq(SSLGetNegotiatedCipher(p->s[side].ctx, &s), SSLNoErr);
    return s;
}

static void expect_no_suite(struct pair *p, int r, const char *what)
{
    uint16 sent = 0, recv = 0;
    cr_expect_eq(r, PAIR_FAILED, "%s", what);
    cr_expect_eq(p->s[PAIR_SERVER].last, SSLNegotiationErr, "%s: server %s", what,
                 SSLXErrorName(p->s[PAIR_SERVER].last));
    SSLXGetLastAlerts(p->s[PAIR_SERVER].ctx, &sent, &recv);
    cr_expect_eq(sent, PKX_FATAL(PKX_HS_FAILURE), "%s: server sent %04x", what, sent);
    cr_expect_eq(p->s[PAIR_CLIENT].last, SSLFatalAlert, "%s: client %s", what,
                 SSLXErrorName(p->s[PAIR_CLIENT].last));
    SSLXGetLastAlerts(p->s[PAIR_CLIENT].ctx, &sent, &recv);
    cr_expect_eq(recv, PKX_FATAL(PKX_HS_FAILURE), "%s: client received %04x", what, recv);
}

/* RFC 6101 §5.6.3: a server whose key is longer than 512 bits can serve an export suite only with a
 * temporary export key. Without one it skips those suites, or fails if nothing else is offered. */
Test(kx, export_needs_export_key)
{
    static const uint16_t exp3[] = {SSL_RSA_EXPORT_WITH_RC4_40_MD5, SSL_RSA_EXPORT_WITH_RC2_CBC_40_MD5,
                                    SSL_RSA_EXPORT_WITH_DES40_CBC_SHA};
    static const uint16_t mixed[] = {SSL_RSA_EXPORT_WITH_RC4_40_MD5, SSL_RSA_EXPORT_WITH_DES40_CBC_SHA,
                                     SSL_RSA_WITH_RC4_128_MD5};
    struct pair p;
    int r = run_suites(exp3, 3, exp3, 3, NULL, NULL, &p);
    expect_no_suite(&p, r, "export only, no export key");
    pair_free(&p);
    expect_no_leaks(&p);

    r = run_suites(mixed, 3, mixed, 3, NULL, NULL, &p);
    cr_expect_eq(r, PAIR_OK);
    cr_expect_eq(negotiated(&p, PAIR_CLIENT), SSL_RSA_WITH_RC4_128_MD5, "the export suites are skipped");
    pair_free(&p);
    expect_no_leaks(&p);

    r = run_suites(mixed, 3, mixed, 3, "export512-key.pem", NULL, &p);
    cr_expect_eq(r, PAIR_OK);
    cr_expect_eq(negotiated(&p, PAIR_SERVER), SSL_RSA_EXPORT_WITH_RC4_40_MD5, "with the key: chosen");
    pair_free(&p);
    expect_no_leaks(&p);
}

/* DHE and anonymous suites need a group: without DH parameters the server uses the built-in
 * ffdhe2048 (RFC 7919); with no parameters and no built-in groups (SSLXSetGroups none) it skips
 * them. */
Test(kx, dh_needs_params)
{
    static const uint16_t dhe[] = {TLS_DHE_RSA_WITH_AES_128_CBC_SHA, SSL_DH_anon_WITH_RC4_128_MD5};
    static const uint16_t mixed[] = {TLS_DHE_RSA_WITH_AES_128_CBC_SHA, SSL_DH_anon_WITH_RC4_128_MD5,
                                     TLS_RSA_WITH_AES_256_CBC_SHA};
    struct pair p;
    int r = run_suites(dhe, 2, dhe, 2, NULL, NULL, &p);
    cr_expect_eq(r, PAIR_OK, "DH suites only, no parameters: the default group");
    cr_expect_eq(negotiated(&p, PAIR_CLIENT), TLS_DHE_RSA_WITH_AES_128_CBC_SHA);
    uint16 group = 0;
    cr_expect_eq(SSLXGetNegotiatedGroup(p.s[PAIR_CLIENT].ctx, &group), SSLNoErr);
    cr_expect_eq(group, SSLX_GROUP_FFDHE2048);
    pair_free(&p);
    expect_no_leaks(&p);
    for (int m = 0; m < 2; m++) {
        struct pair_config c;
        pair_config_init(&c);
        for (int side = 0; side < 2; side++) {
            c.suites[side] = m ? mixed : dhe;
            c.nsuites[side] = m ? 3 : 2;
        }
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        cr_assert_eq(SSLXSetGroups(p.s[PAIR_SERVER].ctx, NULL, 0), SSLNoErr);
        r = pair_handshake(&p);
        if (m) {
            cr_expect_eq(r, PAIR_OK);
            cr_expect_eq(negotiated(&p, PAIR_CLIENT), TLS_RSA_WITH_AES_256_CBC_SHA);
        } else {
            expect_no_suite(&p, r, "DH suites only, no parameters, no groups");
        }
        pair_free(&p);
        expect_no_leaks(&p);
    }
}

/* The key decides between RSA and DHE-DSS suites: a DSA key serves only DHE-DSS, an RSA key never
 * does; with both kinds offered each server picks its own. */
Test(kx, dss_follows_the_key)
{
    static const uint16_t dss[] = {TLS_DHE_DSS_WITH_AES_128_CBC_SHA},
                          rsa[] = {TLS_RSA_WITH_AES_128_CBC_SHA, TLS_DHE_RSA_WITH_AES_128_CBC_SHA},
                          both[] = {TLS_RSA_WITH_AES_128_CBC_SHA, TLS_DHE_RSA_WITH_AES_128_CBC_SHA,
                                    TLS_DHE_DSS_WITH_AES_128_CBC_SHA};
    struct pair p;
    int r = run_suites(dss, 1, dss, 1, NULL, "dh1024.pem", &p); /* RSA key (the default) */
    expect_no_suite(&p, r, "DHE-DSS only, RSA key");
    pair_free(&p);
    expect_no_leaks(&p);
    r = run_suites(both, 3, both, 3, NULL, "dh1024.pem", &p);
    cr_expect_eq(r, PAIR_OK);
    cr_expect_eq(negotiated(&p, PAIR_CLIENT), TLS_RSA_WITH_AES_128_CBC_SHA);
    pair_free(&p);
    expect_no_leaks(&p);
    for (int i = 0; i < 2; i++) {
        struct pair_config c;
        pair_config_init(&c);
        c.suites[PAIR_CLIENT] = i ? both : rsa;
        c.nsuites[PAIR_CLIENT] = i ? 3 : 2;
        c.suites[PAIR_SERVER] = both;
        c.nsuites[PAIR_SERVER] = 3;
        c.dh_params = "dh1024.pem";
        c.server_key = "dsa1024-key.pem";
        c.server_chain = "dsa1024-chain.pem";
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        r = pair_handshake(&p);
        if (i) {
            cr_expect_eq(r, PAIR_OK);
            cr_expect_eq(negotiated(&p, PAIR_CLIENT), TLS_DHE_DSS_WITH_AES_128_CBC_SHA);
        } else {
            expect_no_suite(&p, r, "RSA suites only, DSA key");
        }
        pair_free(&p);
        expect_no_leaks(&p);
    }
}

/* RFC 6101 Appendix C: a server whose group is over 512 bits does not choose an export DH suite. */
Test(kx, export_dh_needs_a_512_bit_group)
{
    static const uint16_t exp[] = {SSL_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA,
                                   SSL_DH_anon_EXPORT_WITH_RC4_40_MD5},
                          mixed[] = {SSL_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA,
                                     SSL_DHE_RSA_WITH_3DES_EDE_CBC_SHA};
    struct pair p;
    int r = run_suites(exp, 2, exp, 2, NULL, "dh1024.pem", &p);
    expect_no_suite(&p, r, "export DH suites, 1024-bit group");
    pair_free(&p);
    expect_no_leaks(&p);
    r = run_suites(mixed, 2, mixed, 2, NULL, "dh1024.pem", &p);
    cr_expect_eq(r, PAIR_OK);
    cr_expect_eq(negotiated(&p, PAIR_CLIENT), SSL_DHE_RSA_WITH_3DES_EDE_CBC_SHA);
    pair_free(&p);
    expect_no_leaks(&p);
    r = run_suites(mixed, 2, mixed, 2, NULL, "dh512.pem", &p);
    cr_expect_eq(r, PAIR_OK);
    cr_expect_eq(negotiated(&p, PAIR_CLIENT), SSL_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA);
    pair_free(&p);
    expect_no_leaks(&p);
}

static int is_anon(uint16_t s) { return s >= 0x0017 && s <= 0x001b; }
static int is_export(uint16_t s)
{
    return s == 0x0003 || s == 0x0006 || s == 0x0008 || s == 0x0011 || s == 0x0014 || s == 0x0017 ||
           s == 0x0019;
}

/* Anonymous (and export) suites are never enabled by default, on either side. */
Test(kx, anonymous_never_default)
{
    for (int side = 0; side < 2; side++) {
        SSLContext *ctx = NULL;
        cr_assert_eq(SSLXNewContext(&ctx), SSLNoErr);
        cr_assert_eq(SSLSetProtocolSide(ctx, side == PAIR_CLIENT ? SSL_ClientSide : SSL_ServerSide),
                     SSLNoErr);
        uint16 list[64];
        uint32 n = 64;
        cr_assert_eq(SSLXGetCipherSuites(ctx, list, &n), SSLNoErr);
        cr_expect_gt(n, 0);
        for (uint32 i = 0; i < n && i < 64; i++) {
            cr_expect(!is_anon(list[i]), "side %d: anonymous suite %04x enabled by default", side, list[i]);
            cr_expect(!is_export(list[i]), "side %d: export suite %04x enabled by default", side, list[i]);
        }
        SSLXFreeContext(ctx);
    }
    /* A default client does not talk to a server that offers only anonymous suites... */
    static const uint16_t anon[] = {SSL_DH_anon_WITH_RC4_128_MD5, SSL_DH_anon_WITH_3DES_EDE_CBC_SHA};
    struct pair p;
    int r = run_suites(NULL, 0, anon, 2, NULL, "dh1024.pem", &p);
    expect_no_suite(&p, r, "default client, anonymous server");
    pair_free(&p);
    expect_no_leaks(&p);
    /* ...and a default server with DH parameters never picks one the client offers. */
    static const uint16_t cli[] = {SSL_DH_anon_WITH_RC4_128_MD5, SSL_RSA_WITH_RC4_128_SHA};
    r = run_suites(cli, 2, NULL, 0, NULL, "dh1024.pem", &p);
    cr_expect_eq(r, PAIR_OK);
    cr_expect_eq(negotiated(&p, PAIR_SERVER), SSL_RSA_WITH_RC4_128_SHA);
    pair_free(&p);
    expect_no_leaks(&p);
}

/* Every suite of this issue is reported by name and by SSLGetNegotiatedCipher (above); the names. */
Test(kx, suite_names)
{
    for (int i = 0; i < NALL; i++) {
        const char *n = SSLXCipherSuiteName(all_suites[i].suite);
        cr_expect(n != NULL, "%04x has a name", all_suites[i].suite);
        if (n)
            cr_expect(strncmp(n, "SSL_", 4) == 0 || strncmp(n, "TLS_", 4) == 0, "%s", n);
    }
    cr_expect_str_eq(SSLXCipherSuiteName(SSL_DH_anon_WITH_3DES_EDE_CBC_SHA),
                     "SSL_DH_anon_WITH_3DES_EDE_CBC_SHA");
    cr_expect_str_eq(SSLXCipherSuiteName(SSL_RSA_EXPORT_WITH_DES40_CBC_SHA),
                     "SSL_RSA_EXPORT_WITH_DES40_CBC_SHA");
}

/* ---- CertificateRequest contents, and a client with a chain but no key ---- */

/* §5.6.4: the request lists rsa_sign and the names added with SSLAddDistinguishedName, in order. */
Test(kx, distinguished_names_in_request)
{
    static const struct kx_case k = {TLS_DHE_RSA_WITH_AES_128_CBC_SHA, K_DHE, A_CERT, 0};
    struct pair_config c;
    configure(&c, &k);
    struct pair p;
    struct pkx_mitm m;
    pkx_mitm_init(&m, &p);
    m.cap_from = PAIR_SERVER;
    m.cap_type = 13;
    c.hook = pkx_hook;
    c.hook_ref = &m;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    struct seen2 seen;
    post_init(&p, &k, &seen);
    const char *files[2] = {"ca-cert.pem", "server-selfsigned.pem"};
    uint8_t *dn[2];
    uint32_t dnlen[2];
    for (int i = 0; i < 2; i++) {
        uint32_t len = 0;
        uint8_t *der = pkx_cert_der(files[i], 0, &len);
        cr_assert(der);
        struct x509_cert x;
        cr_assert_eq(x509_parse(der, len, &x), SSLNoErr);
        dn[i] = malloc(x.subject_len);
        cr_assert(dn[i]);
        memcpy(dn[i], x.subject, x.subject_len);
        dnlen[i] = x.subject_len;
        free(der);
        SSLBuffer b = {dnlen[i], dn[i]};
        cr_assert_eq(SSLAddDistinguishedName(p.s[PAIR_SERVER].ctx, b), SSLNoErr);
    }
    cr_assert_eq(pair_handshake(&p), PAIR_OK, "%s / %s", SSLXErrorName(p.s[0].last),
                 SSLXErrorName(p.s[1].last));
    cr_assert(m.captured, "a CertificateRequest was sent");
    /* types<1..255>, then DistinguishedName certificate_authorities<3..2^16-1> */
    size_t want = 1 + 1 + 2 + 2 + dnlen[0] + 2 + dnlen[1];
    cr_expect_eq(m.cap_len, want, "CertificateRequest is %zu bytes, want %zu", m.cap_len, want);
    if (m.cap_len == want) {
        const uint8_t *q = m.cap;
        cr_expect(q[0] == 1 && q[1] == 1, "one type: rsa_sign");
        cr_expect_eq((size_t)(q[2] << 8 | q[3]), want - 4);
        q += 4;
        for (int i = 0; i < 2; i++) {
            cr_expect_eq((uint32_t)(q[0] << 8 | q[1]), dnlen[i]);
            cr_expect(memcmp(q + 2, dn[i], dnlen[i]) == 0, "name %d is %s's subject", i, files[i]);
            q += 2 + dnlen[i];
        }
    }
    expect_chain(&p, PAIR_SERVER, 2, "client-cert.pem", "with names");
    for (int i = 0; i < 2; i++)
        free(dn[i]); /* the context keeps its own copies */
    exchange(&p, 100, 1, "with names");
    pair_free(&p);
    expect_no_leaks(&p);
}

/* A client with a certificate chain but no private key cannot sign CertificateVerify: it answers
 * the request with no_certificate and the server goes on without a client certificate. */
Test(kx, client_chain_without_key)
{
    static const struct kx_case k = {SSL_RSA_EXPORT_WITH_DES40_CBC_SHA, K_EXPORT_SKE, A_NOCERT, 0};
    struct pair_config c;
    configure(&c, &k);
    struct pair p;
    struct pkx_mitm m;
    pkx_mitm_init(&m, &p);
    c.hook = pkx_hook;
    c.hook_ref = &m;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    struct seen2 seen;
    post_init(&p, &k, &seen);
    cr_assert_eq(pkx_add_chain(p.s[PAIR_CLIENT].ctx, client_chain, 2), SSLNoErr);
    cr_assert_eq(pair_handshake(&p), PAIR_OK, "%s / %s", SSLXErrorName(p.s[0].last),
                 SSLXErrorName(p.s[1].last));
    expect_messages(&m, &k, 0, "chain without key");
    expect_state(&p, &k, 0, "chain without key");
    cr_expect_eq(seen.s[PAIR_SERVER].calls, 0);
    pair_free(&p);
    expect_no_leaks(&p);
}

/* ---- the same key exchanges after an SSL 2.0-format hello (RFC 6101 Appendix E.1) ---- */

struct v2h_case {
    struct kx_case k;
    SSLProtocolVersion client;
};

ParameterizedTestParameters(kx, after_v2_format_hello)
{
    static struct v2h_case cs[] = {
        {{SSL_RSA_EXPORT_WITH_RC4_40_MD5, K_EXPORT_SKE, A_CERT, 0}, SSL_Version_Undetermined},
        {{SSL_RSA_EXPORT_WITH_RC2_CBC_40_MD5, K_EXPORT_PLAIN, A_NONE, 0}, SSL_Version_3_0_With_2_0_Hello},
        {{TLS_DHE_RSA_WITH_AES_128_CBC_SHA, K_DHE, A_CERT, 0}, SSL_Version_3_0_With_2_0_Hello},
        {{SSL_DHE_RSA_WITH_3DES_EDE_CBC_SHA, K_DHE, A_NOCERT, 0}, SSL_Version_Undetermined},
        {{SSL_DH_anon_WITH_RC4_128_MD5, K_ANON, A_NONE, 0}, SSL_Version_Undetermined},
        {{SSL_DH_anon_EXPORT_WITH_DES40_CBC_SHA, K_ANON, A_CERT, 0}, SSL_Version_3_0_With_2_0_Hello},
    };
    return cr_make_param_array(struct v2h_case, cs, sizeof cs / sizeof cs[0]);
}

/* The hello goes out in SSL 2.0 format and the rest in SSL 3.0; ServerKeyExchange signatures use the
 * right-aligned challenge as client random and CertificateVerify/Finished hash the SSL 2.0 hello. */
ParameterizedTest(struct v2h_case *v, kx, after_v2_format_hello, .timeout = 60)
{
    struct pair_config c;
    configure(&c, &v->k);
    c.version[PAIR_CLIENT] = v->client;
    c.version[PAIR_SERVER] = SSL_Version_Undetermined;
    struct pair_cache cc, sc;
    pair_cache_init(&cc);
    pair_cache_init(&sc);
    c.cache[PAIR_CLIENT] = &cc;
    c.cache[PAIR_SERVER] = &sc;
    for (int conn = 0; conn < 2; conn++) {
        char what[64];
        snprintf(what, sizeof what, "v2 hello %04x auth %d conn %d", v->k.suite, v->k.auth, conn);
        c.seed = 70 + (uint64_t)conn;
        struct pair p;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        struct seen2 seen;
        post_init(&p, &v->k, &seen);
        uint8_t first = 0;
        cr_assert_eq(pair_run_side(&p, PAIR_CLIENT), SSLWouldBlockErr);
        const uint8_t *d = NULL;
        cr_assert_gt(pair_pending(&p, PAIR_SERVER, &d), 2);
        first = d[0];
        /* a cached SSL 3.0 session is offered in an SSL 3.0 hello (it cannot fit an SSL 2.0 one) */
        cr_expect_eq(first & 0x80, conn ? 0 : 0x80, "%s: first byte %02x", what, first);
        int r = pair_handshake(&p);
        cr_assert_eq(r, PAIR_OK, "%s: %s / %s", what, SSLXErrorName(p.s[0].last),
                     SSLXErrorName(p.s[1].last));
        expect_state(&p, &v->k, conn, what);
        exchange(&p, 3000, 5, what);
        close_clean(&p, PAIR_CLIENT, what);
        pair_free(&p);
        expect_no_leaks(&p);
    }
    pair_cache_clear(&cc);
    pair_cache_clear(&sc);
}

/* ---- a server context made by SSLDuplicateContext (as servers built on a template are) ---- */

/* The export key, DH parameters, the client-certificate request and the distinguished names reach
 * the copy; the template can go first. */
Test(kx, duplicated_server_context)
{
    static const struct kx_case cases[] = {
        {SSL_RSA_EXPORT_WITH_DES40_CBC_SHA, K_EXPORT_SKE, A_CERT, 0},
        {TLS_DHE_RSA_WITH_AES_256_CBC_SHA, K_DHE, A_CERT, 0},
        {SSL_DH_anon_WITH_3DES_EDE_CBC_SHA, K_ANON, A_NONE, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct kx_case *k = &cases[i];
        struct pair_config c;
        configure(&c, k);
        struct pair p;
        struct pkx_mitm m;
        pkx_mitm_init(&m, &p);
        m.cap_from = PAIR_SERVER;
        m.cap_type = 13;
        c.hook = pkx_hook;
        c.hook_ref = &m;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        struct seen2 seen;
        post_init(&p, k, &seen);
        uint32_t dl = 0;
        uint8_t *ca = pkx_cert_der("ca-cert.pem", 0, &dl);
        cr_assert(ca);
        struct x509_cert x;
        cr_assert_eq(x509_parse(ca, dl, &x), SSLNoErr);
        SSLBuffer dn = {x.subject_len, (uint8_t *)x.subject};
        cr_assert_eq(SSLAddDistinguishedName(p.s[PAIR_SERVER].ctx, dn), SSLNoErr);
        SSLContext *copy = malloc(SSLContextSize());
        cr_assert(copy);
        cr_assert_eq(SSLDuplicateContext(p.s[PAIR_SERVER].ctx, copy, &p.s[PAIR_SERVER].end), SSLNoErr);
        pair_delete_side(&p, PAIR_SERVER); /* the template goes; the copy serves */
        p.s[PAIR_SERVER].ctx = copy;
        int r = pair_handshake(&p);
        cr_assert_eq(r, PAIR_OK, "%04x via a copy: %s / %s", k->suite, SSLXErrorName(p.s[0].last),
                     SSLXErrorName(p.s[1].last));
        expect_state(&p, k, 0, "duplicated server");
        expect_messages(&m, k, 0, "duplicated server");
        if (k->auth == A_CERT) {
            cr_expect(m.captured && m.cap_len == 4 + 2 + x.subject_len &&
                          memcmp(m.cap + 6, x.subject, x.subject_len) == 0,
                      "the copy's CertificateRequest names the CA");
            expect_seen(&seen.s[PAIR_SERVER], 1, 2, "client-cert.pem", "duplicated server");
        }
        free(ca);
        exchange(&p, 5000, 3, "duplicated server");
        pair_free(&p);
        expect_no_leaks(&p);
    }
}
