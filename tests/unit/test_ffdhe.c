/*
 * test_ffdhe.c - RFC 7919 finite-field DHE groups (issue 15 point 3): the built-in primes against
 * their defining formula and against OpenSSL's named groups; group negotiation between our client
 * and server (the client's supported_groups, a group we lack, no configured parameters, SSL 3.0);
 * the client's refusal of a group under 1024 bits and of Ys = 1 or p - 1 (and the server's of such
 * a Yc) in TLS 1.2; and the constant-time exponentiation (bn_ct_modexp) against GMP's mpz_powm.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <gmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "crypto/bn_ct.h"
#include "crypto/dhparams.h"
#include "crypto/ffdhe.h"
#include "handshake/hs_sig.h"
#include "pair.h"
#include "pair_kx.h"
#include "state/ctx.h"

enum { AL_HS_FAILURE = 40, AL_ILLEGAL = 47, AL_INSUFFICIENT = 71 };

static void expect_no_leaks(const struct pair *p)
{
    for (int side = 0; side < 2; side++) {
        cr_expect_eq(p->s[side].alloc.live_blocks, 0, "side %d leaks %ld blocks", side,
                     p->s[side].alloc.live_blocks);
        cr_expect_eq(p->s[side].alloc.bad_frees, 0);
        cr_expect_eq(p->s[side].alloc.unwiped_frees, 0, "side %d freed blocks unwiped", side);
    }
}

/* ---- the primes ---- */

/* p = 2^b - 2^(b-64) + {[2^(b-130) e] + X} * 2^64 - 1, with e = sum 1/k! in fixed point. */
static void formula(mpz_t p, unsigned b, unsigned long x)
{
    unsigned frac = b - 130, guard = 64;
    mpz_t term, sum;
    mpz_init(sum);
    mpz_init_set_ui(term, 1);
    mpz_mul_2exp(term, term, frac + guard); /* 1/0! */
    for (unsigned long k = 1; mpz_sgn(term); k++) {
        mpz_add(sum, sum, term);
        mpz_tdiv_q_ui(term, term, k);
    }
    mpz_tdiv_q_2exp(sum, sum, guard); /* floor(2^(b-130) e): the error is far below one unit */
    mpz_add_ui(sum, sum, x);
    mpz_mul_2exp(sum, sum, 64);
    mpz_set_ui(p, 0);
    mpz_setbit(p, b);
    mpz_add(p, p, sum);
    mpz_set_ui(term, 0);
    mpz_setbit(term, b - 64);
    mpz_sub(p, p, term);
    mpz_sub_ui(p, p, 1);
    mpz_clears(term, sum, NULL);
}

Test(ffdhe, primes_follow_the_rfc_formula)
{
    static const unsigned long xs[FFDHE_NBUILTIN] = {560316, 2625351, 5736041};
    static const uint16_t ids[FFDHE_NBUILTIN] = {0x0100, 0x0101, 0x0102};
    for (int i = 0; i < FFDHE_NBUILTIN; i++) {
        const struct ffdhe_group *g = &ffdhe_groups[i];
        cr_assert_eq(g->id, ids[i]);
        cr_assert_eq(ffdhe_find(ids[i]), g);
        mpz_t want, have;
        mpz_init(want);
        formula(want, g->bits, xs[i]);
        mpz_init(have);
        mpz_import(have, g->plen, 1, 1, 0, 0, g->p);
        cr_expect_eq(g->plen * 8, g->bits);
        cr_expect_eq(mpz_sizeinbase(have, 2), g->bits);
        cr_expect_eq(mpz_cmp(want, have), 0, "ffdhe%u differs from the RFC 7919 formula", g->bits);
        /* a safe prime: p and (p - 1) / 2 both probable primes */
        cr_expect_neq(mpz_probab_prime_p(have, 10), 0, "ffdhe%u: p", g->bits);
        mpz_sub_ui(want, have, 1);
        mpz_tdiv_q_2exp(want, want, 1);
        cr_expect_neq(mpz_probab_prime_p(want, 10), 0, "ffdhe%u: q", g->bits);
        mpz_clears(want, have, NULL);
    }
    cr_expect_null(ffdhe_find(0x0104), "ffdhe8192 is not built in");
    cr_expect_eq(ffdhe_g[0], 2);
}

