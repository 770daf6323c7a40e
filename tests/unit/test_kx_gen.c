/*
 * test_kx_gen.c - generated negative cases for the key-exchange and client-authentication messages
 * (DESIGN.md §4): for ServerKeyExchange (DHE-RSA, anonymous, export RSA), CertificateRequest, the
 * client's Certificate, ClientKeyExchange (DH and RSA) and CertificateVerify, every truncation of
 * the body (the handshake header telling the truth) and every one-byte change of every length field
 * must end the handshake with an error on the receiving side, never a crash, a hang or a leak.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pair.h"
#include "pair_kx.h"

struct target {
    const char *name;
    uint16_t suite;
    int from;         /* the side that sends the message */
    uint8_t type;
    int auth;         /* the server asks for and the client sends a certificate */
};

static const struct target targets[] = {
    {"ServerKeyExchange DHE-RSA", TLS_DHE_RSA_WITH_AES_128_CBC_SHA, PAIR_SERVER, 12, 0},
    {"ServerKeyExchange anonymous", SSL_DH_anon_WITH_3DES_EDE_CBC_SHA, PAIR_SERVER, 12, 0},
    {"ServerKeyExchange export RSA", SSL_RSA_EXPORT_WITH_DES40_CBC_SHA, PAIR_SERVER, 12, 0},
    {"CertificateRequest", SSL_RSA_WITH_RC4_128_SHA, PAIR_SERVER, 13, 1},
    {"client Certificate", TLS_RSA_WITH_AES_256_CBC_SHA, PAIR_CLIENT, 11, 1},
    {"ClientKeyExchange DH", SSL_DHE_RSA_WITH_3DES_EDE_CBC_SHA, PAIR_CLIENT, 16, 0},
    {"ClientKeyExchange RSA export", SSL_RSA_EXPORT_WITH_RC4_40_MD5, PAIR_CLIENT, 16, 0},
    {"CertificateVerify", TLS_DHE_RSA_WITH_AES_128_CBC_SHA, PAIR_CLIENT, 15, 1},
};
#define NTARGETS ((int)(sizeof targets / sizeof targets[0]))

static const char *const client_chain[] = {"client-cert.pem", "ca-cert.pem"};

enum op { OP_NONE, OP_TRUNC, OP_SET };

struct mutation {
    int op;
    size_t n;     /* OP_TRUNC: bytes kept; OP_SET: offset */
    uint8_t val;  /* OP_SET */
    uint8_t orig[4096];
    size_t orig_len;
};

static void edit_mutate(struct pair *p, uint8_t *body, size_t *len, size_t cap, void *ref)
{
    (void)p, (void)cap;
    struct mutation *mu = ref;
    memcpy(mu->orig, body, *len < sizeof mu->orig ? *len : sizeof mu->orig);
    mu->orig_len = *len;
    if (mu->op == OP_TRUNC && mu->n < *len)
        *len = mu->n;
    else if (mu->op == OP_SET && mu->n < *len)
        body[mu->n] = mu->val;
}

/* One handshake with the mutation; returns the receiver's result (and the message as sent). */
static SSLErr run(const struct target *t, struct mutation *mu, int *result)
{
    struct pair_config c;
    pair_config_init(&c);
    pair_config_suite(&c, &t->suite);
    c.dh_params = "dh1024.pem";
    c.export_key = "export512-key.pem";
    if (t->auth) {
        c.request_client_cert = 1;
        c.client_key = "client-key.pem";
    }
    struct pair p;
    struct pkx_mitm m;
    pkx_mitm_edit(&m, &p, &c, t->from, t->type, edit_mutate, mu);
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    if (t->auth)
        cr_assert_eq(pkx_add_chain(p.s[PAIR_CLIENT].ctx, client_chain, 2), SSLNoErr);
    *result = pair_handshake(&p);
    cr_assert_eq(m.edited, 1, "%s was seen", t->name);
    SSLErr e = p.s[PAIR_PEER(t->from)].last;
    pair_free(&p);
    for (int side = 0; side < 2; side++)
        cr_expect_eq(p.s[side].alloc.live_blocks, 0, "%s: side %d leaks", t->name, side);
    return e;
}

