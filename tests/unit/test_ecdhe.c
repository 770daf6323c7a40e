/*
 * test_ecdhe.c - ECDHE_RSA (RFC 8422, issue 16 points 1 and 5) between our client and server:
 * each group (x25519, secp256r1, secp384r1) for c02f at TLS 1.2 and c013 at TLS 1.0 with the
 * negotiated group asserted on both sides; the server's group choice (its order, a client without
 * supported_groups, a client listing no curve); and hostile key exchanges. Every bad point is
 * refused with illegal_parameter (a well-framed vector whose content is not a point of the group:
 * off the curve, wrong length, compressed or hybrid form, the identity, a coordinate >= p, an X25519
 * share giving the all-zero secret), framing faults (an empty point vector, trailing bytes) with
 * decode_error; a ServerKeyExchange naming a group the client did not offer, or an explicit curve,
 * with illegal_parameter; ec_point_formats without uncompressed with illegal_parameter either way.
 * ServerKeyExchange edits are re-signed with the server's key so only the point checks can refuse.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>
#include <tomcrypt.h>
#include "crypto/ecdh.h"
#include "handshake/hs_sig.h"
#include "pair.h"
#include "pair_kx.h"
#include "state/ctx.h"

enum { AL_HS_FAILURE = 40, AL_ILLEGAL = 47, AL_DECODE = 50 };
enum { HT_CLIENT_HELLO = 1, HT_SERVER_HELLO = 2, HT_SKE = 12, HT_CKE = 16 };

static void expect_no_leaks(const struct pair *p)
{
    for (int side = 0; side < 2; side++) {
        cr_expect_eq(p->s[side].alloc.live_blocks, 0, "side %d leaks %ld blocks", side,
                     p->s[side].alloc.live_blocks);
        cr_expect_eq(p->s[side].alloc.bad_frees, 0);
        cr_expect_eq(p->s[side].alloc.unwiped_frees, 0, "side %d freed blocks unwiped", side);
    }
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

/* ---- every group, both sides agree ---- */

struct group_case {
    uint16_t group, suite;
    int proto;
};

ParameterizedTestParameters(ecdhe, each_group)
{
    static struct group_case cases[6];
    static const uint16_t g[] = {SSLX_GROUP_X25519, SSLX_GROUP_SECP256R1, SSLX_GROUP_SECP384R1};
    for (int i = 0; i < 3; i++) {
        cases[2 * i] = (struct group_case){g[i], TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                                           kTLSProtocol12};
        cases[2 * i + 1] = (struct group_case){g[i], TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
                                               kTLSProtocol1};
    }
    return cr_make_param_array(struct group_case, cases, 6);
}

ParameterizedTest(struct group_case *gc, ecdhe, each_group, .timeout = 60)
{
    struct pair_config c;
    config(&c, &gc->suite, 1, gc->proto);
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(SSLXSetGroups(p.s[PAIR_CLIENT].ctx, &gc->group, 1), SSLNoErr);
    cr_assert_eq(pair_handshake(&p), PAIR_OK, "group %04x suite %04x: %s / %s", gc->group,
                 gc->suite, SSLXErrorName(p.s[0].last), SSLXErrorName(p.s[1].last));
    for (int side = 0; side < 2; side++) {
        cr_expect_eq(group_of(&p, side), gc->group, "side %d group %04x", side, group_of(&p, side));
        cr_expect_eq(suite_of(&p, side), gc->suite);
        SSLXProtocol v = kSSLProtocolUnknown;
        cr_expect_eq(SSLXGetNegotiatedProtocolVersion(p.s[side].ctx, &v), SSLNoErr);
        cr_expect_eq((int)v, gc->proto);
    }
    static const uint8_t msg[] = "ecdhe data";
    cr_expect_eq(pair_exchange(&p, PAIR_CLIENT, msg, sizeof msg), SSLNoErr);
    cr_expect_eq(pair_exchange(&p, PAIR_SERVER, msg, sizeof msg), SSLNoErr);
    pair_free(&p);
    expect_no_leaks(&p);
}