/* The groups OpenSSL knows by name have exactly our p and g = 2 (a missing openssl fails). */
Test(ffdhe, primes_match_openssl)
{
    for (int i = 0; i < FFDHE_NBUILTIN; i++) {
        const struct ffdhe_group *g = &ffdhe_groups[i];
        char cmd[160];
        snprintf(cmd, sizeof cmd,
                 "openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe%u 2>/dev/null",
                 g->bits);
        FILE *f = popen(cmd, "r");
        cr_assert(f, "popen");
        static char pem[8192];
        size_t n = fread(pem, 1, sizeof pem - 1, f);
        int st = pclose(f);
        cr_assert_eq(st, 0, "openssl genpkey for ffdhe%u failed (is openssl installed?)", g->bits);
        pem[n] = 0;
        SSLDHParams *dh = NULL;
        cr_assert_eq(SSLXDHParamsFromPEM(pem, n, &dh), SSLNoErr, "ffdhe%u PEM:\n%s", g->bits, pem);
        cr_expect_eq(dh->plen, g->plen, "ffdhe%u length", g->bits);
        cr_expect(dh->plen == g->plen && memcmp(dh->p, g->p, g->plen) == 0, "ffdhe%u p", g->bits);
        cr_expect(dh->glen == 1 && dh->g[0] == 2, "ffdhe%u g", g->bits);
        cr_expect_eq(ffdhe_match(dh->p, dh->plen, dh->g, dh->glen), g);
        SSLXDHParamsFree(dh);
    }
}

/* ---- negotiation between our client and server ---- */

static void config(struct pair_config *c, const uint16_t *suites, uint32_t n, int proto,
                   const char *dh)
{
    pair_config_init(c);
    for (int side = 0; side < 2; side++) {
        c->suites[side] = suites;
        c->nsuites[side] = n;
        c->vmin[side] = proto;
        c->vmax[side] = proto;
    }
    c->dh_params = dh;
}

static uint16_t group_of(struct pair *p, int side)
{
    uint16 g = 0xffff;
    cr_assert_eq(SSLXGetNegotiatedGroup(p->s[side].ctx, &g), SSLNoErr);
    return g;
}

static uint16_t suite_of(struct pair *p, int side)
{
    uint16 s = 0;
    cr_assert_eq(SSLGetNegotiatedCipher(p->s[side].ctx, &s), SSLNoErr);
    return s;
}

/* The group both sides report and the size of the prime the client's key exchange used: the
 * ClientKeyExchange carries Yc in exactly len(p) bytes. */
struct seen {
    size_t yc_len;
};

static void note_yc(struct pair *p, uint8_t *body, size_t *len, size_t cap, void *ref)
{
    (void)p, (void)cap;
    struct seen *s = ref;
    cr_assert_geq(*len, 2);
    s->yc_len = (size_t)body[0] << 8 | body[1];
}

struct client_groups {
    uint16_t offer[4];
    uint32_t n;
    uint16_t want; /* the group both report */
};

ParameterizedTestParameters(ffdhe, client_list_decides)
{
    static struct client_groups cases[] = {
        {{0x0101}, 1, 0x0101},                 /* ffdhe3072 only */
        {{0x0102}, 1, 0x0102},                 /* ffdhe4096 only */
        {{0x0104, 0x0102, 0x0101}, 3, 0x0101}, /* the server's order wins: 3072 before 4096 */
        {{0x0100, 0x0101, 0x0102}, 3, 0x0100}, /* the default offer: ffdhe2048 */
    };
    return cr_make_param_array(struct client_groups, cases, sizeof cases / sizeof cases[0]);
}

/* TLS 1.2 DHE: the server (configured with a 1024-bit group, which a listing client never gets)
 * uses its first group that the client lists. */
