/*
 * test_kx_bad.c - hostile key exchanges and client authentication (issue 4, "bad input"): DH
 * values out of range from either side (0, 1, p-1, p, above p, empty; for DHE-RSA re-signed with the
 * server's real key, so only the range check can refuse them), a generator out of range, a
 * ServerKeyExchange whose signature or parameters were changed, an export key over 512 bits, a
 * CertificateVerify that does not verify, client chains that do not chain or that the server's
 * callback refuses, and FREAK (an RSA ServerKeyExchange for a suite that has none). Each case
 * asserts the error both sides return, the alert sent and received, and that nothing leaked.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "state/ctx.h"
#include "pair.h"
#include "pair_kx.h"
#include "crypto/pkcs1.h"

static const char *const client_chain[] = {"client-cert.pem", "ca-cert.pem"};

static void expect_no_leaks(const struct pair *p)
{
    for (int side = 0; side < 2; side++) {
        cr_expect_eq(p->s[side].alloc.live_blocks, 0, "side %d leaks %ld blocks", side,
                     p->s[side].alloc.live_blocks);
        cr_expect_eq(p->s[side].alloc.bad_frees, 0);
    }
}

static void alerts(struct pair *p, int side, uint16_t *sent, uint16_t *recv)
{
    uint16 s = 0, r = 0;
    cr_expect_eq(SSLXGetLastAlerts(p->s[side].ctx, &s, &r), SSLNoErr);
    *sent = s;
    *recv = r;
}

/* @victim detected the fault: it returned @err and sent fatal @alert; the other side returned
 * SSLFatalAlert having received that alert. Both errors are sticky. */
static void expect_failure(struct pair *p, int r, int victim, SSLErr err, uint8_t alert,
                           const char *what)
{
    uint16_t s, rv;
    cr_expect_eq(r, PAIR_FAILED, "%s: handshake result %d", what, r);
    cr_expect_eq(p->s[victim].last, err, "%s: side %d returned %s, want %s", what, victim,
                 SSLXErrorName(p->s[victim].last), SSLXErrorName(err));
    alerts(p, victim, &s, &rv);
    cr_expect_eq(s, PKX_FATAL(alert), "%s: side %d sent alert %04x, want %04x", what, victim, s,
                 PKX_FATAL(alert));
    int other = PAIR_PEER(victim);
    cr_expect_eq(p->s[other].last, SSLFatalAlert, "%s: side %d returned %s", what, other,
                 SSLXErrorName(p->s[other].last));
    alerts(p, other, &s, &rv);
    cr_expect_eq(rv, PKX_FATAL(alert), "%s: side %d received alert %04x", what, other, rv);
    for (int side = 0; side < 2; side++) {
        uint8_t b[4];
        uint32 len = sizeof b;
        cr_expect_eq(SSLRead(b, &len, p->s[side].ctx), p->s[side].last, "%s: side %d sticky", what,
                     side);
        cr_expect_eq(SSLHandshake(p->s[side].ctx), p->s[side].last, "%s: side %d sticky", what, side);
    }
}

/* ---- ServerKeyExchange surgery ---- */

struct ske_view {
    size_t off[3], len[3]; /* the u16-prefixed numbers: RSA n, e or DH p, g, Ys (data offsets) */
    int n;
    size_t params_len;     /* bytes of the signed parameters */
};

static void ske_parse(const uint8_t *b, size_t len, int nfields, struct ske_view *v)
{
    size_t o = 0;
    v->n = nfields;
    for (int i = 0; i < nfields; i++) {
        cr_assert_leq(o + 2, len);
        v->len[i] = (size_t)b[o] << 8 | b[o + 1];
        v->off[i] = o + 2;
        o += 2 + v->len[i];
        cr_assert_leq(o, len);
    }
    v->params_len = o;
}

/* Sign params with the server's own key as §5.6.3 says: MD5 and SHA-1 of the randoms + params. */
static size_t server_sign(struct pair *p, const SSLRSAPrivateKey *key, const uint8_t *params,
                          size_t n, uint8_t *out)
{
    const SSLContext *s = p->s[PAIR_SERVER].ctx;
    uint8_t hash[36];
    int alg[2] = {CRY_MD5, CRY_SHA1};
    for (int i = 0; i < 2; i++) {
        struct cry_hash h;
        cry_hash_init(&h, alg[i]);
        cry_hash_update(&h, s->client_random, 32);
        cry_hash_update(&h, s->server_random, 32);
        cry_hash_update(&h, params, n);
        cry_hash_final(&h, hash + 16 * i);
    }
    uint32_t siglen = 0;
    cr_assert_eq(pkcs1_sign(key, hash, sizeof hash, out, 1024, &siglen), SSLNoErr);
    return siglen;
}

enum dh_value { V_ZERO, V_ONE, V_PM1, V_P, V_ABOVE, V_EMPTY, V_LONG, NVALUES };
static const char *const value_names[] = {"0", "1", "p-1", "p", "above p", "empty", "longer than p"};

