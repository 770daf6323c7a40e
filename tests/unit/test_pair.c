/*
 * test_pair.c - pair tests (DESIGN.md §4) for every SSL 3.0 suite of issue 2: full handshake, data
 * both ways (1, 16384, 16385 bytes and 1 MiB, content checked), resumption, clean close both ways;
 * CBC 1/n-1 record splitting on and off; defaults; the version table; record framing; every suite the
 * build implements; client authentication; SSL 2.0 cipher kinds. I/O patterns: test_pair_io.c.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "paircheck.h"
#include "state/suites.h"

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
    pair_config_ssl2(&c); /* the table's outcomes are those with the kinds enabled */
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
    pair_config_ssl2(&c); /* the table's outcomes are those with the kinds enabled */
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
    /* every suite SSL 3.0 can negotiate; the TLS-only rows (min_ver above 3.0) run in the TLS pairs */
    static uint16_t ids[96];
    uint16_t all[96];
    uint32_t n = SSLXSupportedCipherSuites(all, 96), k = 0;
    for (uint32_t i = 0; i < n && i < 96; i++)
        if (suite_find(all[i])->min_ver == V_SSL3)
            ids[k++] = all[i];
    return cr_make_param_array(uint16_t, ids, k);
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
    if (strstr(name, "_EXPORT_") && (strstr(name, "_DH") || strstr(name, "_anon_")))
        c.dh_params = "dh512.pem"; /* export DH suites are limited to 512-bit groups */
    if (strstr(name, "_DSS_")) { /* DHE-DSS needs a DSA key and certificate */
        c.server_key = "dsa1024-key.pem";
        c.server_chain = "dsa1024-chain.pem";
    }
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