/* ---- the server's choice ---- */

/* ClientHello surgery: hide 1 renames supported_groups to an unknown type (as if the client sent
 * none), hide 2 turns each curve in it into 0x0a0a (a client listing no curve). */
static void edit_hello_groups(struct pair *p, uint8_t *body, size_t *len, size_t cap, void *ref)
{
    (void)p, (void)cap;
    int *hide = ref;
    size_t o = 2 + 32;
    o += 1 + body[o];                                   /* session id */
    o += 2 + ((size_t)body[o] << 8 | body[o + 1]);      /* suites */
    o += 1 + body[o];                                   /* compression */
    size_t end = o + 2 + ((size_t)body[o] << 8 | body[o + 1]);
    cr_assert_eq(end, *len);
    for (o += 2; o + 4 <= end;) {
        uint16_t type = (uint16_t)(body[o] << 8 | body[o + 1]);
        size_t n = (size_t)body[o + 2] << 8 | body[o + 3];
        if (type == 10) {
            if (*hide == 1) {
                body[o] = 0x7a, body[o + 1] = 0x7a;
            } else {
                for (size_t i = o + 6; i + 2 <= o + 4 + n; i += 2)
                    if (body[i] == 0 && body[i + 1] < 0x20)
                        body[i] = 0x0a, body[i + 1] = 0x0a;
            }
            *hide = -*hide; /* done */
            return;
        }
        o += 4 + n;
    }
}

struct choice_case {
    uint16_t client[4];
    uint32_t nclient;     /* 0: no supported_groups at all */
    uint16_t server[4];
    uint32_t nserver;     /* 0: the default order */
    uint16_t want_group;  /* 0: no ECDHE; then want_suite */
    uint16_t want_suite;
    int hide;             /* edit_hello_groups */
};