/* The value @v for modulus p (plen bytes) into out; returns its length. */
static size_t dh_value(int v, const uint8_t *p, size_t plen, uint8_t *out)
{
    switch (v) {
    case V_ZERO:
        memset(out, 0, plen);
        return plen;
    case V_ONE:
        memset(out, 0, plen);
        out[plen - 1] = 1;
        return plen;
    case V_PM1:
        memcpy(out, p, plen);
        out[plen - 1]--; /* p is odd: no borrow */
        return plen;
    case V_P:
        memcpy(out, p, plen);
        return plen;
    case V_ABOVE:
        memset(out, 0xff, plen);
        return plen;
    case V_LONG: /* p + 2^(8 plen): one byte more than p */
        out[0] = 1;
        memcpy(out + 1, p, plen);
        return plen + 1;
    default:
        return 0;
    }
}

enum field { F_G = 1, F_YS = 2, F_YC = 3 };

struct dh_edit {
    struct pkx_mitm *m;
    int field;
    int value;
    int signed_kx; /* DHE-RSA: re-sign the changed parameters */
};

static void put16(uint8_t *b, size_t v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}

static void edit_dh(struct pair *p, uint8_t *body, size_t *len, size_t cap, void *ref)
{
    struct dh_edit *e = ref;
    uint8_t out[3000], val[600];
    size_t o = 0;
    if (e->field == F_YC) { /* ClientKeyExchange: u16 + Yc; p from the ServerKeyExchange seen */
        struct ske_view v;
        ske_parse(e->m->ske, e->m->ske_len, 3, &v);
        size_t n = dh_value(e->value, e->m->ske + v.off[0], v.len[0], val);
        put16(out, n);
        memcpy(out + 2, val, n);
        o = 2 + n;
    } else {
        struct ske_view v;
        ske_parse(body, *len, 3, &v);
        for (int i = 0; i < 3; i++) {
            const uint8_t *src = body + v.off[i];
            size_t n = v.len[i];
            if (i == e->field) {
                n = dh_value(e->value, body + v.off[0], v.len[0], val);
                src = val;
            }
            put16(out + o, n);
            memcpy(out + o + 2, src, n);
            o += 2 + n;
        }
        if (e->signed_kx) {
            uint8_t sig[1024];
            size_t sl = server_sign(p, p->s[PAIR_SERVER].ctx->key, out, o, sig);
            put16(out + o, sl);
            memcpy(out + o + 2, sig, sl);
            o += 2 + sl;
        }
    }
    cr_assert_leq(o, cap);
    memcpy(body, out, o);
    *len = o;
}

struct dh_param {
    uint16_t suite;
    uint8_t field;
    uint8_t value;
};

ParameterizedTestParameters(kx_bad, dh_value_out_of_range)
{
    static struct dh_param ps[2 * 3 * NVALUES];
    static const uint16_t suites[2] = {TLS_DHE_RSA_WITH_AES_128_CBC_SHA, SSL_DH_anon_WITH_RC4_128_MD5};
    int n = 0;
    for (int s = 0; s < 2; s++)
        for (int f = F_G; f <= F_YC; f++)
            for (int v = 0; v < NVALUES; v++)
                ps[n++] = (struct dh_param){suites[s], (uint8_t)f, (uint8_t)v};
    return cr_make_param_array(struct dh_param, ps, (size_t)n);
}

/* RFC 6101 §5.6.3/§5.6.7 values: the receiver refuses 0, 1, p-1 and anything >= p (and an empty or
 * over-long value) with illegal_parameter; the generator likewise. */
ParameterizedTest(struct dh_param *dp, kx_bad, dh_value_out_of_range, .timeout = 30)
{
    struct pair_config c;
    pair_config_init(&c);
    pair_config_suite(&c, &dp->suite);
    c.dh_params = "dh1024.pem";
    struct pair p;
    struct pkx_mitm m;
    struct dh_edit e = {&m, dp->field, dp->value, dp->suite == TLS_DHE_RSA_WITH_AES_128_CBC_SHA};
    int yc = dp->field == F_YC; /* the ClientKeyExchange, else the ServerKeyExchange */
    pkx_mitm_edit(&m, &p, &c, yc ? PAIR_CLIENT : PAIR_SERVER, yc ? 16 : 12, edit_dh, &e);
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    int r = pair_handshake(&p);
    char what[96];
    snprintf(what, sizeof what, "%04x %s = %s", dp->suite,
             dp->field == F_G ? "g" : dp->field == F_YS ? "Ys" : "Yc", value_names[dp->value]);
    cr_expect_eq(m.edited, 1, "%s: the message was changed", what);
    expect_failure(&p, r, dp->field == F_YC ? PAIR_SERVER : PAIR_CLIENT, SSLProtocolErr,
                   PKX_ILLEGAL, what);
    pair_free(&p);
    expect_no_leaks(&p);
}

/* The edit machinery itself: re-signing unchanged parameters (value = the real one) works, so the
 * failures above come from the values, not from the surgery. */
