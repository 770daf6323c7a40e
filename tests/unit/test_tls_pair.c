/*
 * test_tls_pair.c - TLS 1.0, 1.1 and 1.2 between our client and our server in one process: every
 * suite at every version its range allows (full, then resumed from the cache), data both ways,
 * would-block at every byte, client authentication, version negotiation across ranges,
 * FALLBACK_SCSV, extended master secret, ALPN and SNI. Interop with real peers is in
 * tests/interop/test_tls_*.sh; this file checks the two sides agree and what they report.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>
#include "paircheck.h"
#include "state/suites.h"
#include "handshake/hs_sig.h"

struct case_sv {
    uint16_t suite;
    int proto; /* SSLXProtocol */
};

static const int protos[] = {kTLSProtocol1, kTLSProtocol11, kTLSProtocol12};
static const uint16_t wire[] = {[kTLSProtocol1] = V_TLS10, [kTLSProtocol11] = V_TLS11,
                                [kTLSProtocol12] = V_TLS12};

ParameterizedTestParameters(tls, every_suite_every_version)
{
    static struct case_sv cases[200];
    uint16_t all[96];
    uint32_t n = SSLXSupportedCipherSuites(all, 96), k = 0;
    for (uint32_t i = 0; i < n && i < 96; i++) {
        const struct suite *s = suite_find(all[i]);
        if (s->kx == KX_DH_ANON || s->kx == KX_RSA_EXPORT || s->exportable)
            continue; /* never by default, and TLS 1.0 at most: test_pair covers them */
        for (size_t v = 0; v < 3; v++)
            if (s->min_ver <= wire[protos[v]] && wire[protos[v]] <= s->max_ver)
                cases[k++] = (struct case_sv){all[i], protos[v]};
    }
    return cr_make_param_array(struct case_sv, cases, k);
}

static void tls_config(struct pair_config *c, const uint16_t *suite, int proto)
{
    pair_config_init(c);
    if (suite)
        pair_config_suite(c, suite);
    c->dh_params = "dh1024.pem";
    for (int side = 0; side < 2; side++) {
        c->vmin[side] = proto;
        c->vmax[side] = proto;
    }
}

static int negotiated(SSLContext *ctx)
{
    SSLXProtocol p = kSSLProtocolUnknown;
    cr_assert_eq(SSLXGetNegotiatedProtocolVersion(ctx, &p), SSLNoErr);
    return p;
}

ParameterizedTest(struct case_sv *cs, tls, every_suite_every_version, .timeout = 60)
{
    struct pair_cache cc, sc;
    pair_cache_init(&cc);
    pair_cache_init(&sc);
    struct pair_config c;
    tls_config(&c, &cs->suite, cs->proto);
    c.cache[0] = &cc;
    c.cache[1] = &sc;
    if (suite_find(cs->suite)->kx == KX_DHE_DSS) { /* TLS 1.0 and 1.1 only (state/suites.c) */
        c.server_key = "dsa1024-key.pem";
        c.server_chain = "dsa1024-chain.pem";
    }
    if (suite_find(cs->suite)->kx == KX_ECDHE_ECDSA) { /* P-384 for the SHA-384 suites */
        int p384 = suite_find(cs->suite)->prf == CRY_SHA384;
        c.server_key = p384 ? "ec384-key.pem" : "ec256-key.pem";
        c.server_chain = p384 ? "ec384-chain.pem" : "ec256-chain.pem";
    }
    const char *name = SSLXCipherSuiteName(cs->suite);
    for (int conn = 0; conn < 2; conn++) {
        struct pair p;
        c.seed = 90 + (uint64_t)conn;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        cr_assert_eq(pair_handshake(&p), PAIR_OK, "%s v%d conn %d: %s / %s", name, cs->proto, conn,
                     SSLXErrorName(p.s[0].last), SSLXErrorName(p.s[1].last));
        for (int side = 0; side < 2; side++) {
            uint16 got = 0;
            int resumed = -1, ems = -1;
            SSLGetNegotiatedCipher(p.s[side].ctx, &got);
            SSLXGetResumed(p.s[side].ctx, &resumed);
            SSLXGetExtendedMasterSecret(p.s[side].ctx, &ems);
            cr_assert_eq(got, cs->suite, "%s side %d got %04x", name, side, got);
            cr_assert_eq(negotiated(p.s[side].ctx), cs->proto, "%s side %d", name, side);
            cr_assert_eq(resumed, conn == 1, "%s conn %d side %d resumed=%d", name, conn, side, resumed);
            cr_assert_eq(ems, 1, "%s: extended master secret is on by default", name);
        }
        static uint8_t big[40000];
        for (size_t i = 0; i < sizeof big; i++)
            big[i] = (uint8_t)(i * 7 + conn);
        cr_assert_eq(pair_exchange(&p, PAIR_CLIENT, big, sizeof big), SSLNoErr, "%s", name);
        cr_assert_eq(pair_exchange(&p, PAIR_SERVER, big, 1), SSLNoErr, "%s", name);
        SSLErr closed;
        cr_assert_eq(pair_close(&p, PAIR_CLIENT, &closed), SSLConnectionClosedGraceful);
        pair_free(&p);
        cr_assert_eq(pair_live_blocks(&p), 0);
    }
    pair_cache_clear(&cc);
    pair_cache_clear(&sc);
}

