/*
 * test_ecdsa_tls.c - ECDSA certificates in TLS between our client and server (issue 16 points 2,
 * 3 and 5): every ECDHE_ECDSA suite with a P-256 and a P-384 key over each group, full and resumed,
 * the signature scheme of the key's curve in TLS 1.2 and SHA-1 ECDSA in TLS 1.0; a server holding
 * an RSA and an EC identity gives each client the certificate its suites ask for; client
 * authentication with an EC certificate; the ChaCha20 rule (SSLXSetChaChaPreference); sessions that
 * keep their group and certificate type; a tampered ECDSA signature refused with decrypt_error.
 * Interop with real peers is in tests/interop (test_ecdsa.sh and the test_tls_*.sh scripts).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "crypto/ecdh.h"
#include "crypto/gcm.h"
#include "handshake/hs_sig.h"
#include "handshake/session.h"
#include "pair.h"
#include "pair_kx.h"
#include "state/ctx.h"
#include "x509/x509.h"

static void expect_no_leaks(const struct pair *p)
{
    for (int side = 0; side < 2; side++) {
        cr_expect_eq(p->s[side].alloc.live_blocks, 0, "side %d leaks %ld blocks", side,
                     p->s[side].alloc.live_blocks);
        cr_expect_eq(p->s[side].alloc.unwiped_frees, 0, "side %d freed blocks unwiped", side);
    }
}

static uint16_t suite_of(struct pair *p, int side)
{
    uint16 s = 0;
    cr_assert_eq(SSLGetNegotiatedCipher(p->s[side].ctx, &s), SSLNoErr);
    return s;
}

static uint16_t group_of(struct pair *p, int side)
{
    uint16 g = 0xffff;
    cr_assert_eq(SSLXGetNegotiatedGroup(p->s[side].ctx, &g), SSLNoErr);
    return g;
}

static int resumed_of(struct pair *p, int side)
{
    int r = -1;
    cr_assert_eq(SSLXGetResumed(p->s[side].ctx, &r), SSLNoErr);
    return r;
}

/* The key type of the certificate @side received from its peer (X509_KEY_*), or -1. */
static int peer_key_type(struct pair *p, int side)
{
    const struct certlist *l = &p->s[side].ctx->peer_chain;
    struct x509_cert c;
    if (!l->n)
        return -1;
    return x509_parse(l->certs[0].data, l->certs[0].length, &c) == SSLNoErr ? c.key_type : -1;
}

static void config(struct pair_config *c, const uint16_t *suites, uint32_t n, int proto)
{
    pair_config_init(c);
    for (int side = 0; side < 2; side++) {
        c->suites[side] = suites;
        c->nsuites[side] = n;
        c->vmin[side] = proto;
        c->vmax[side] = proto;
    }
}

/* ---- every ECDHE_ECDSA suite, each key, each group, full then resumed ---- */

struct ec_case {
    uint16_t suite, group;
    int p384, proto;
};

ParameterizedTestParameters(ecdsa_tls, every_suite)
{
    static struct ec_case cases[64];
    static const uint16_t s12[] = {
        TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,       TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
        TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,       TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
        TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA};
    static const uint16_t g[] = {SSLX_GROUP_X25519, SSLX_GROUP_SECP256R1, SSLX_GROUP_SECP384R1};
    int k = 0;
    for (size_t i = 0; i < sizeof s12 / sizeof s12[0]; i++)
        for (int key = 0; key < 2; key++) /* one group per key and suite, turning through all */
            cases[k++] = (struct ec_case){s12[i], g[(i + (size_t)key) % 3], key, kTLSProtocol12};
    for (int key = 0; key < 2; key++) { /* TLS 1.0: SHA-1 signatures (RFC 8422 §5.4) */
        cases[k++] = (struct ec_case){TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, g[key], key,
                                      kTLSProtocol1};
        cases[k++] = (struct ec_case){TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, g[2 - key], key,
                                      kTLSProtocol11};
    }
    return cr_make_param_array(struct ec_case, cases, (size_t)k);
}