static void edit_resign_only(struct pair *p, uint8_t *body, size_t *len, size_t cap, void *ref)
{
    int nfields = *(int *)ref;
    struct ske_view v;
    ske_parse(body, *len, nfields, &v);
    uint8_t sig[1024];
    const SSLContext *s = p->s[PAIR_SERVER].ctx;
    size_t sl = server_sign(p, s->key, body, v.params_len, sig);
    cr_assert_leq(v.params_len + 2 + sl, cap);
    put16(body + v.params_len, sl);
    memcpy(body + v.params_len + 2, sig, sl);
    *len = v.params_len + 2 + sl;
}

Test(kx_bad, resigned_server_key_exchange_is_accepted)
{
    static const uint16_t suites[] = {TLS_DHE_RSA_WITH_AES_256_CBC_SHA, SSL_RSA_EXPORT_WITH_RC4_40_MD5};
    for (int i = 0; i < 2; i++) {
        struct pair_config c;
        pair_config_init(&c);
        pair_config_suite(&c, &suites[i]);
        c.dh_params = "dh1024.pem";
        c.export_key = "export512-key.pem";
        struct pair p;
        struct pkx_mitm m;
        int nfields = i == 0 ? 3 : 2;
        pkx_mitm_edit(&m, &p, &c, PAIR_SERVER, 12, edit_resign_only, &nfields);
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        cr_expect_eq(pair_handshake(&p), PAIR_OK, "%04x: %s / %s", suites[i],
                     SSLXErrorName(p.s[0].last), SSLXErrorName(p.s[1].last));
        cr_expect_eq(m.edited, 1);
        pair_free(&p);
        expect_no_leaks(&p);
    }
}

/* ---- a ServerKeyExchange that does not verify ---- */

enum ske_fault { S_SIG_LAST, S_SIG_FIRST, S_SIG_SHORT, S_PARAM, S_WRONG_KEY, S_NO_SIG, NSKE };

struct ske_edit {
    int fault;
    int nfields;
};

static void edit_ske(struct pair *p, uint8_t *body, size_t *len, size_t cap, void *ref)
{
    struct ske_edit *e = ref;
    struct ske_view v;
    ske_parse(body, *len, e->nfields, &v);
    size_t sig = v.params_len + 2, siglen = *len - sig;
    cr_assert_gt(siglen, 8);
    switch (e->fault) {
    case S_SIG_LAST:
        body[*len - 1] ^= 0x01;
        break;
    case S_SIG_FIRST:
        body[sig] ^= 0x80;
        break;
    case S_SIG_SHORT: /* one byte less, lengths consistent */
        put16(body + v.params_len, siglen - 1);
        *len -= 1;
        break;
    case S_PARAM: /* the last byte of the first parameter (p, or the RSA modulus) */
        body[v.off[0] + v.len[0] - 1] ^= 0x02;
        break;
    case S_WRONG_KEY: { /* a correct signature, by the export key instead of the certificate's */
        uint8_t s[1024];
        size_t sl = server_sign(p, p->s[PAIR_SERVER].ctx->export_key, body, v.params_len, s);
        cr_assert_leq(v.params_len + 2 + sl, cap);
        put16(body + v.params_len, sl);
        memcpy(body + v.params_len + 2, s, sl);
        *len = v.params_len + 2 + sl;
        break;
    }
    case S_NO_SIG:
        put16(body + v.params_len, 0);
        *len = v.params_len + 2;
        break;
    }
}

struct ske_param {
    uint16_t suite;
    uint8_t fault;
};

ParameterizedTestParameters(kx_bad, server_key_exchange_bad_signature)
{
    static const uint16_t suites[] = {SSL_RSA_EXPORT_WITH_RC4_40_MD5, SSL_RSA_EXPORT_WITH_DES40_CBC_SHA,
                                      SSL_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA,
                                      TLS_DHE_RSA_WITH_AES_128_CBC_SHA, SSL_DHE_RSA_WITH_3DES_EDE_CBC_SHA,
                                      TLS_DHE_DSS_WITH_AES_128_CBC_SHA, SSL_DHE_DSS_WITH_DES_CBC_SHA};
    static struct ske_param ps[7 * NSKE];
    int n = 0;
    for (int s = 0; s < 7; s++)
        for (int f = 0; f < NSKE; f++)
            ps[n++] = (struct ske_param){suites[s], (uint8_t)f};
    return cr_make_param_array(struct ske_param, ps, (size_t)n);
}

/* §5.6.3: the client checks the signature with the certificate's key: handshake_failure (40). */
ParameterizedTest(struct ske_param *sp, kx_bad, server_key_exchange_bad_signature, .timeout = 30)
{
    struct pair_config c;
    pair_config_init(&c);
    pair_config_suite(&c, &sp->suite);
    c.dh_params = "dh1024.pem";
    c.export_key = "export512-key.pem";
    if (sp->suite == SSL_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA)
        c.dh_params = "dh512.pem"; /* export DH suites are limited to 512-bit groups */
    if (sp->suite == TLS_DHE_DSS_WITH_AES_128_CBC_SHA || sp->suite == SSL_DHE_DSS_WITH_DES_CBC_SHA) {
        c.server_key = "dsa1024-key.pem"; /* a DSA signature; S_WRONG_KEY: an RSA one */
        c.server_chain = "dsa1024-chain.pem";
    }
    struct pair p;
    struct pkx_mitm m;
    int export = sp->suite == SSL_RSA_EXPORT_WITH_RC4_40_MD5 || sp->suite == SSL_RSA_EXPORT_WITH_DES40_CBC_SHA;
    struct ske_edit e = {sp->fault, export ? 2 : 3};
    pkx_mitm_edit(&m, &p, &c, PAIR_SERVER, 12, edit_ske, &e);
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    int r = pair_handshake(&p);
    char what[64];
    snprintf(what, sizeof what, "%04x fault %d", sp->suite, sp->fault);
    cr_expect_eq(m.edited, 1, "%s: edited", what);
    expect_failure(&p, r, PAIR_CLIENT, SSLProtocolErr, PKX_HS_FAILURE, what);
    pair_free(&p);
    expect_no_leaks(&p);
}