/* Would-block at every byte on both sides, with client authentication, at each version. */
ParameterizedTestParameters(tls, byte_at_a_time_client_auth)
{
    static int v[] = {kTLSProtocol1, kTLSProtocol11, kTLSProtocol12};
    return cr_make_param_array(int, v, 3);
}

ParameterizedTest(int *proto, tls, byte_at_a_time_client_auth, .timeout = 60)
{
    struct pair_config c;
    tls_config(&c, NULL, *proto);
    c.client_key = "client-key.pem";
    c.client_chain = "client-cert.pem";
    c.request_client_cert = 1;
    for (int side = 0; side < 2; side++) {
        c.io[side].wb_every_byte = 1;
        c.io[side].chunk = 1;
    }
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(pair_handshake(&p), PAIR_OK, "%s / %s", SSLXErrorName(p.s[0].last),
                 SSLXErrorName(p.s[1].last));
    int chain = 0;
    cr_assert_eq(SSLGetPeerCertificateChainLength(p.s[PAIR_SERVER].ctx, &chain), SSLNoErr);
    cr_assert_eq(chain, 1, "the server saw the client's certificate");
    cr_assert_eq(negotiated(p.s[0].ctx), *proto);
    cr_assert_eq(pair_exchange(&p, PAIR_CLIENT, "ping", 4), SSLNoErr);
    pair_free(&p);
    cr_assert_eq(pair_live_blocks(&p), 0);
}

