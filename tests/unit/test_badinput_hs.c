/*
 * test_badinput_hs.c - hostile handshake contents (mitm.h): hello values a peer must refuse, a changed
 * transcript or random, resumption with another suite, bad server certificate chains and non-RSA
 * keys, a bad CertificateVerify, tampered key exchange (RSA premaster, DHE ServerKeyExchange, DH
 * values), and misconfigured servers. Each must give the right error and alert and leak nothing.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>
#include "mitm.h"

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
    /* a DHE-only server without DH parameters and without the built-in groups */
    static const uint16_t dhe = TLS_DHE_RSA_WITH_AES_128_CBC_SHA;
    pair_config_init(&c);
    pair_config_suite(&c, &dhe);
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(SSLXSetGroups(p.s[PAIR_SERVER].ctx, NULL, 0), SSLNoErr);
    cr_expect_eq(pair_handshake(&p), PAIR_FAILED);
    expect_failure(&p, PAIR_SERVER, SSLNegotiationErr, FATAL(HS_FAILURE), "DHE without parameters");
    finish(&p);
}