/* An export ServerKeyExchange whose (properly signed) temporary key is longer than 512 bits. */
static void edit_long_export_key(struct pair *p, uint8_t *body, size_t *len, size_t cap, void *ref)
{
    (void)ref;
    struct ske_view v;
    ske_parse(body, *len, 2, &v);
    uint8_t out[1200];
    size_t o = 0;
    put16(out, 65);
    out[2] = 0x01; /* a 513-bit modulus: the old one with a byte in front */
    cr_assert_eq(v.len[0], 64);
    memcpy(out + 3, body + v.off[0], 64);
    o = 2 + 65;
    put16(out + o, v.len[1]);
    memcpy(out + o + 2, body + v.off[1], v.len[1]);
    o += 2 + v.len[1];
    uint8_t sig[1024];
    size_t sl = server_sign(p, p->s[PAIR_SERVER].ctx->key, out, o, sig);
    put16(out + o, sl);
    memcpy(out + o + 2, sig, sl);
    o += 2 + sl;
    cr_assert_leq(o, cap);
    memcpy(body, out, o);
    *len = o;
}

/* The server's ServerKeyExchange for @suite, changed in flight by @edit: the client refuses it
 * with illegal_parameter. */
static void ske_edit_refused(uint16_t suite, const char *export_key, const char *dh,
                             pkx_edit_fn edit, const char *what)
{
    struct pair_config c;
    pair_config_init(&c);
    pair_config_suite(&c, &suite);
    c.export_key = export_key;
    c.dh_params = dh;
    struct pair p;
    struct pkx_mitm m;
    pkx_mitm_edit(&m, &p, &c, PAIR_SERVER, 12, edit, NULL);
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    int r = pair_handshake(&p);
    cr_expect_eq(m.edited, 1);
    expect_failure(&p, r, PAIR_CLIENT, SSLProtocolErr, PKX_ILLEGAL, what);
    pair_free(&p);
    expect_no_leaks(&p);
}

Test(kx_bad, export_key_over_512_bits)
{
    ske_edit_refused(SSL_RSA_EXPORT_WITH_RC2_CBC_40_MD5, "export512-key.pem", NULL,
                     edit_long_export_key, "513-bit export key");
}

/* ---- client authentication faults ---- */

struct auth_setup {
    uint16_t suite;
    const char *client_key;
    const char *const *chain;
    int nchain;
};

static int run_auth(struct pair *p, struct pkx_mitm *m, const struct auth_setup *a,
                    struct pkx_seen *seen)
{
    struct pair_config c;
    pair_config_init(&c);
    pair_config_suite(&c, &a->suite);
    c.dh_params = "dh1024.pem";
    c.export_key = "export512-key.pem";
    c.request_client_cert = 1;
    c.client_key = a->client_key;
    c.hook = pkx_hook;
    c.hook_ref = m;
    cr_assert_eq(pair_init(p, &c), SSLNoErr);
    cr_assert_eq(pkx_add_chain(p->s[PAIR_CLIENT].ctx, a->chain, a->nchain), SSLNoErr);
    cr_assert_eq(SSLSetCheckCertificateFunc(p->s[PAIR_SERVER].ctx, pkx_check_cert), SSLNoErr);
    cr_assert_eq(SSLSetCheckCertificateRef(p->s[PAIR_SERVER].ctx, seen), SSLNoErr);
    return pair_handshake(p);
}

static void edit_flip_last(struct pair *p, uint8_t *body, size_t *len, size_t cap, void *ref)
{
    (void)p, (void)cap, (void)ref;
    body[*len - 1] ^= 0x01;
}