/* Ranges meet at the highest common version; disjoint ranges fail with protocol_version. */
Test(tls, version_negotiation)
{
    static const struct {
        int cmin, cmax, smin, smax, want; /* want 0: failure */
    } t[] = {
        {kTLSProtocol1, kTLSProtocol12, kTLSProtocol1, kTLSProtocol12, kTLSProtocol12},
        {kTLSProtocol1, kTLSProtocol11, kTLSProtocol1, kTLSProtocol12, kTLSProtocol11},
        {kTLSProtocol1, kTLSProtocol12, kTLSProtocol1, kTLSProtocol1, kTLSProtocol1},
        {kSSLProtocol3, kTLSProtocol12, kSSLProtocol3, kSSLProtocol3, kSSLProtocol3},
        {kSSLProtocol3, kSSLProtocol3, kTLSProtocol1, kTLSProtocol12, 0},
        {kTLSProtocol12, kTLSProtocol12, kTLSProtocol1, kTLSProtocol11, 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct pair_config c;
        tls_config(&c, NULL, kTLSProtocol12);
        c.vmin[0] = t[i].cmin, c.vmax[0] = t[i].cmax;
        c.vmin[1] = t[i].smin, c.vmax[1] = t[i].smax;
        struct pair p;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        int r = pair_handshake(&p);
        if (t[i].want) {
            cr_assert_eq(r, PAIR_OK, "row %zu: %s / %s", i, SSLXErrorName(p.s[0].last),
                         SSLXErrorName(p.s[1].last));
            cr_assert_eq(negotiated(p.s[0].ctx), t[i].want, "row %zu", i);
            cr_assert_eq(negotiated(p.s[1].ctx), t[i].want, "row %zu", i);
        } else {
            cr_assert_eq(r, PAIR_FAILED, "row %zu", i);
            uint16 sent = 0, recv = 0;
            SSLXGetLastAlerts(p.s[PAIR_SERVER].ctx, &sent, &recv);
            if (t[i].cmax < t[i].smin) /* the server refuses the hello */
                cr_assert_eq(sent & 0xff, 70, "row %zu: protocol_version, got %04x", i, sent);
            else { /* the client refuses the ServerHello */
                SSLXGetLastAlerts(p.s[PAIR_CLIENT].ctx, &sent, &recv);
                cr_assert_eq(sent & 0xff, 70, "row %zu: protocol_version, got %04x", i, sent);
            }
        }
        pair_free(&p);
        cr_assert_eq(pair_live_blocks(&p), 0);
    }
}

/*
 * The extended version table of docs/api.md: the seed's four SSLSetProtocolVersion values keep
 * their SSL 3.0 / 2.0 meaning, and a context that sets nothing speaks TLS 1.0-1.2. Each cell: the
 * version both sides report, or which side refuses and with which alert.
 */
enum { VD = -1 }; /* the library default: no version call */
Test(tls, seed_values_against_the_default_range)
{
    static const int setting[] = {VD, SSL_Version_Undetermined, SSL_Version_3_0_With_2_0_Hello,
                                  SSL_Version_3_0_Only, SSL_Version_2_0};
    static const char *const name[] = {"default", "Undetermined", "3.0 w/2.0 hello", "3.0 only",
                                       "2.0 only"};
    /* [client][server]: > 0 the version both report; < 0 failure, -(alert sent by the refusing
     * side) with the side in refuser[][]; -1: refused with an SSL 2.0 ERROR message */
    static const int want[5][5] = {
        {kTLSProtocol12, -70, -70, -70, -40},
        {-10, kSSLProtocol3, kSSLProtocol3, -10, kSSLProtocol2},
        {-10, kSSLProtocol3, kSSLProtocol3, -10, -1},
        {-70, kSSLProtocol3, kSSLProtocol3, kSSLProtocol3, -40},
        {-10, kSSLProtocol2, -1, -10, kSSLProtocol2},
    };
    static const int refuser[5][5] = {
        {0, PAIR_CLIENT, PAIR_CLIENT, PAIR_CLIENT, PAIR_SERVER},
        {PAIR_SERVER, 0, 0, PAIR_SERVER, 0},
        {PAIR_SERVER, 0, 0, PAIR_SERVER, PAIR_SERVER},
        {PAIR_SERVER, 0, 0, 0, PAIR_SERVER},
        {PAIR_SERVER, 0, PAIR_SERVER, PAIR_SERVER, 0},
    };
    static uint16_t all[] = {TLS_RSA_WITH_AES_128_CBC_SHA, SSL2_SUITE_DES_192_EDE3_CBC_WITH_MD5};
    for (int ci = 0; ci < 5; ci++)
        for (int si = 0; si < 5; si++) {
            struct pair_config c;
            pair_config_init(&c);
            c.suites[0] = c.suites[1] = all;
            c.nsuites[0] = c.nsuites[1] = 2;
            int set[2] = {setting[ci], setting[si]};
            for (int side = 0; side < 2; side++) {
                if (set[side] == VD)
                    c.lib_default[side] = 1;
                else
                    c.version[side] = (SSLProtocolVersion)set[side];
            }
            struct pair p;
            cr_assert_eq(pair_init(&p, &c), SSLNoErr);
            int r = pair_handshake(&p), w = want[ci][si];
            if (w > 0) {
                cr_expect_eq(r, PAIR_OK, "%s -> %s: %s / %s", name[ci], name[si],
                             SSLXErrorName(p.s[0].last), SSLXErrorName(p.s[1].last));
                if (r == PAIR_OK) {
                    cr_expect_eq(negotiated(p.s[0].ctx), w, "%s -> %s: client", name[ci], name[si]);
                    cr_expect_eq(negotiated(p.s[1].ctx), w, "%s -> %s: server", name[ci], name[si]);
                }
            } else {
                uint16 sent = 0, recv = 0;
                SSLXGetLastAlerts(p.s[refuser[ci][si]].ctx, &sent, &recv);
                cr_expect_eq(r, PAIR_FAILED, "%s -> %s", name[ci], name[si]);
                if (w != -1) /* -1: an SSL 2.0 ERROR message, pinned in test_gap_version.c (b), (d) */
                    cr_expect_eq(sent & 0xff, -w, "%s -> %s: the %s sends alert %d, got %04x", name[ci],
                             name[si], refuser[ci][si] == PAIR_CLIENT ? "client" : "server", -w, sent);
            }
            pair_free(&p);
            cr_assert_eq(pair_live_blocks(&p), 0);
        }
}

/* RFC 7507: a client that fell back below what the server speaks is refused. */
Test(tls, fallback_scsv)
{
    for (int fallback = 0; fallback < 2; fallback++) {
        struct pair_config c;
        tls_config(&c, NULL, kTLSProtocol12);
        c.vmin[0] = kTLSProtocol1;
        c.vmax[0] = kTLSProtocol11;
        c.vmin[1] = kTLSProtocol1;
        struct pair p;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        if (fallback)
            SSLXSetFallback(p.s[PAIR_CLIENT].ctx, 1);
        int r = pair_handshake(&p);
        uint16 sent = 0, recv = 0;
        SSLXGetLastAlerts(p.s[PAIR_SERVER].ctx, &sent, &recv);
        if (fallback) {
            cr_assert_eq(r, PAIR_FAILED);
            cr_assert_eq(sent, 0x0256, "fatal inappropriate_fallback, got %04x", sent);
        } else {
            cr_assert_eq(r, PAIR_OK);
            cr_assert_eq(negotiated(p.s[0].ctx), kTLSProtocol11);
        }
        pair_free(&p);
    }
}

/* ALPN picks the server's first protocol the client offers; SNI reaches the server. */
Test(tls, alpn_and_sni)
{
    struct pair_config c;
    tls_config(&c, NULL, kTLSProtocol12);
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(SSLXSetALPN(p.s[PAIR_CLIENT].ctx, "h2,http/1.1"), SSLNoErr);
    cr_assert_eq(SSLXSetALPN(p.s[PAIR_SERVER].ctx, "http/1.1,spdy/3"), SSLNoErr);
    cr_assert_eq(SSLXSetServerName(p.s[PAIR_CLIENT].ctx, "www.example.test"), SSLNoErr);
    cr_assert_eq(pair_handshake(&p), PAIR_OK);
    char a[64], b[64], sni[64];
    cr_assert_eq(SSLXGetALPN(p.s[PAIR_CLIENT].ctx, a, sizeof a), SSLNoErr);
    cr_assert_eq(SSLXGetALPN(p.s[PAIR_SERVER].ctx, b, sizeof b), SSLNoErr);
    cr_assert_str_eq(a, "http/1.1");
    cr_assert_str_eq(b, "http/1.1");
    cr_assert_eq(SSLXGetServerName(p.s[PAIR_SERVER].ctx, sni, sizeof sni), SSLNoErr);
    cr_assert_str_eq(sni, "www.example.test");
    pair_free(&p);

    /* no common protocol: no_application_protocol (RFC 7301 §3.2) */
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(SSLXSetALPN(p.s[PAIR_CLIENT].ctx, "h2"), SSLNoErr);
    cr_assert_eq(SSLXSetALPN(p.s[PAIR_SERVER].ctx, "http/1.1"), SSLNoErr);
    cr_assert_eq(pair_handshake(&p), PAIR_FAILED);
    uint16 sent = 0, recv = 0;
    SSLXGetLastAlerts(p.s[PAIR_SERVER].ctx, &sent, &recv);
    cr_assert_eq(sent, 0x0278, "no_application_protocol, got %04x", sent);
    pair_free(&p);

}

/* Extended master secret off on one side: the handshake works without it. */
Test(tls, ems_off_on_one_side)
{
    for (int side = 0; side < 2; side++) {
        struct pair_config c;
        tls_config(&c, NULL, kTLSProtocol12);
        struct pair p;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        SSLXSetExtendedMasterSecret(p.s[side].ctx, 0);
        cr_assert_eq(pair_handshake(&p), PAIR_OK);
        for (int s = 0; s < 2; s++) {
            int ems = -1;
            SSLXGetExtendedMasterSecret(p.s[s].ctx, &ems);
            cr_assert_eq(ems, 0);
        }
        cr_assert_eq(pair_exchange(&p, PAIR_CLIENT, "x", 1), SSLNoErr);
        pair_free(&p);
    }
}

/*
 * RFC 7627 §5.3 on the server: a session made with the extended master secret, offered by a client
 * that no longer sends the extension, is fatal (handshake_failure); a session made without it,
 * offered with it, gets a full handshake.
 */
Test(tls, ems_resumption_rules)
{
    for (int made_with = 0; made_with < 2; made_with++) {
        struct pair_cache cc, sc;
        pair_cache_init(&cc);
        pair_cache_init(&sc);
        struct pair_config c;
        tls_config(&c, NULL, kTLSProtocol12);
        c.cache[0] = &cc;
        c.cache[1] = &sc;
        for (int conn = 0; conn < 2; conn++) {
            struct pair p;
            c.seed = 300 + (uint64_t)conn;
            cr_assert_eq(pair_init(&p, &c), SSLNoErr);
            int client_ems = conn == 0 ? made_with : !made_with;
            SSLXSetExtendedMasterSecret(p.s[PAIR_CLIENT].ctx, client_ems);
            int r = pair_handshake(&p);
            int resumed = -1;
            SSLXGetResumed(p.s[PAIR_SERVER].ctx, &resumed);
            if (conn == 0) {
                cr_assert_eq(r, PAIR_OK);
                cr_assert_eq(resumed, 0);
            } else if (made_with) {
                uint16 sent = 0, recv = 0;
                SSLXGetLastAlerts(p.s[PAIR_SERVER].ctx, &sent, &recv);
                cr_assert_eq(r, PAIR_FAILED, "an EMS session offered without EMS must be refused");
                cr_assert_eq(sent, 0x0228, "fatal handshake_failure, got %04x", sent);
            } else {
                cr_assert_eq(r, PAIR_OK);
                cr_assert_eq(resumed, 0, "a non-EMS session offered with EMS: a full handshake");
                int ems = -1;
                SSLXGetExtendedMasterSecret(p.s[PAIR_SERVER].ctx, &ems);
                cr_assert_eq(ems, 1);
            }
            pair_free(&p);
            cr_assert_eq(pair_live_blocks(&p), 0);
        }
        pair_cache_clear(&cc);
        pair_cache_clear(&sc);
    }
}

/* TLS sends DSA signatures as DER (RFC 2246 §7.4.3), SSL 3.0 as r || s: minimal INTEGERs, a zero
 * byte before a set top bit, leading zeros dropped. OpenSSL refuses anything else (it checked
 * our SSL 3.0 form as "bad signature"). */
Test(tls, dss_signature_der)
{
    uint8_t rs[40], out[100];
    uint32_t len = 0;
    memset(rs, 0x11, sizeof rs);
    rs[0] = 0x80;              /* r: top bit set: 00 80 11 .. */
    rs[20] = 0, rs[21] = 0x05; /* s: one leading zero dropped */
    cr_assert_eq(hs_sig_dss_der(rs, 20, out, sizeof out, &len), SSLNoErr);
    static const uint8_t head[] = {0x30, 2 + 21 + 2 + 19, 0x02, 21, 0x00, 0x80, 0x11};
    cr_assert_eq(len, 2 + 2 + 21 + 2 + 19);
    cr_assert_eq(memcmp(out, head, sizeof head), 0);
    cr_assert_eq(out[2 + 2 + 21], 0x02);
    cr_assert_eq(out[2 + 2 + 21 + 1], 19);
    cr_assert_eq(out[2 + 2 + 21 + 2], 0x05);
    memset(rs, 0, sizeof rs);  /* zero encodes as one 00 byte */
    cr_assert_eq(hs_sig_dss_der(rs, 20, out, sizeof out, &len), SSLNoErr);
    static const uint8_t zero[] = {0x30, 6, 2, 1, 0, 2, 1, 0};
    cr_assert_eq(len, sizeof zero);
    cr_assert_eq(memcmp(out, zero, sizeof zero), 0);
    cr_assert_eq(hs_sig_dss_der(rs, 20, out, 5, &len), SSLOverflowErr);
}

/* DHE-DSS stops at TLS 1.1: the TLS 1.2 signature schemes sslref signs are RSA ones, so a server
 * with a DSA key used to choose DHE-DSS at 1.2 and fail inside its own ServerKeyExchange (an RSA
 * signature with a DSA key: SSLBadParameterErr, no alert). Now it does not choose them there
 * (handshake_failure, nothing else usable), and at 1.1 and 1.0 they complete. */
Test(tls, dhe_dss_only_up_to_tls11)
{
    static const uint16_t dss[] = {TLS_DHE_DSS_WITH_AES_128_CBC_SHA, TLS_DHE_DSS_WITH_AES_256_CBC_SHA,
                                   SSL_DHE_DSS_WITH_3DES_EDE_CBC_SHA};
    for (size_t i = 0; i < sizeof dss / sizeof dss[0]; i++)
        for (int proto = kTLSProtocol1; proto <= kTLSProtocol12; proto++) {
            struct pair_config c;
            tls_config(&c, &dss[i], proto);
            c.vmin[PAIR_CLIENT] = kTLSProtocol1; /* the client offers 1.0 .. 1.2 */
            c.vmax[PAIR_CLIENT] = kTLSProtocol12;
            c.server_key = "dsa1024-key.pem";
            c.server_chain = "dsa1024-chain.pem";
            struct pair p;
            cr_assert_eq(pair_init(&p, &c), SSLNoErr);
            int r = pair_handshake(&p);
            if (proto < kTLSProtocol12) {
                cr_assert_eq(r, PAIR_OK, "%04x v%d: %s / %s", dss[i], proto, SSLXErrorName(p.s[0].last),
                             SSLXErrorName(p.s[1].last));
                uint16 got = 0;
                SSLGetNegotiatedCipher(p.s[PAIR_CLIENT].ctx, &got);
                cr_assert_eq(got, dss[i]);
                cr_assert_eq(negotiated(p.s[PAIR_CLIENT].ctx), proto);
                cr_assert_eq(pair_exchange(&p, PAIR_CLIENT, "x", 1), SSLNoErr);
            } else {
                cr_assert_eq(r, PAIR_FAILED, "%04x at TLS 1.2", dss[i]);
                uint16 sent = 0, recv = 0;
                SSLXGetLastAlerts(p.s[PAIR_SERVER].ctx, &sent, &recv);
                cr_assert_eq(sent, 0x0228, "%04x: fatal handshake_failure, got %04x", dss[i], sent);
                cr_assert_eq(p.s[PAIR_SERVER].last, SSLNegotiationErr, "%s", SSLXErrorName(p.s[PAIR_SERVER].last));
            }
            pair_free(&p);
            cr_assert_eq(pair_live_blocks(&p), 0);
        }
}