ParameterizedTestParameters(ecdhe, server_choice)
{
    static struct choice_case cases[] = {
        /* server order wins over the client's */
        {{SSLX_GROUP_SECP384R1, SSLX_GROUP_SECP256R1, SSLX_GROUP_X25519}, 3, {0}, 0,
         SSLX_GROUP_X25519, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, 0},
        {{SSLX_GROUP_X25519, SSLX_GROUP_SECP256R1, SSLX_GROUP_SECP384R1}, 3,
         {SSLX_GROUP_SECP384R1, SSLX_GROUP_SECP256R1}, 2, SSLX_GROUP_SECP384R1,
         TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, 0},
        /* the first of ours the client lists */
        {{SSLX_GROUP_SECP384R1, SSLX_GROUP_FFDHE2048}, 2, {0}, 0, SSLX_GROUP_SECP384R1,
         TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, 0},
        /* no supported_groups: secp256r1 (RFC 8422 §4 leaves the choice to the server) */
        {{SSLX_GROUP_X25519, SSLX_GROUP_SECP256R1, SSLX_GROUP_SECP384R1}, 3, {0}, 0,
         SSLX_GROUP_SECP256R1, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, 1},
        /* ... or the server's first curve when it has no secp256r1 */
        {{SSLX_GROUP_X25519, SSLX_GROUP_SECP256R1, SSLX_GROUP_SECP384R1}, 3,
         {SSLX_GROUP_SECP384R1, SSLX_GROUP_FFDHE2048}, 2, SSLX_GROUP_SECP384R1,
         TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, 1},
        /* a client listing groups but no curve gets no ECDHE suite: DHE instead */
        {{SSLX_GROUP_X25519, SSLX_GROUP_FFDHE2048}, 2, {0}, 0, 0,
         TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, 2},
        /* a client without curves does not offer ECDHE at all */
        {{SSLX_GROUP_FFDHE2048}, 1, {0}, 0, 0, TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, 0},
        /* no curve in common: DHE */
        {{SSLX_GROUP_SECP384R1, SSLX_GROUP_FFDHE2048}, 2,
         {SSLX_GROUP_X25519, SSLX_GROUP_FFDHE2048}, 2, 0, TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, 0},
    };
    return cr_make_param_array(struct choice_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(struct choice_case *cc, ecdhe, server_choice, .timeout = 60)
{
    static const uint16_t suites[] = {TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                                      TLS_DHE_RSA_WITH_AES_128_GCM_SHA256};
    struct pair_config c;
    config(&c, suites, 2, kTLSProtocol12);
    struct pair p;
    struct pkx_mitm m;
    int hide = cc->hide;
    if (hide)
        pkx_mitm_edit(&m, &p, &c, PAIR_CLIENT, HT_CLIENT_HELLO, edit_hello_groups, &hide);
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(SSLXSetGroups(p.s[PAIR_CLIENT].ctx, cc->client, cc->nclient), SSLNoErr);
    if (cc->nserver)
        cr_assert_eq(SSLXSetGroups(p.s[PAIR_SERVER].ctx, cc->server, cc->nserver), SSLNoErr);
    int r = pair_handshake(&p);
    cr_expect_eq(hide, -cc->hide, "the hello edit happened");
    if (cc->hide) {
        /* the edited hello breaks the Finished check (the transcripts differ), after the
         * server chose: its suite and group, and the ServerKeyExchange it sent, tell */
        cr_expect_eq(r, PAIR_FAILED);
        cr_expect_eq(suite_of(&p, PAIR_SERVER), cc->want_suite, "suite %04x",
                     suite_of(&p, PAIR_SERVER));
        uint16_t want = cc->want_group ? cc->want_group : SSLX_GROUP_FFDHE2048;
        cr_expect_eq(group_of(&p, PAIR_SERVER), want, "group %04x", group_of(&p, PAIR_SERVER));
        if (cc->want_group) {
            cr_assert_geq(m.ske_len, 4);
            cr_expect(m.ske[0] == 3 && (m.ske[1] << 8 | m.ske[2]) == cc->want_group,
                      "ServerKeyExchange names %02x%02x", m.ske[1], m.ske[2]);
        }
        pair_free(&p);
        expect_no_leaks(&p);
        return;
    }
    cr_assert_eq(r, PAIR_OK, "%s / %s", SSLXErrorName(p.s[0].last), SSLXErrorName(p.s[1].last));
    for (int side = 0; side < 2; side++) {
        cr_expect_eq(suite_of(&p, side), cc->want_suite, "side %d suite %04x", side,
                     suite_of(&p, side));
        if (cc->want_group)
            cr_expect_eq(group_of(&p, side), cc->want_group, "side %d group %04x", side,
                         group_of(&p, side));
        else
            cr_expect_eq(group_of(&p, side), SSLX_GROUP_FFDHE2048);
    }
    pair_free(&p);
    expect_no_leaks(&p);
}

/* Only an ECDHE suite, and a client that lists no curve: nothing to agree on. */
Test(ecdhe, no_curve_no_suite, .timeout = 60)
{
    static const uint16_t s = TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;
    struct pair_config c;
    config(&c, &s, 1, kTLSProtocol12);
    struct pair p;
    struct pkx_mitm m;
    int hide = 2;
    pkx_mitm_edit(&m, &p, &c, PAIR_CLIENT, HT_CLIENT_HELLO, edit_hello_groups, &hide);
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    expect_refusal(&p, pair_handshake(&p), PAIR_SERVER, SSLNegotiationErr, AL_HS_FAILURE,
                   "no curve");
    cr_expect_eq(hide, -2);
    pair_free(&p);
    expect_no_leaks(&p);
}

Test(ecdhe, set_groups_takes_curves)
{
    SSLContext *ctx = NULL;
    cr_assert_eq(SSLXNewContext(&ctx), SSLNoErr);
    static const uint16_t all[] = {0x001d, 0x0017, 0x0018, 0x0100, 0x0101, 0x0102},
                          p521[] = {0x0019}, dup[] = {0x0017, 0x0017};
    cr_expect_eq(SSLXSetGroups(ctx, all, 6), SSLNoErr);
    cr_expect_eq(SSLXSetGroups(ctx, p521, 1), SSLBadParameterErr, "secp521r1 is not built in");
    cr_expect_eq(SSLXSetGroups(ctx, dup, 2), SSLBadParameterErr);
    SSLXFreeContext(ctx);
    /* the default order */
    cr_assert_eq(SSLXNewContext(&ctx), SSLNoErr);
    cr_expect_eq(ctx->ngroups, 6);
    for (int i = 0; i < 6 && i < ctx->ngroups; i++)
        cr_expect_eq(ctx->groups[i], all[i], "default group %d: %04x", i, ctx->groups[i]);
    SSLXFreeContext(ctx);
}

/* ---- hostile key exchanges ---- */

enum bad_kind {
    BAD_OFF_CURVE, BAD_SHORT, BAD_LONG, BAD_COMPRESSED, BAD_HYBRID, BAD_IDENTITY, BAD_X_GE_P,
    BAD_ZERO_SHARE, BAD_ONE_SHARE, BAD_EMPTY, BAD_TRAILING, BAD_OTHER_GROUP, BAD_EXPLICIT
};
static const char *const bad_names[] = {
    "off the curve", "short", "long", "compressed", "hybrid", "identity", "x >= p",
    "x25519 zero", "x25519 one", "empty vector", "trailing byte", "group not offered",
    "explicit curve"};

struct bad_case {
    int kind;          /* enum bad_kind */
    uint16_t group;
    int client;        /* 1: the ClientKeyExchange; 0: the ServerKeyExchange */
    uint8_t alert;
};

/* The bad encoding of @kind, from the real point @pt (n bytes) of @group, into out. */
static size_t bad_point(int kind, uint16_t group, const uint8_t *pt, size_t n, uint8_t *out)
{
    size_t cs = (n - 1) / 2; /* P-curve coordinate size */
    memcpy(out, pt, n);
    switch (kind) {
    case BAD_OFF_CURVE:
        out[n - 1] ^= 1; /* y + 1 or y - 1: x^3 - 3x + b has at most two roots */
        return n;
    case BAD_SHORT:
        return n - 1;
    case BAD_LONG:
        out[n] = 0;
        return n + 1;
    case BAD_COMPRESSED:
        out[0] = (uint8_t)(2 | (pt[n - 1] & 1));
        return 1 + cs;
    case BAD_HYBRID:
        out[0] = (uint8_t)(6 | (pt[n - 1] & 1)); /* the real point, hybrid form (X9.62) */
        return n;
    case BAD_IDENTITY:
        out[0] = 0;
        return 1;
    case BAD_X_GE_P:
        memset(out + 1, 0xff, cs); /* above p for both curves */
        return n;
    case BAD_ZERO_SHARE:
        memset(out, 0, 32);
        return 32;
    case BAD_ONE_SHARE:
        memset(out, 0, 32);
        out[0] = 1; /* u = 1, a low-order point: the secret is zero */
        return 32;
    case BAD_EMPTY:
        return 0;
    default:
        (void)group;
        return n;
    }
}

static void put16(uint8_t *b, size_t v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}

struct edit_ref {
    const struct bad_case *bc;
    struct pkx_mitm *m;
};

/* ServerKeyExchange (TLS 1.2): curve_type, group, point replaced, then re-signed. */
static void edit_ske(struct pair *p, uint8_t *body, size_t *len, size_t cap, void *ref)
{
    const struct bad_case *bc = ((struct edit_ref *)ref)->bc;
    uint8_t out[4096];
    size_t n = body[3], o = 4 + n;
    cr_assert_leq(o + 4, *len);
    cr_assert_eq(body[0], 3);
    uint16_t scheme = (uint16_t)(body[o] << 8 | body[o + 1]);
    out[0] = bc->kind == BAD_EXPLICIT ? 1 : 3; /* explicit_prime */
    uint16_t g = (uint16_t)(body[1] << 8 | body[2]);
    put16(out + 1, g);
    if (bc->kind == BAD_OFF_CURVE || bc->kind == BAD_SHORT || bc->kind == BAD_LONG ||
        bc->kind == BAD_COMPRESSED || bc->kind == BAD_HYBRID || bc->kind == BAD_IDENTITY ||
        bc->kind == BAD_X_GE_P || bc->kind == BAD_ZERO_SHARE || bc->kind == BAD_ONE_SHARE ||
        bc->kind == BAD_EMPTY) {
        size_t m = bad_point(bc->kind, g, body + 4, n, out + 4);
        out[3] = (uint8_t)m;
        n = m;
    } else {
        if (bc->kind == BAD_OTHER_GROUP)
            put16(out + 1, SSLX_GROUP_SECP384R1);
        out[3] = (uint8_t)n;
        memcpy(out + 4, body + 4, n);
    }
    size_t params = 4 + n;
    size_t total = pkx_ske_sign12(p->s[PAIR_SERVER].ctx, scheme, out, params, sizeof out);
    cr_assert_gt(total, 0);
    if (bc->kind == BAD_TRAILING)
        out[total++] = 0; /* after the signature */
    cr_assert_leq(total, cap);
    memcpy(body, out, total);
    *len = total;
}

/* ClientKeyExchange: the point replaced. */
static void edit_cke(struct pair *p, uint8_t *body, size_t *len, size_t cap, void *ref)
{
    (void)p;
    const struct bad_case *bc = ((struct edit_ref *)ref)->bc;
    uint8_t out[512];
    size_t n = body[0];
    cr_assert_eq(*len, 1 + n);
    size_t m;
    if (bc->kind == BAD_TRAILING) {
        memcpy(out, body + 1, n);
        m = n;
        out[m] = 0;
        cr_assert_leq(m + 2, cap);
        body[0] = (uint8_t)m;
        memcpy(body + 1, out, m + 1);
        *len = m + 2;
        return;
    }
    m = bad_point(bc->kind, bc->group, body + 1, n, out);
    cr_assert_leq(m + 1, cap);
    body[0] = (uint8_t)m;
    memcpy(body + 1, out, m);
    *len = 1 + m;
}

ParameterizedTestParameters(ecdhe, bad_key_exchange)
{
    static struct bad_case cases[64];
    size_t k = 0;
    static const uint16_t pc[] = {SSLX_GROUP_SECP256R1, SSLX_GROUP_SECP384R1};
    static const int pkinds[] = {BAD_OFF_CURVE, BAD_SHORT, BAD_LONG, BAD_COMPRESSED, BAD_HYBRID,
                                 BAD_IDENTITY, BAD_X_GE_P};
    for (int client = 0; client < 2; client++) {
        for (size_t g = 0; g < 2; g++)
            for (size_t i = 0; i < sizeof pkinds / sizeof pkinds[0]; i++)
                cases[k++] = (struct bad_case){pkinds[i], pc[g], client, AL_ILLEGAL};
        cases[k++] = (struct bad_case){BAD_ZERO_SHARE, SSLX_GROUP_X25519, client, AL_ILLEGAL};
        cases[k++] = (struct bad_case){BAD_ONE_SHARE, SSLX_GROUP_X25519, client, AL_ILLEGAL};
        cases[k++] = (struct bad_case){BAD_SHORT, SSLX_GROUP_X25519, client, AL_ILLEGAL};
        cases[k++] = (struct bad_case){BAD_LONG, SSLX_GROUP_X25519, client, AL_ILLEGAL};
        cases[k++] = (struct bad_case){BAD_EMPTY, SSLX_GROUP_SECP256R1, client, AL_DECODE};
        cases[k++] = (struct bad_case){BAD_TRAILING, SSLX_GROUP_SECP256R1, client, AL_DECODE};
    }
    cases[k++] = (struct bad_case){BAD_OTHER_GROUP, SSLX_GROUP_SECP256R1, 0, AL_ILLEGAL};
    cases[k++] = (struct bad_case){BAD_EXPLICIT, SSLX_GROUP_SECP256R1, 0, AL_ILLEGAL};
    return cr_make_param_array(struct bad_case, cases, k);
}

ParameterizedTest(struct bad_case *bc, ecdhe, bad_key_exchange, .timeout = 60)
{
    static const uint16_t s = TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;
    struct pair_config c;
    config(&c, &s, 1, kTLSProtocol12);
    struct pair p;
    struct pkx_mitm m;
    struct edit_ref er = {bc, &m};
    pkx_mitm_edit(&m, &p, &c, bc->client ? PAIR_CLIENT : PAIR_SERVER,
                  bc->client ? HT_CKE : HT_SKE, bc->client ? edit_cke : edit_ske, &er);
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(SSLXSetGroups(p.s[PAIR_CLIENT].ctx, &bc->group, 1), SSLNoErr);
    int r = pair_handshake(&p);
    char what[96];
    snprintf(what, sizeof what, "%s %s, group %04x", bc->client ? "ClientKeyExchange" :
             "ServerKeyExchange", bad_names[bc->kind], bc->group);
    cr_expect_eq(m.edited, 1, "%s: edited", what);
    int victim = bc->client ? PAIR_SERVER : PAIR_CLIENT;
    expect_refusal(&p, r, victim, bc->alert == AL_DECODE || bc->alert == AL_ILLEGAL ?
                   SSLProtocolErr : SSLNegotiationErr, bc->alert, what);
    pair_free(&p);
    expect_no_leaks(&p);
}

/* The re-signing is sound: the same surgery that changes nothing goes through. */
Test(ecdhe, resigned_key_exchange_is_accepted, .timeout = 60)
{
    static const uint16_t s = TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;
    static const uint16_t groups[] = {SSLX_GROUP_X25519, SSLX_GROUP_SECP256R1,
                                      SSLX_GROUP_SECP384R1};
    for (int i = 0; i < 3; i++) {
        struct bad_case bc = {-1, groups[i], 0, 0};
        struct pair_config c;
        config(&c, &s, 1, kTLSProtocol12);
        struct pair p;
        struct pkx_mitm m;
        struct edit_ref er = {&bc, &m};
        pkx_mitm_edit(&m, &p, &c, PAIR_SERVER, HT_SKE, edit_ske, &er);
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        cr_assert_eq(SSLXSetGroups(p.s[PAIR_CLIENT].ctx, &groups[i], 1), SSLNoErr);
        cr_expect_eq(pair_handshake(&p), PAIR_OK, "%04x: %s / %s", groups[i],
                     SSLXErrorName(p.s[0].last), SSLXErrorName(p.s[1].last));
        cr_expect_eq(m.edited, 1);
        pair_free(&p);
        expect_no_leaks(&p);
    }
}

/* ec_point_formats (RFC 8422 §5.1.2, §5.2) without uncompressed: the client's refused by the
 * server, the server's by the client, both with illegal_parameter. */
static void edit_formats(struct pair *p, uint8_t *body, size_t *len, size_t cap, void *ref)
{
    (void)p, (void)cap;
    int *done = ref;
    static const uint8_t ext[] = {0x00, 0x0b, 0x00, 0x02, 0x01, 0x00};
    for (size_t i = 0; i + sizeof ext <= *len; i++)
        if (memcmp(body + i, ext, sizeof ext) == 0) {
            body[i + 5] = 1; /* ansiX962_compressed_prime only */
            *done = 1;
            return;
        }
}

Test(ecdhe, point_formats_without_uncompressed, .timeout = 60)
{
    static const uint16_t s = TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;
    for (int from = 0; from < 2; from++) {
        struct pair_config c;
        config(&c, &s, 1, kTLSProtocol12);
        struct pair p;
        struct pkx_mitm m;
        int done = 0;
        pkx_mitm_edit(&m, &p, &c, from, from == PAIR_CLIENT ? HT_CLIENT_HELLO : HT_SERVER_HELLO,
                      edit_formats, &done);
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        int r = pair_handshake(&p);
        cr_expect_eq(done, 1, "side %d sent ec_point_formats", from);
        expect_refusal(&p, r, PAIR_PEER(from), SSLProtocolErr, AL_ILLEGAL,
                       from == PAIR_CLIENT ? "client formats" : "server formats");
        pair_free(&p);
        expect_no_leaks(&p);
    }
}

/* ---- the crypto adapter alone ---- */

static SSLErr test_rand(void *ref, uint8_t *out, size_t n)
{
    uint64_t *st = ref;
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(pair_splitmix(st) >> 24);
    return SSLNoErr;
}

Test(ecdhe, ecdh_agrees_and_checks)
{
    static const uint16_t groups[] = {CRY_EC_X25519, CRY_EC_SECP256R1, CRY_EC_SECP384R1};
    uint64_t st = 7;
    for (int i = 0; i < 3; i++) {
        uint16_t g = groups[i];
        for (int round = 0; round < 5; round++) {
            uint8_t a[CRY_ECDH_MAX_PRIV], b[CRY_ECDH_MAX_PRIV], A[CRY_ECDH_MAX_PUB],
                B[CRY_ECDH_MAX_PUB], za[CRY_ECDH_MAX_SECRET], zb[CRY_ECDH_MAX_SECRET];
            size_t pl = cry_ecdh_pub_len(g), zl = cry_ecdh_secret_len(g);
            cr_assert_eq(cry_ecdh_keygen(g, a, A, test_rand, &st), SSLNoErr);
            cr_assert_eq(cry_ecdh_keygen(g, b, B, test_rand, &st), SSLNoErr);
            cr_expect(cry_ecdh_check(g, A, pl) && cry_ecdh_check(g, B, pl));
            cr_assert_eq(cry_ecdh_shared(g, a, B, pl, za), SSLNoErr);
            cr_assert_eq(cry_ecdh_shared(g, b, A, pl, zb), SSLNoErr);
            cr_expect_arr_eq(za, zb, zl, "group %04x round %d", g, round);
            if (g != CRY_EC_X25519) {
                A[pl - 1] ^= 1;
                cr_expect_not(cry_ecdh_check(g, A, pl));
                cr_expect_eq(cry_ecdh_shared(g, b, A, pl, zb), SSLProtocolErr);
            }
        }
    }
    cr_expect_not(cry_ecdh_supported(0x0019));
    cr_expect_eq(cry_ecdh_pub_len(CRY_EC_SECP256R1), 65);
    cr_expect_eq(cry_ecdh_pub_len(CRY_EC_SECP384R1), 97);
    cr_expect_eq(cry_ecdh_pub_len(CRY_EC_X25519), 32);
}

/* The P-curve multiplication is libtomcrypt's timing-resistant ladder: Debian's build says
 * "ECC (with blinding)" (LTC_ECC_TIMING_RESISTANT) and the descriptor cry_init chose points at
 * ltc_ecc_mulmod (not the fixed-point cache LTC_MECC_FP). */
Test(ecdhe, ladder_is_timing_resistant)
{
    cr_assert_eq(cry_init(), SSLNoErr);
    cr_expect(strstr(crypt_build_settings, "ECC (with blinding)") != NULL,
              "libtomcrypt built without LTC_ECC_TIMING_RESISTANT");
    cr_expect(ltc_mp.ecc_ptmul == ltc_ecc_mulmod);
}