/* §5.6.8: a CertificateVerify that does not verify under the client's certificate. */
Test(kx_bad, certificate_verify_fails)
{
    static const uint16_t suites[] = {TLS_RSA_WITH_AES_128_CBC_SHA, TLS_DHE_RSA_WITH_AES_128_CBC_SHA,
                                      SSL_RSA_EXPORT_WITH_RC4_40_MD5};
    for (int i = 0; i < 3; i++) {
        /* (a) the signature changed in flight */
        struct auth_setup a = {suites[i], "client-key.pem", client_chain, 2};
        struct pair p;
        struct pkx_mitm m;
        struct pkx_seen seen = {0};
        pkx_mitm_edit(&m, &p, NULL, PAIR_CLIENT, 15, edit_flip_last, NULL);
        int r = run_auth(&p, &m, &a, &seen);
        cr_expect_eq(m.edited, 1);
        cr_expect_eq(seen.calls, 1, "the chain itself was fine");
        expect_failure(&p, r, PAIR_SERVER, SSLProtocolErr, PKX_HS_FAILURE, "CertificateVerify changed");
        pair_free(&p);
        expect_no_leaks(&p);
        /* (b) the client signs with a key that is not its certificate's */
        struct auth_setup b = {suites[i], "server-key-pkcs8.pem", client_chain, 2};
        pkx_mitm_init(&m, &p);
        memset(&seen, 0, sizeof seen);
        r = run_auth(&p, &m, &b, &seen);
        expect_failure(&p, r, PAIR_SERVER, SSLProtocolErr, PKX_HS_FAILURE, "wrong client key");
        pair_free(&p);
        expect_no_leaks(&p);
    }
}

/* Replace the client's Certificate message with the first certificates of the named files: the
 * API refuses to configure a chain that does not chain, so a broken one can only come in flight. */
struct chain_edit {
    const char *const *files;
    int n;
};

static void edit_replace_chain(struct pair *p, uint8_t *body, size_t *len, size_t cap, void *ref)
{
    (void)p;
    const struct chain_edit *ce = ref;
    size_t o = 3;
    for (int i = 0; i < ce->n; i++) {
        uint32_t dl = 0;
        uint8_t *der = pkx_cert_der(ce->files[i], 0, &dl);
        cr_assert(der);
        cr_assert_leq(o + 3 + dl, cap);
        body[o] = 0, body[o + 1] = (uint8_t)(dl >> 8), body[o + 2] = (uint8_t)dl;
        memcpy(body + o + 3, der, dl);
        free(der);
        o += 3 + dl;
    }
    body[0] = (uint8_t)((o - 3) >> 16), body[1] = (uint8_t)((o - 3) >> 8), body[2] = (uint8_t)(o - 3);
    *len = o;
}

/* A client chain whose certificates are not issued one by the next: bad_certificate (42), and the
 * server's callback is never asked. */