ParameterizedTest(struct client_groups *cg, ffdhe, client_list_decides, .timeout = 60)
{
    static const uint16_t dhe[] = {TLS_DHE_RSA_WITH_AES_128_GCM_SHA256};
    struct pair_config c;
    config(&c, dhe, 1, kTLSProtocol12, "dh1024.pem");
    struct pair p;
    struct pkx_mitm m;
    struct seen seen = {0};
    pkx_mitm_edit(&m, &p, &c, PAIR_CLIENT, 16, note_yc, &seen);
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(SSLXSetGroups(p.s[PAIR_CLIENT].ctx, cg->offer, cg->n), SSLNoErr);
    cr_assert_eq(pair_handshake(&p), PAIR_OK, "%s / %s", SSLXErrorName(p.s[0].last),
                 SSLXErrorName(p.s[1].last));
    const struct ffdhe_group *g = ffdhe_find(cg->want);
    cr_assert(g);
    for (int side = 0; side < 2; side++) {
        cr_expect_eq(suite_of(&p, side), TLS_DHE_RSA_WITH_AES_128_GCM_SHA256);
        cr_expect_eq(group_of(&p, side), cg->want, "side %d group %04x", side, group_of(&p, side));
    }
    cr_expect_eq(seen.yc_len, g->plen, "the client's Yc has %zu bytes: a %u-bit prime", seen.yc_len,
                 g->bits);
    cr_expect_eq(pair_exchange(&p, PAIR_CLIENT, "ping", 4), SSLNoErr);
    pair_free(&p);
    expect_no_leaks(&p);
}

/* A client listing only ffdhe8192 (not built in) gets no DH suite (RFC 7919 §4): the server takes
 * the client's RSA suite; with no other suite, it ends with insufficient_security. */
Test(ffdhe, unknown_group_means_no_dhe, .timeout = 60)
{
    static const uint16_t both[] = {TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
                                    TLS_RSA_WITH_AES_128_GCM_SHA256};
    static const uint16_t g8192[] = {SSLX_GROUP_FFDHE8192};
    struct pair_config c;
    config(&c, both, 2, kTLSProtocol12, "dh1024.pem");
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(SSLXSetGroups(p.s[PAIR_CLIENT].ctx, g8192, 1), SSLNoErr);
    cr_assert_eq(pair_handshake(&p), PAIR_OK, "%s / %s", SSLXErrorName(p.s[0].last),
                 SSLXErrorName(p.s[1].last));
    for (int side = 0; side < 2; side++) {
        cr_expect_eq(suite_of(&p, side), TLS_RSA_WITH_AES_128_GCM_SHA256);
        cr_expect_eq(group_of(&p, side), 0);
    }
    pair_free(&p);
    expect_no_leaks(&p);

    config(&c, both, 1, kTLSProtocol12, "dh1024.pem"); /* the DHE suite only */
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(SSLXSetGroups(p.s[PAIR_CLIENT].ctx, g8192, 1), SSLNoErr);
    cr_expect_eq(pair_handshake(&p), PAIR_FAILED);
    cr_expect_eq(p.s[PAIR_SERVER].last, SSLNegotiationErr, "%s", SSLXErrorName(p.s[1].last));
    cr_expect_eq(p.s[PAIR_CLIENT].last, SSLFatalAlert, "%s", SSLXErrorName(p.s[0].last));
    uint16 sent = 0, recv = 0;
    cr_expect_eq(SSLXGetLastAlerts(p.s[PAIR_SERVER].ctx, &sent, &recv), SSLNoErr);
    cr_expect_eq(sent, PKX_FATAL(AL_INSUFFICIENT), "server sent %04x", sent);
    cr_expect_eq(SSLXGetLastAlerts(p.s[PAIR_CLIENT].ctx, &sent, &recv), SSLNoErr);
    cr_expect_eq(recv, PKX_FATAL(AL_INSUFFICIENT), "client received %04x", recv);
    pair_free(&p);
    expect_no_leaks(&p);
}

struct default_case {
    int proto;
    uint16_t suite;
    int client_groups; /* 0: the client sends no supported_groups */
    int dh;            /* the server's configured parameters: dh_files[dh] */
    uint16_t want;
};