ParameterizedTest(struct ec_case *ec, ecdsa_tls, every_suite, .timeout = 60)
{
    struct pair_cache cc, sc;
    pair_cache_init(&cc);
    pair_cache_init(&sc);
    struct pair_config c;
    config(&c, &ec->suite, 1, ec->proto);
    c.server_key = ec->p384 ? "ec384-key.pem" : "ec256-key.pem";
    c.server_chain = ec->p384 ? "ec384-chain.pem" : "ec256-chain.pem";
    c.cache[0] = &cc;
    c.cache[1] = &sc;
    const char *name = SSLXCipherSuiteName(ec->suite);
    for (int conn = 0; conn < 2; conn++) {
        struct pair p;
        c.seed = 300 + (uint64_t)conn;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        /* the key exchange's group first, and the certificate's curve (RFC 8422 §5.1.1: a client
         * lists the curves it can verify signatures on too) */
        uint16_t curve = ec->p384 ? SSLX_GROUP_SECP384R1 : SSLX_GROUP_SECP256R1;
        uint16_t groups[2] = {ec->group, curve};
        uint32_t ng = ec->group == curve ? 1 : 2;
        for (int side = 0; side < 2; side++)
            cr_assert_eq(SSLXSetGroups(p.s[side].ctx, groups, ng), SSLNoErr);
        cr_assert_eq(pair_handshake(&p), PAIR_OK, "%s P-%d group %u conn %d: %s / %s", name,
                     ec->p384 ? 384 : 256, ec->group, conn, SSLXErrorName(p.s[0].last),
                     SSLXErrorName(p.s[1].last));
        for (int side = 0; side < 2; side++) {
            cr_expect_eq(suite_of(&p, side), ec->suite, "%s side %d", name, side);
            cr_expect_eq(group_of(&p, side), ec->group, "%s conn %d side %d: group %u", name, conn,
                         side, group_of(&p, side));
            cr_expect_eq(resumed_of(&p, side), conn == 1, "%s conn %d side %d", name, conn, side);
        }
        cr_expect_eq(peer_key_type(&p, PAIR_CLIENT), X509_KEY_EC, "%s", name);
        if (conn == 0 && ec->proto == kTLSProtocol12) /* the curve's own hash first */
            cr_expect_eq(p.s[PAIR_SERVER].ctx->sigalg,
                         ec->p384 ? SIG_ECDSA_SHA384 : SIG_ECDSA_SHA256, "%s: scheme %04x", name,
                         p.s[PAIR_SERVER].ctx->sigalg);
        static const uint8_t msg[] = "ecdsa data";
        cr_expect_eq(pair_exchange(&p, PAIR_CLIENT, msg, sizeof msg), SSLNoErr);
        cr_expect_eq(pair_exchange(&p, PAIR_SERVER, msg, sizeof msg), SSLNoErr);
        pair_free(&p);
        expect_no_leaks(&p);
    }
    pair_cache_clear(&cc);
    pair_cache_clear(&sc);
}

/* ---- one server, two certificates ---- */

static void dual(struct pair_config *c, const uint16_t *client_suites, uint32_t n, int proto)
{
    pair_config_init(c);
    c->suites[PAIR_CLIENT] = client_suites;
    c->nsuites[PAIR_CLIENT] = n;
    for (int side = 0; side < 2; side++) {
        c->vmin[side] = kTLSProtocol1;
        c->vmax[side] = proto;
    }
    c->server_key2 = "ec256-key.pem"; /* beside the RSA key and chain of pair_config_init */
    c->server_chain2 = "ec256-chain.pem";
}

struct dual_case {
    uint16_t client[4];
    uint32_t n;
    int proto;
    uint16_t want;
    int key_type;
};