Test(kx_bad, client_chain_does_not_chain)
{
    static const char *const wrong_issuer[] = {"client-cert.pem", "server-selfsigned.pem"};
    static const char *const swapped[] = {"ca-cert.pem", "client-cert.pem"};
    static const char *const other_leaf[] = {"client-cert.pem", "server-cert.pem"};
    static const char *const three[] = {"client-cert.pem", "ca-cert.pem", "server-cert.pem"};
    static const struct {
        struct chain_edit chain;
        const char *what;
    } cases[] = {
        {{wrong_issuer, 2}, "issuer is another certificate"},
        {{swapped, 2}, "CA first"},
        {{other_leaf, 2}, "leaf then another leaf"},
        {{three, 3}, "a third certificate not issuing the CA"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct auth_setup a = {TLS_RSA_WITH_AES_128_CBC_SHA, "client-key.pem", client_chain, 2};
        struct pair p;
        struct pkx_mitm m;
        struct pkx_seen seen = {0};
        pkx_mitm_edit(&m, &p, NULL, PAIR_CLIENT, 11, edit_replace_chain, (void *)&cases[i].chain);
        int r = run_auth(&p, &m, &a, &seen);
        cr_expect_eq(m.edited, 1);
        expect_failure(&p, r, PAIR_SERVER, X509NamesNotEqualErr, PKX_BAD_CERT, cases[i].what);
        cr_expect_eq(seen.calls, 0, "%s: the callback was not asked", cases[i].what);
        pair_free(&p);
        expect_no_leaks(&p);
    }
}

/* The names chain but the CA's signature on the client certificate does not verify (its last
 * byte, inside the signature, changed in flight): bad_certificate, X509CertChainInvalidErr. */
static void edit_leaf_signature(struct pair *p, uint8_t *body, size_t *len, size_t cap, void *ref)
{
    (void)p, (void)cap, (void)ref;
    cr_assert_gt(*len, 10);
    size_t leaf_len = (size_t)body[3] << 16 | (size_t)body[4] << 8 | body[5];
    cr_assert_leq(6 + leaf_len, *len);
    body[6 + leaf_len - 1] ^= 0x01;
}

Test(kx_bad, client_certificate_signature_broken)
{
    struct auth_setup a = {TLS_DHE_RSA_WITH_AES_256_CBC_SHA, "client-key.pem", client_chain, 2};
    struct pair p;
    struct pkx_mitm m;
    struct pkx_seen seen = {0};
    pkx_mitm_edit(&m, &p, NULL, PAIR_CLIENT, 11, edit_leaf_signature, NULL);
    int r = run_auth(&p, &m, &a, &seen);
    cr_expect_eq(m.edited, 1);
    expect_failure(&p, r, PAIR_SERVER, X509CertChainInvalidErr, PKX_BAD_CERT, "leaf signature");
    cr_expect_eq(seen.calls, 0);
    pair_free(&p);
    expect_no_leaks(&p);
}

/* The server's SSLCheckCertificateFunc refuses the client: bad_certificate, its error returned. */
Test(kx_bad, client_chain_refused_by_callback)
{
    struct auth_setup a = {SSL_DHE_RSA_WITH_3DES_EDE_CBC_SHA, "client-key.pem", client_chain, 2};
    struct pair p;
    struct pkx_mitm m;
    struct pkx_seen seen = {.ret = X509CertChainIncompleteErr};
    pkx_mitm_init(&m, &p);
    int r = run_auth(&p, &m, &a, &seen);
    cr_expect_eq(seen.calls, 1);
    cr_expect_eq(seen.count, 2);
    expect_failure(&p, r, PAIR_SERVER, X509CertChainIncompleteErr, PKX_BAD_CERT, "callback refuses");
    pair_free(&p);
    expect_no_leaks(&p);
}

/* ---- FREAK: an RSA ServerKeyExchange where the suite has none ---- */

static size_t freak_record(uint8_t *out)
{
    uint8_t body[2 + 64 + 2 + 3 + 2 + 256];
    size_t o = 0;
    put16(body, 64);
    memset(body + 2, 0xc3, 64); /* a 512-bit "export" modulus */
    o = 66;
    put16(body + o, 3);
    body[o + 2] = 1, body[o + 3] = 0, body[o + 4] = 1;
    o += 5;
    put16(body + o, 256);
    memset(body + o + 2, 0x5a, 256);
    o += 258;
    size_t n = 4 + o;
    out[0] = 22, out[1] = 3, out[2] = 0;
    put16(out + 3, n);
    out[5] = 12;
    out[6] = 0;
    put16(out + 7, o);
    memcpy(out + 9, body, o);
    return 5 + n;
}

ParameterizedTestParameters(kx_bad, freak)
{
    static const uint16_t suites[] = {SSL_RSA_WITH_RC4_128_MD5, SSL_RSA_WITH_3DES_EDE_CBC_SHA,
                                      TLS_RSA_WITH_AES_128_CBC_SHA, SSL_RSA_EXPORT_WITH_RC4_40_MD5};
    return cr_make_param_array(uint16_t, (void *)suites, 4);
}

/* The client must not accept a ServerKeyExchange the suite does not have (the last case: an export
 * suite from a server whose own key is 512 bits, where §5.6.3 has no ServerKeyExchange either). */
ParameterizedTest(uint16_t *suite, kx_bad, freak, .timeout = 30)
{
    struct pair_config c;
    pair_config_init(&c);
    pair_config_suite(&c, suite);
    if (*suite == SSL_RSA_EXPORT_WITH_RC4_40_MD5) {
        c.server_key = "export512-key.pem";
        c.server_chain = "export512-cert.pem";
    }
    uint8_t rec[400];
    struct pair p;
    struct pkx_mitm m;
    pkx_mitm_inject(&m, &p, &c, PAIR_SERVER, 11, rec, freak_record(rec));
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    int r = pair_handshake(&p);
    cr_expect_eq(m.injected, 1);
    char what[32];
    snprintf(what, sizeof what, "FREAK %04x", *suite);
    expect_failure(&p, r, PAIR_CLIENT, SSLProtocolErr, PKX_UNEXPECTED, what);
    pair_free(&p);
    expect_no_leaks(&p);
}

/* ---- messages out of place ---- */

/* §5.6.4: an anonymous server may not ask for a certificate; a CertificateRequest after the anonymous
 * ServerKeyExchange is unexpected. */
Test(kx_bad, certificate_request_from_anonymous_server)
{
    static const uint16_t suite = SSL_DH_anon_WITH_3DES_EDE_CBC_SHA;
    uint8_t rec[5 + 4 + 4] = {22, 3, 0, 0, 8, 13, 0, 0, 4, 1, 1, 0, 0};
    struct pair_config c;
    pair_config_init(&c);
    pair_config_suite(&c, &suite);
    c.dh_params = "dh1024.pem";
    struct pair p;
    struct pkx_mitm m;
    pkx_mitm_inject(&m, &p, &c, PAIR_SERVER, 12, rec, sizeof rec);
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    int r = pair_handshake(&p);
    cr_expect_eq(m.injected, 1);
    expect_failure(&p, r, PAIR_CLIENT, SSLProtocolErr, PKX_UNEXPECTED, "CertificateRequest, anonymous");
    pair_free(&p);
    expect_no_leaks(&p);
}

/* A client Certificate the server did not ask for (sent right after ClientHello). */
Test(kx_bad, unsolicited_client_certificate)
{
    static const uint16_t suite = TLS_RSA_WITH_AES_128_CBC_SHA;
    uint32_t len = 0;
    uint8_t *der = pkx_cert_der("client-cert.pem", 0, &len);
    cr_assert(der);
    size_t n = 4 + 3 + 3 + len;
    uint8_t *rec = malloc(5 + n);
    cr_assert(rec);
    rec[0] = 22, rec[1] = 3, rec[2] = 0;
    put16(rec + 3, n);
    rec[5] = 11;
    rec[6] = 0, put16(rec + 7, 6 + len);
    rec[9] = 0, put16(rec + 10, 3 + len);
    rec[12] = 0, put16(rec + 13, len);
    memcpy(rec + 15, der, len);
    free(der);
    struct pair_config c;
    pair_config_init(&c);
    pair_config_suite(&c, &suite);
    struct pair p;
    struct pkx_mitm m;
    pkx_mitm_inject(&m, &p, &c, PAIR_CLIENT, 1, rec, 5 + n);
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    int r = pair_handshake(&p);
    cr_expect_eq(m.injected, 1);
    expect_failure(&p, r, PAIR_SERVER, SSLProtocolErr, PKX_UNEXPECTED, "unsolicited Certificate");
    pair_free(&p);
    expect_no_leaks(&p);
    free(rec);
}

/* A client that sent a certificate must prove it: without CertificateVerify the server fails. */
Test(kx_bad, certificate_verify_missing)
{
    static const uint16_t suites[] = {TLS_RSA_WITH_AES_256_CBC_SHA, SSL_DHE_RSA_WITH_DES_CBC_SHA};
    for (int i = 0; i < 2; i++) {
        struct auth_setup a = {suites[i], "client-key.pem", client_chain, 2};
        struct pair p;
        struct pkx_mitm m;
        struct pkx_seen seen = {0};
        pkx_mitm_init(&m, &p);
        m.from = PAIR_CLIENT;
        m.type = 15;
        m.drop = 1;
        int r = run_auth(&p, &m, &a, &seen);
        cr_expect_eq(m.dropped, 1);
        expect_failure(&p, r, PAIR_SERVER, SSLProtocolErr, PKX_UNEXPECTED, "no CertificateVerify");
        pair_free(&p);
        expect_no_leaks(&p);
    }
}

/* A CertificateVerify from a client that sent no certificate (no_certificate, then a CV). */
Test(kx_bad, certificate_verify_without_certificate)
{
    static const uint16_t suite = TLS_DHE_RSA_WITH_AES_128_CBC_SHA;
    uint8_t rec[5 + 4 + 2 + 256];
    rec[0] = 22, rec[1] = 3, rec[2] = 0;
    put16(rec + 3, 4 + 2 + 256);
    rec[5] = 15, rec[6] = 0;
    put16(rec + 7, 2 + 256);
    put16(rec + 9, 256);
    memset(rec + 11, 0x33, 256);
    struct pair_config c;
    pair_config_init(&c);
    pair_config_suite(&c, &suite);
    c.dh_params = "dh1024.pem";
    c.request_client_cert = 1;
    struct pair p;
    struct pkx_mitm m;
    pkx_mitm_inject(&m, &p, &c, PAIR_CLIENT, 16, rec, sizeof rec);
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    int r = pair_handshake(&p);
    cr_expect_eq(m.injected, 1);
    expect_failure(&p, r, PAIR_SERVER, SSLProtocolErr, PKX_UNEXPECTED, "CertificateVerify, no cert");
    pair_free(&p);
    expect_no_leaks(&p);
}

/* A client certificate whose key is not RSA (a DSA leaf): unsupported_certificate (43). */
Test(kx_bad, client_certificate_not_rsa)
{
    static const char *const dsa[] = {"dsa-cert.pem"};
    struct chain_edit ce = {dsa, 1};
    struct auth_setup a = {TLS_RSA_WITH_AES_128_CBC_SHA, "client-key.pem", client_chain, 2};
    struct pair p;
    struct pkx_mitm m;
    struct pkx_seen seen = {0};
    pkx_mitm_edit(&m, &p, NULL, PAIR_CLIENT, 11, edit_replace_chain, &ce);
    int r = run_auth(&p, &m, &a, &seen);
    cr_expect_eq(m.edited, 1);
    expect_failure(&p, r, PAIR_SERVER, SSLBadCertificateErr, 43, "DSA client certificate");
    cr_expect_eq(seen.calls, 0);
    pair_free(&p);
    expect_no_leaks(&p);
}

/* An empty client Certificate counts as no certificate (§5.6.6): the CertificateVerify the client
 * still sends is then out of place. */
Test(kx_bad, empty_client_certificate_then_verify)
{
    struct chain_edit ce = {NULL, 0};
    struct auth_setup a = {TLS_DHE_RSA_WITH_AES_128_CBC_SHA, "client-key.pem", client_chain, 2};
    struct pair p;
    struct pkx_mitm m;
    struct pkx_seen seen = {0};
    pkx_mitm_edit(&m, &p, NULL, PAIR_CLIENT, 11, edit_replace_chain, &ce);
    int r = run_auth(&p, &m, &a, &seen);
    cr_expect_eq(m.edited, 1);
    expect_failure(&p, r, PAIR_SERVER, SSLProtocolErr, PKX_UNEXPECTED, "empty Certificate, then CV");
    pair_free(&p);
    expect_no_leaks(&p);
}

/* A server that leaves out a ServerKeyExchange the suite needs (export with a long key, DHE). */
ParameterizedTestParameters(kx_bad, server_key_exchange_missing)
{
    static const uint16_t suites[] = {SSL_RSA_EXPORT_WITH_RC4_40_MD5, TLS_DHE_RSA_WITH_AES_128_CBC_SHA,
                                      SSL_DH_anon_WITH_RC4_128_MD5};
    return cr_make_param_array(uint16_t, (void *)suites, 3);
}

ParameterizedTest(uint16_t *suite, kx_bad, server_key_exchange_missing)
{
    struct pair_config c;
    pair_config_init(&c);
    pair_config_suite(&c, suite);
    c.dh_params = "dh1024.pem";
    c.export_key = "export512-key.pem";
    struct pair p;
    struct pkx_mitm m;
    pkx_mitm_init(&m, &p);
    m.from = PAIR_SERVER;
    m.type = 12;
    m.drop = 1;
    c.hook = pkx_hook;
    c.hook_ref = &m;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    int r = pair_handshake(&p);
    cr_expect_eq(m.dropped, 1);
    char what[48];
    snprintf(what, sizeof what, "%04x without ServerKeyExchange", *suite);
    expect_failure(&p, r, PAIR_CLIENT, SSLProtocolErr, PKX_UNEXPECTED, what);
    pair_free(&p);
    expect_no_leaks(&p);
}

/* ---- DH group size ---- */

/* A group smaller than 512 bits is refused even when p is padded with leading zero bytes to look
 * long enough: the size that counts is the number's, not its encoding's. (Anonymous DH: nothing to
 * re-sign; p = 23, g = 5, Ys = 8 encoded in 64 bytes each.) */
static void edit_tiny_group(struct pair *p, uint8_t *body, size_t *len, size_t cap, void *ref)
{
    (void)p, (void)ref;
    size_t o = 0;
    const uint8_t vals[3] = {23, 5, 8};
    cr_assert_leq(3 * 66, cap);
    for (int i = 0; i < 3; i++) {
        put16(body + o, 64);
        memset(body + o + 2, 0, 64);
        body[o + 2 + 63] = vals[i];
        o += 66;
    }
    *len = o;
}

Test(kx_bad, dh_group_padded_with_zeros)
{
    ske_edit_refused(SSL_DH_anon_WITH_RC4_128_MD5, NULL, "dh1024.pem", edit_tiny_group,
                     "p = 23 in 64 bytes");
}


/* ---- configuration and CertificateRequest types ---- */

/* SSLSetExportPrivateKey refuses a key over 512 bits at set-up (the caller keeps it). */
Test(kx_bad, export_key_setter_refuses_long_keys)
{
    SSLContext *ctx = NULL;
    cr_assert_eq(SSLXNewContext(&ctx), SSLNoErr);
    const char *files[] = {"server-key-pkcs8.pem", "export512-key.pem"};
    SSLErr want[] = {SSLBadParameterErr, SSLNoErr};
    for (int i = 0; i < 2; i++) {
        size_t len;
        char *pem = pair_read_data(files[i], &len);
        cr_assert(pem);
        SSLRSAPrivateKey *k = NULL;
        cr_assert_eq(SSLXRSAPrivateKeyFromPEM(pem, len, &k), SSLNoErr);
        free(pem);
        SSLErr e = SSLSetExportPrivateKey(ctx, k);
        cr_expect_eq(e, want[i], "%s: %s", files[i], SSLXErrorName(e));
        if (e != SSLNoErr)
            SSLXRSAPrivateKeyFree(k);
    }
    SSLXFreeContext(ctx);
}

static void edit_dss_only(struct pair *p, uint8_t *body, size_t *len, size_t cap, void *ref)
{
    (void)p, (void)cap, (void)ref;
    cr_assert_geq(*len, 2);
    cr_assert_eq(body[0], 1, "one certificate type");
    body[1] = 2; /* rsa_sign -> dss_sign */
}

/* §5.6.4: asked only for a DSS certificate, a client with an RSA chain answers no_certificate
 * (the edit breaks the transcript, so the handshake then fails at the Finished). */
Test(kx_bad, certificate_request_without_rsa_sign)
{
    struct auth_setup a = {TLS_RSA_WITH_AES_128_CBC_SHA, "client-key.pem", client_chain, 2};
    struct pair p;
    struct pkx_mitm m;
    struct pkx_seen seen = {0};
    pkx_mitm_edit(&m, &p, NULL, PAIR_SERVER, 13, edit_dss_only, NULL);
    int r = run_auth(&p, &m, &a, &seen);
    cr_expect_eq(m.edited, 1);
    cr_expect_eq(r, PAIR_FAILED);
    static const uint8_t want[] = {1, 16}; /* no Certificate, no CertificateVerify */
    char buf[128];
    cr_expect(pkx_types_eq(&m, PAIR_CLIENT, want, 2), "client sent %s",
              pkx_types_str(&m, PAIR_CLIENT, buf, sizeof buf));
    cr_expect_eq(m.nalerts[PAIR_CLIENT] >= 1 ? m.alerts[PAIR_CLIENT][0] : 0, PKX_AL(1, PKX_NO_CERT));
    cr_expect_eq(seen.calls, 0);
    pair_free(&p);
    expect_no_leaks(&p);
}