/* (Criterion's parameters cross a process boundary: no pointers in them.) */
static const char *const dh_files[] = {NULL, "dh1024.pem", "ffdhe2048.pem"};

ParameterizedTestParameters(ffdhe, server_defaults)
{
    static struct default_case cases[] = {
        /* no configured parameters: ffdhe2048, whether the client lists groups or not */
        {kTLSProtocol12, TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, 1, 0, 0x0100},
        {kTLSProtocol12, TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, 0, 0, 0x0100},
        {kTLSProtocol1, TLS_DHE_RSA_WITH_AES_128_CBC_SHA, 0, 0, 0x0100},
        /* SSL 3.0: no extensions; the default group, or the configured one */
        {kSSLProtocol3, SSL_DHE_RSA_WITH_3DES_EDE_CBC_SHA, 1, 0, 0x0100},
        {kSSLProtocol3, SSL_DHE_RSA_WITH_3DES_EDE_CBC_SHA, 1, 1, 0},
        {kSSLProtocol3, SSL_DH_anon_WITH_RC4_128_MD5, 1, 0, 0x0100},
        /* a client without supported_groups gets the configured group (a custom one: 0) */
        {kTLSProtocol12, TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, 0, 1, 0},
        /* configured ffdhe2048 is recognised by its p on both sides */
        {kTLSProtocol12, TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, 0, 2, 0x0100},
    };
    return cr_make_param_array(struct default_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(struct default_case *dc, ffdhe, server_defaults, .timeout = 60)
{
    struct pair_config c;
    config(&c, &dc->suite, 1, dc->proto, dh_files[dc->dh]);
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    if (!dc->client_groups)
        cr_assert_eq(SSLXSetGroups(p.s[PAIR_CLIENT].ctx, NULL, 0), SSLNoErr);
    cr_assert_eq(pair_handshake(&p), PAIR_OK, "%04x: %s / %s", dc->suite,
                 SSLXErrorName(p.s[0].last), SSLXErrorName(p.s[1].last));
    for (int side = 0; side < 2; side++) {
        cr_expect_eq(suite_of(&p, side), dc->suite);
        uint16_t g = group_of(&p, side);
        /* a server with configured ffdhe2048 reports 0 (its own parameters), the client names it */
        uint16_t want = side == PAIR_SERVER && dc->dh ? 0 : dc->want;
        cr_expect_eq(g, want, "%04x side %d: group %04x, want %04x", dc->suite, side, g, want);
    }
    cr_expect_eq(pair_exchange(&p, PAIR_CLIENT, "ping", 4), SSLNoErr);
    pair_free(&p);
    expect_no_leaks(&p);
}

/* SSLXSetGroups: RFC 7919 codepoints only, no repeats, at most SSLX_MAX_GROUPS. */
Test(ffdhe, set_groups_checks)
{
    SSLContext *ctx = NULL;
    cr_assert_eq(SSLXNewContext(&ctx), SSLNoErr);
    static const uint16_t ok[] = {0x0104, 0x0100}, dup[] = {0x0100, 0x0100}, ec[] = {0x0019},
                          many[SSLX_MAX_GROUPS + 1] = {0};
    cr_expect_eq(SSLXSetGroups(ctx, ok, 2), SSLNoErr);
    cr_expect_eq(SSLXSetGroups(ctx, dup, 2), SSLBadParameterErr);
    cr_expect_eq(SSLXSetGroups(ctx, ec, 1), SSLBadParameterErr); /* secp521r1: not built in */
    cr_expect_eq(SSLXSetGroups(ctx, many, SSLX_MAX_GROUPS + 1), SSLBadParameterErr);
    cr_expect_eq(SSLXSetGroups(ctx, NULL, 1), SSLBadParameterErr);
    cr_expect_eq(SSLXSetGroups(ctx, NULL, 0), SSLNoErr);
    uint16 g = 1;
    cr_expect_eq(SSLXGetNegotiatedGroup(ctx, &g), SSLNoErr);
    cr_expect_eq(g, 0);
    cr_expect_eq(SSLXGetNegotiatedGroup(ctx, NULL), SSLBadParameterErr);
    SSLXFreeContext(ctx);
}

/* ---- the client's checks ---- */

static void expect_refusal(struct pair *p, int r, int victim, SSLErr err, uint8_t alert,
                           const char *what)
{
    cr_expect_eq(r, PAIR_FAILED, "%s: result %d", what, r);
    cr_expect_eq(p->s[victim].last, err, "%s: side %d returned %s", what, victim,
                 SSLXErrorName(p->s[victim].last));
    uint16 sent = 0, recv = 0;
    cr_expect_eq(SSLXGetLastAlerts(p->s[victim].ctx, &sent, &recv), SSLNoErr);
    cr_expect_eq(sent, PKX_FATAL(alert), "%s: side %d sent %04x", what, victim, sent);
    int other = PAIR_PEER(victim);
    cr_expect_eq(p->s[other].last, SSLFatalAlert, "%s: side %d returned %s", what, other,
                 SSLXErrorName(p->s[other].last));
    cr_expect_eq(SSLXGetLastAlerts(p->s[other].ctx, &sent, &recv), SSLNoErr);
    cr_expect_eq(recv, PKX_FATAL(alert), "%s: side %d received %04x", what, other, recv);
}

/* A server configured with a 512-bit group (tests/data/dh512.pem) and a client that lists no
 * groups: the client refuses p under 1024 bits for a non-export suite, with insufficient_security
 * in TLS and handshake_failure in SSL 3.0 (which has no such alert). */
Test(ffdhe, client_refuses_512_bit_group, .timeout = 60)
{
    static const struct {
        int proto;
        uint16_t suite;
        uint8_t alert;
    } t[] = {{kTLSProtocol12, TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, AL_INSUFFICIENT},
             {kTLSProtocol1, TLS_DHE_RSA_WITH_AES_128_CBC_SHA, AL_INSUFFICIENT},
             {kSSLProtocol3, SSL_DHE_RSA_WITH_3DES_EDE_CBC_SHA, AL_HS_FAILURE}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct pair_config c;
        config(&c, &t[i].suite, 1, t[i].proto, "dh512.pem");
        struct pair p;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        cr_assert_eq(SSLXSetGroups(p.s[PAIR_CLIENT].ctx, NULL, 0), SSLNoErr);
        char what[64];
        snprintf(what, sizeof what, "512-bit group, %04x", t[i].suite);
        expect_refusal(&p, pair_handshake(&p), PAIR_CLIENT, SSLNegotiationErr, t[i].alert, what);
        pair_free(&p);
        expect_no_leaks(&p);
    }
    /* the export DH suites keep their 512-bit groups (RFC 6101 Appendix C) */
    static const uint16_t exp = SSL_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA;
    struct pair_config c;
    config(&c, &exp, 1, kSSLProtocol3, "dh512.pem");
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_expect_eq(pair_handshake(&p), PAIR_OK, "%s / %s", SSLXErrorName(p.s[0].last),
                 SSLXErrorName(p.s[1].last));
    pair_free(&p);
    expect_no_leaks(&p);
}

/* ---- out-of-range public values in TLS 1.2 ---- */

struct y_edit {
    struct pkx_mitm *m;
    int pm1;      /* 0: the value 1; 1: p - 1 */
    int client;   /* edit the ClientKeyExchange's Yc instead of Ys */
};

static void put16(uint8_t *b, size_t v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}

/* The value 1 or p - 1 in len(p) bytes. */
static void bad_value(const uint8_t *p, size_t plen, int pm1, uint8_t *out)
{
    if (pm1) {
        memcpy(out, p, plen);
        out[plen - 1]--; /* p is odd */
    } else {
        memset(out, 0, plen);
        out[plen - 1] = 1;
    }
}

/* Ys replaced and the parameters re-signed with the server's key under the scheme it chose
 * (RFC 5246 §7.4.3), so only the range check can refuse them; or Yc replaced. */
static void edit_y(struct pair *p, uint8_t *body, size_t *len, size_t cap, void *ref)
{
    struct y_edit *e = ref;
    uint8_t out[4096], val[1024];
    SSLContext *s = p->s[PAIR_SERVER].ctx;
    if (e->client) {
        const uint8_t *ske = e->m->ske;
        size_t plen = (size_t)ske[0] << 8 | ske[1];
        bad_value(ske + 2, plen, e->pm1, val);
        put16(body, plen);
        memcpy(body + 2, val, plen);
        *len = 2 + plen;
        return;
    }
    size_t o = 0, off[3], n[3];
    for (int i = 0; i < 3; i++) {
        n[i] = (size_t)body[o] << 8 | body[o + 1];
        off[i] = o + 2;
        o += 2 + n[i];
        cr_assert_leq(o, *len);
    }
    uint16_t scheme = (uint16_t)(body[o] << 8 | body[o + 1]);
    memcpy(out, body, off[2]);
    bad_value(body + off[0], n[0], e->pm1, out + off[2]);
    size_t params = off[2] + n[0];
    put16(out + off[2] - 2, n[0]);
    size_t total = pkx_ske_sign12(s, scheme, out, params, sizeof out);
    cr_assert_gt(total, 0);
    cr_assert_leq(total, cap);
    memcpy(body, out, total);
    *len = total;
}

ParameterizedTestParameters(ffdhe, public_value_out_of_range)
{
    static int cases[] = {0, 1, 2, 3}; /* bit 0: p - 1 (else 1); bit 1: Yc (else Ys) */
    return cr_make_param_array(int, cases, 4);
}

ParameterizedTest(int *k, ffdhe, public_value_out_of_range, .timeout = 60)
{
    static const uint16_t dhe = TLS_DHE_RSA_WITH_AES_128_GCM_SHA256;
    struct pair_config c;
    config(&c, &dhe, 1, kTLSProtocol12, NULL);
    struct pair p;
    struct pkx_mitm m;
    struct y_edit e = {&m, *k & 1, *k >> 1};
    pkx_mitm_edit(&m, &p, &c, e.client ? PAIR_CLIENT : PAIR_SERVER, e.client ? 16 : 12, edit_y, &e);
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    int r = pair_handshake(&p);
    char what[32];
    snprintf(what, sizeof what, "%s = %s", e.client ? "Yc" : "Ys", e.pm1 ? "p-1" : "1");
    cr_expect_eq(m.edited, 1, "%s: edited", what);
    expect_refusal(&p, r, e.client ? PAIR_SERVER : PAIR_CLIENT, SSLProtocolErr, AL_ILLEGAL, what);
    pair_free(&p);
    expect_no_leaks(&p);
}

/* The re-signing above is sound: the same surgery with the real Ys goes through. */
static void edit_resign(struct pair *p, uint8_t *body, size_t *len, size_t cap, void *ref)
{
    (void)ref;
    uint8_t copy[4096];
    size_t o = 0;
    for (int i = 0; i < 3; i++)
        o += 2 + ((size_t)body[o] << 8 | body[o + 1]);
    memcpy(copy, body, *len);
    /* re-sign with the server's key over the unchanged parameters */
    SSLContext *s = p->s[PAIR_SERVER].ctx;
    uint16_t scheme = (uint16_t)(body[o] << 8 | body[o + 1]);
    size_t total = pkx_ske_sign12(s, scheme, copy, o, sizeof copy);
    cr_assert_gt(total, 0);
    cr_assert_leq(total, cap);
    memcpy(body, copy, total);
    *len = total;
}

Test(ffdhe, resigned_parameters_are_accepted, .timeout = 60)
{
    static const uint16_t dhe = TLS_DHE_RSA_WITH_AES_128_GCM_SHA256;
    struct pair_config c;
    config(&c, &dhe, 1, kTLSProtocol12, NULL);
    struct pair p;
    struct pkx_mitm m;
    pkx_mitm_edit(&m, &p, &c, PAIR_SERVER, 12, edit_resign, NULL);
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_expect_eq(pair_handshake(&p), PAIR_OK, "%s / %s", SSLXErrorName(p.s[0].last),
                 SSLXErrorName(p.s[1].last));
    cr_expect_eq(m.edited, 1);
    pair_free(&p);
    expect_no_leaks(&p);
}

/* ---- constant-time exponentiation ---- */

static uint64_t rng_state = 0x5eed;
static void fill(uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(pair_splitmix(&rng_state) >> 24);
}

/* bn_ct_modexp(base, exp, mod) equals mpz_powm for random odd moduli (1 to 512 bytes), the
 * built-in primes, bases up to the modulus's length, exponents with leading zero bytes. */
Test(ffdhe, ct_modexp_matches_mpz_powm)
{
    uint8_t m[512], b[512], e[64], out[512], want[512];
    mpz_t zm, zb, ze, zr;
    mpz_inits(zm, zb, ze, zr, NULL);
    int compared = 0;
    for (int iter = 0; iter < 300; iter++) {
        size_t ml, bl, el = 1 + pair_splitmix(&rng_state) % sizeof e;
        if (iter < 30) { /* the built-in groups */
            const struct ffdhe_group *g = &ffdhe_groups[iter % FFDHE_NBUILTIN];
            ml = g->plen;
            memcpy(m, g->p, ml);
        } else {
            ml = 1 + pair_splitmix(&rng_state) % (iter < 200 ? 64 : sizeof m);
            fill(m, ml);
            m[ml - 1] |= 1;
            if (ml == 1 && m[0] < 3)
                m[0] = 3;
            if (iter % 7 == 0)
                m[0] = 0; /* a leading zero byte: out still gets ml bytes */
        }
        bl = 1 + pair_splitmix(&rng_state) % ml;
        fill(b, bl);
        fill(e, el);
        if (iter % 5 == 0)
            e[0] = 0; /* leading zeros in the exponent */
        if (iter % 11 == 0)
            memcpy(b, (const uint8_t[]){0, 2}, bl >= 2 ? 2 : 0); /* small bases */
        mpz_import(zm, ml, 1, 1, 0, 0, m);
        mpz_import(zb, bl, 1, 1, 0, 0, b);
        mpz_import(ze, el, 1, 1, 0, 0, e);
        if (mpz_cmp_ui(zm, 3) < 0 || mpz_sgn(zb) == 0 || mpz_sizeinbase(zb, 256) >
                                                             mpz_sizeinbase(zm, 256))
            continue; /* outside the function's contract (tested below) */
        mpz_mod(zr, zb, zm);
        if (mpz_sgn(zr) == 0)
            continue;
        mpz_powm(zr, zb, ze, zm);
        memset(want, 0, ml);
        size_t wl = 0;
        mpz_export(want + ml - mpz_sizeinbase(zr, 256) * (mpz_sgn(zr) != 0), &wl, 1, 1, 0, 0, zr);
        memset(out, 0xaa, ml);
        cr_assert_eq(bn_ct_modexp(b, bl, e, el, m, ml, out), SSLNoErr, "iter %d", iter);
        cr_assert(memcmp(out, want, ml) == 0, "iter %d: ml %zu bl %zu el %zu", iter, ml, bl, el);
        compared++;
    }
    mpz_clears(zm, zb, ze, zr, NULL);
    cr_expect_geq(compared, 250, "only %d of 300 inputs were compared", compared);
    /* shapes it refuses: an even or too small modulus, a zero base, an empty exponent */
    static const uint8_t two = 2, one = 1, zero = 0, nine = 9, even[2] = {1, 0}, x = 5;
    cr_expect_eq(bn_ct_modexp(&two, 1, &x, 1, even, 2, out), SSLBadParameterErr);
    cr_expect_eq(bn_ct_modexp(&two, 1, &x, 1, &one, 1, out), SSLBadParameterErr);
    cr_expect_eq(bn_ct_modexp(&zero, 1, &x, 1, &nine, 1, out), SSLBadParameterErr);
    cr_expect_eq(bn_ct_modexp(&nine, 1, &x, 1, &nine, 1, out), SSLBadParameterErr); /* 9 mod 9 */
    cr_expect_eq(bn_ct_modexp(&two, 1, &x, 0, &nine, 1, out), SSLBadParameterErr);
}