/* Offsets of the length fields in the message body (each byte of each field). */
static int length_bytes(const struct target *t, const uint8_t *b, size_t len, size_t *out, int cap)
{
    int n = 0;
    size_t o = 0;
#define ADD(at, w)                                                                                 \
    for (size_t i_ = 0; i_ < (w) && n < cap; i_++)                                                 \
        out[n++] = (at) + i_;
    switch (t->type) {
    case 12: { /* u16-prefixed numbers, then (unless anonymous) the u16-prefixed signature */
        int fields = t->suite == SSL_RSA_EXPORT_WITH_DES40_CBC_SHA ? 2 : 3;
        if (t->suite != SSL_DH_anon_WITH_3DES_EDE_CBC_SHA)
            fields++;
        for (int f = 0; f < fields && o + 2 <= len; f++) {
            ADD(o, 2);
            o += 2 + ((size_t)b[o] << 8 | b[o + 1]);
        }
        break;
    }
    case 13: /* u8 types, u16 list, (u16 name)* */
        ADD(0, 1);
        o = 1 + b[0];
        if (o + 2 <= len) {
            ADD(o, 2);
            o += 2;
        }
        while (o + 2 <= len) {
            ADD(o, 2);
            o += 2 + ((size_t)b[o] << 8 | b[o + 1]);
        }
        break;
    case 11: /* u24 list, (u24 cert)* */
        ADD(0, 3);
        o = 3;
        while (o + 3 <= len) {
            ADD(o, 3);
            o += 3 + ((size_t)b[o] << 16 | (size_t)b[o + 1] << 8 | b[o + 2]);
        }
        break;
    case 16: /* DH: u16 Yc; RSA (SSL 3.0): no length */
    case 15: /* u16 signature */
        if (t->suite != SSL_RSA_EXPORT_WITH_RC4_40_MD5)
            ADD(0, 2);
        break;
    }
#undef ADD
    return n;
}

ParameterizedTestParameters(kx_gen, mutations)
{
    static int idx[NTARGETS];
    for (int i = 0; i < NTARGETS; i++)
        idx[i] = i;
    return cr_make_param_array(int, idx, NTARGETS);
}

static void expect_error(const struct target *t, int r, SSLErr e, const char *what)
{
    cr_expect_eq(r, PAIR_FAILED, "%s: %s: handshake result %d", t->name, what, r);
    cr_expect(e != SSLNoErr && e != SSLWouldBlockErr, "%s: %s: the receiver returned %s", t->name,
              what, SSLXErrorName(e));
}

ParameterizedTest(int *i, kx_gen, mutations, .timeout = 300)
{
    const struct target *t = &targets[*i];
    struct mutation mu;
    memset(&mu, 0, sizeof mu);
    int r;
    /* control: the message passes unchanged */
    mu.op = OP_NONE;
    SSLErr e = run(t, &mu, &r);
    cr_assert_eq(r, PAIR_OK, "%s unchanged: %s", t->name, SSLXErrorName(e));
    size_t len = mu.orig_len;
    uint8_t orig[4096];
    cr_assert_leq(len, sizeof orig);
    memcpy(orig, mu.orig, len);
    char what[64];
    for (size_t k = 0; k < len; k++) {
        memset(&mu, 0, sizeof mu);
        mu.op = OP_TRUNC;
        mu.n = k;
        snprintf(what, sizeof what, "truncated to %zu of %zu", k, len);
        e = run(t, &mu, &r);
        expect_error(t, r, e, what);
    }
    size_t offs[64];
    int noff = length_bytes(t, orig, len, offs, 64);
    if (!(t->type == 16 && t->suite == SSL_RSA_EXPORT_WITH_RC4_40_MD5)) /* raw RSA: no lengths */
        cr_assert_gt(noff, 0);
    static const int deltas[] = {1, -1, 0x10, -0x10, 0x80};
    for (int j = 0; j < noff; j++) {
        uint8_t vals[8];
        int nv = 0;
        for (size_t d = 0; d < sizeof deltas / sizeof deltas[0]; d++)
            vals[nv++] = (uint8_t)(orig[offs[j]] + deltas[d]);
        vals[nv++] = 0x00;
        vals[nv++] = 0xff;
        for (int v = 0; v < nv; v++) {
            if (vals[v] == orig[offs[j]])
                continue;
            memset(&mu, 0, sizeof mu);
            mu.op = OP_SET;
            mu.n = offs[j];
            mu.val = vals[v];
            snprintf(what, sizeof what, "byte %zu %02x -> %02x", offs[j], orig[offs[j]], vals[v]);
            e = run(t, &mu, &r);
            expect_error(t, r, e, what);
        }
    }
}