ParameterizedTestParameters(ecdsa_tls, dual_identity)
{
    static struct dual_case cases[] = {
        /* the library's default offer: the server's first suite, ECDHE-ECDSA */
        {{0}, 0, kTLSProtocol12, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, X509_KEY_EC},
        {{TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}, 1, kTLSProtocol12,
         TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, X509_KEY_RSA},
        {{TLS_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}, 2,
         kTLSProtocol12, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, X509_KEY_EC},
        {{TLS_RSA_WITH_AES_128_CBC_SHA}, 1, kTLSProtocol12, TLS_RSA_WITH_AES_128_CBC_SHA,
         X509_KEY_RSA},
        {{0}, 0, kTLSProtocol1, TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, X509_KEY_EC},
        {{TLS_DHE_RSA_WITH_AES_128_CBC_SHA, TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA}, 2, kTLSProtocol11,
         TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, X509_KEY_RSA},
    };
    return cr_make_param_array(struct dual_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(struct dual_case *dc, ecdsa_tls, dual_identity, .timeout = 60)
{
    struct pair_cache cc, sc;
    pair_cache_init(&cc);
    pair_cache_init(&sc);
    struct pair_config c;
    dual(&c, dc->n ? dc->client : NULL, dc->n, dc->proto);
    c.cache[0] = &cc;
    c.cache[1] = &sc;
    for (int conn = 0; conn < 2; conn++) {
        struct pair p;
        c.seed = 400 + (uint64_t)conn;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        cr_assert_eq(pair_handshake(&p), PAIR_OK, "want %04x conn %d: %s / %s", dc->want, conn,
                     SSLXErrorName(p.s[0].last), SSLXErrorName(p.s[1].last));
        cr_expect_eq(suite_of(&p, PAIR_CLIENT), dc->want, "got %04x want %04x",
                     suite_of(&p, PAIR_CLIENT), dc->want);
        cr_expect_eq(peer_key_type(&p, PAIR_CLIENT), dc->key_type);
        cr_expect_eq(resumed_of(&p, PAIR_SERVER), conn == 1, "conn %d", conn);
        pair_free(&p);
        expect_no_leaks(&p);
    }
    pair_cache_clear(&cc);
    pair_cache_clear(&sc);
}

/* SSLXAddIdentityPEM refuses what cannot be a second identity, and the caller keeps the key. */
Test(ecdsa_tls, add_identity_refusals)
{
    size_t kl, cl, rl;
    char *eckey = pair_read_data("ec256-key.pem", &kl), *ecchain = pair_read_data("ec256-chain.pem", &cl);
    char *rsachain = pair_read_data("server-chain.pem", &rl), *rsakey_pem;
    size_t rkl;
    rsakey_pem = pair_read_data("server-key-pkcs8.pem", &rkl);
    cr_assert(eckey && ecchain && rsachain && rsakey_pem);
    SSLRSAPrivateKey *ec = NULL, *rsa = NULL, *rsa2 = NULL;
    cr_assert_eq(SSLXRSAPrivateKeyFromPEM(eckey, kl, &ec), SSLNoErr);
    cr_assert_eq(SSLXRSAPrivateKeyFromPEM(rsakey_pem, rkl, &rsa), SSLNoErr);
    cr_assert_eq(SSLXRSAPrivateKeyFromPEM(rsakey_pem, rkl, &rsa2), SSLNoErr);
    SSLContext *ctx;
    cr_assert_eq(SSLXNewContext(&ctx), SSLNoErr);
    cr_assert_eq(SSLSetProtocolSide(ctx, SSL_ServerSide), SSLNoErr);
    cr_expect_eq(SSLXAddIdentityPEM(ctx, ecchain, cl, ec), SSLBadParameterErr, "no primary yet");
    cr_expect_eq(SSLSetExportPrivateKey(ctx, ec), SSLBadParameterErr, "export keys are RSA");
    cr_assert_eq(SSLSetPrivateKey(ctx, rsa), SSLNoErr);
    cr_assert_eq(SSLXAddCertificatesPEM(ctx, rsachain, rl), SSLNoErr);
    cr_expect_eq(SSLXAddIdentityPEM(ctx, rsachain, rl, rsa2), SSLBadParameterErr, "same kind");
    cr_expect_eq(SSLXAddIdentityPEM(ctx, rsachain, rl, ec), SSLBadParameterErr, "RSA leaf, EC key");
    cr_expect_eq(ctx->chain2.n, 0u, "a refused chain is not kept");
    cr_expect_eq(SSLXAddIdentityPEM(ctx, ecchain, cl, ec), SSLNoErr);
    cr_expect_eq(ctx->chain2.n, 2u);
    cr_expect_eq(ctx->local_chain.n, 2u, "the first chain is untouched");
    cr_expect_eq(SSLXAddIdentityPEM(ctx, ecchain, cl, rsa2), SSLBadParameterErr, "a second call");
    SSLXRSAPrivateKeyFree(rsa2);
    SSLXFreeContext(ctx); /* frees rsa and ec */
    free(eckey), free(ecchain), free(rsachain), free(rsakey_pem);
}

/* ---- client authentication with an EC certificate ---- */

ParameterizedTestParameters(ecdsa_tls, client_auth)
{
    static int protos[] = {kTLSProtocol12, kTLSProtocol1};
    return cr_make_param_array(int, protos, 2);
}

ParameterizedTest(int *proto, ecdsa_tls, client_auth, .timeout = 60)
{
    struct pair_config c;
    config(&c, NULL, 0, *proto);
    c.client_key = "ec256-key.pem";
    c.client_chain = "ec256-chain.pem";
    c.request_client_cert = 1;
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(pair_handshake(&p), PAIR_OK, "%s / %s", SSLXErrorName(p.s[0].last),
                 SSLXErrorName(p.s[1].last));
    cr_expect_eq(peer_key_type(&p, PAIR_SERVER), X509_KEY_EC, "the server got the EC chain");
    cr_expect_eq(p.s[PAIR_SERVER].ctx->client_cert_sent, 1);
    pair_free(&p);
    expect_no_leaks(&p);
}

/* ---- the ChaCha20 rule ---- */

struct chacha_case {
    int mode; /* SSLXSetChaChaPreference */
    uint16_t client[3];
    uint16_t want; /* 0: by this CPU (mode -1) */
};

ParameterizedTestParameters(ecdsa_tls, chacha_rule)
{
    static struct chacha_case cases[] = {
        {1, {0xcca9, 0xc02b, 0xc02f}, 0xcca9}, /* the client lists ChaCha20 first */
        {1, {0xc02b, 0xcca9, 0xc02f}, 0xc02b}, /* it lists AES first */
        {1, {0x009c, 0xcca8, 0xc02f}, 0xc02f}, /* its first AEAD suite is AES-GCM (RSA kx) */
        {1, {0xcca8, 0xc02b, 0xc02f}, 0xcca8}, /* ChaCha20 with RSA: ahead of the ECDSA AES suite */
        {0, {0xcca9, 0xc02b, 0xc02f}, 0xc02b}, /* never: the server's order */
        {-1, {0xcca9, 0xc02b, 0xc02f}, 0},     /* by the CPU */
    };
    return cr_make_param_array(struct chacha_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(struct chacha_case *cc, ecdsa_tls, chacha_rule, .timeout = 60)
{
    struct pair_config c;
    dual(&c, cc->client, 3, kTLSProtocol12);
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(SSLXSetChaChaPreference(p.s[PAIR_SERVER].ctx, cc->mode), SSLNoErr);
    cr_assert_eq(pair_handshake(&p), PAIR_OK);
    uint16_t want = cc->want ? cc->want : cry_cpu_has_aes() ? 0xc02b : 0xcca9;
    cr_expect_eq(suite_of(&p, PAIR_CLIENT), want, "mode %d: got %04x want %04x", cc->mode,
                 suite_of(&p, PAIR_CLIENT), want);
    pair_free(&p);
    expect_no_leaks(&p);
}

Test(ecdsa_tls, chacha_preference_values)
{
    SSLContext *ctx;
    cr_assert_eq(SSLXNewContext(&ctx), SSLNoErr);
    cr_expect_eq(ctx->prefer_chacha, -1, "the default follows the CPU");
    cr_expect_eq(SSLXSetChaChaPreference(ctx, 2), SSLBadParameterErr);
    cr_expect_eq(SSLXSetChaChaPreference(ctx, -2), SSLBadParameterErr);
    cr_expect_eq(SSLXSetChaChaPreference(ctx, 1), SSLNoErr);
    SSLXFreeContext(ctx);
}

/* ---- the session cache keeps the group and the certificate type ---- */

/* GetSession's mangle: set the blob's cert_type byte to *ref. */
static void set_cert_type(uint8_t *d, uint32_t *len, void *ref)
{
    struct session_view v;
    if (session_decode(d, *len, &v) != SSLNoErr)
        return;
    size_t at = 3 + 2 + 2 + 1 + v.sid_len + 1 + v.master_len + 1 + v.key_arg_len + 4 + 3 + 2;
    d[at] = *(uint8_t *)ref;
}

Test(ecdsa_tls, session_keeps_group_and_cert_type, .timeout = 60)
{
    struct pair_cache cc, sc;
    pair_cache_init(&cc);
    pair_cache_init(&sc);
    static const uint16_t suite = TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, g = SSLX_GROUP_SECP384R1;
    static const uint16_t groups[2] = {SSLX_GROUP_SECP384R1, SSLX_GROUP_SECP256R1}; /* + the cert's */
    struct pair_config c;
    dual(&c, &suite, 1, kTLSProtocol12);
    c.cache[0] = &cc;
    c.cache[1] = &sc;
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    for (int side = 0; side < 2; side++)
        cr_assert_eq(SSLXSetGroups(p.s[side].ctx, groups, 2), SSLNoErr);
    cr_assert_eq(pair_handshake(&p), PAIR_OK);
    pair_free(&p);
    cr_assert_eq(sc.n, 1u);
    struct session_view v;
    cr_assert_eq(session_decode(sc.e[0].data, sc.e[0].len, &v), SSLNoErr);
    cr_expect_eq(v.group, g);
    cr_expect_eq(v.cert_type, 3, "an EC certificate");
    cr_assert_eq(session_decode(cc.e[0].data, cc.e[0].len, &v), SSLNoErr);
    cr_expect_eq(v.group, g, "the client's entry too");
    cr_expect_eq(v.cert_type, 3);
    /* resumed: both sides report the session's group */
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    for (int side = 0; side < 2; side++)
        cr_assert_eq(SSLXSetGroups(p.s[side].ctx, groups, 2), SSLNoErr);
    cr_assert_eq(pair_handshake(&p), PAIR_OK);
    for (int side = 0; side < 2; side++) {
        cr_expect_eq(resumed_of(&p, side), 1);
        cr_expect_eq(group_of(&p, side), g, "side %d", side);
    }
    pair_free(&p);
    /* a blob whose certificate type is not the suite's does not decode: a full handshake */
    uint8_t rsa = 1;
    sc.mangle = set_cert_type;
    sc.mangle_ref = &rsa;
    c.seed = 7; /* new randoms: a new session ID (the same seed would repeat the first one's) */
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(pair_handshake(&p), PAIR_OK, "%s / %s", SSLXErrorName(p.s[0].last),
                 SSLXErrorName(p.s[1].last));
    cr_expect_eq(resumed_of(&p, PAIR_SERVER), 0);
    pair_free(&p);
    expect_no_leaks(&p);
    pair_cache_clear(&cc);
    pair_cache_clear(&sc);
}

/* ---- a tampered ECDSA signature ---- */

/* Flip a bit in the last byte of the ServerKeyExchange (inside the DER signature's s). */
static void flip_sig(struct pair *p, uint8_t *body, size_t *len, size_t cap, void *ref)
{
    (void)p, (void)cap, (void)ref;
    body[*len - 1] ^= 0x01;
}

ParameterizedTestParameters(ecdsa_tls, tampered_signature)
{
    static int protos[] = {kTLSProtocol12, kTLSProtocol1};
    return cr_make_param_array(int, protos, 2);
}

ParameterizedTest(int *proto, ecdsa_tls, tampered_signature, .timeout = 60)
{
    static const uint16_t suite = TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA;
    struct pair_config c;
    config(&c, &suite, 1, *proto);
    c.server_key = "ec256-key.pem";
    c.server_chain = "ec256-chain.pem";
    struct pair p;
    struct pkx_mitm m;
    pkx_mitm_edit(&m, &p, &c, PAIR_SERVER, 12, flip_sig, NULL);
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_expect_eq(pair_handshake(&p), PAIR_FAILED);
    cr_expect_eq(m.edited, 1);
    cr_expect_eq(p.s[PAIR_CLIENT].last, SSLProtocolErr, "%s", SSLXErrorName(p.s[PAIR_CLIENT].last));
    uint16 sent = 0, recv = 0;
    cr_expect_eq(SSLXGetLastAlerts(p.s[PAIR_CLIENT].ctx, &sent, &recv), SSLNoErr);
    cr_expect_eq(sent, PKX_FATAL(51), "decrypt_error, got %04x", sent);
    pair_free(&p);
    expect_no_leaks(&p);
}
