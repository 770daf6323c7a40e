/*
 * test_record_tls.c - the TLS record layer (record/record_tls.c through rec3_seal/rec3_open),
 * the TLS PRF (record/prf.c) and HMAC (crypto/hmac.c). Known answers come from elsewhere:
 * tests/data/vectors/tls_prf.txt (published PRF vectors) and tls_records.txt (records built by
 * scripts/gen-tls-vectors.py with Python hmac and `cryptography`). The rest are generated
 * properties over every suite and version: round trips, every flipped byte, bad padding.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "state/ctx.h"
#include "record/alert.h"
#include "record/prf.h"
#include "record/record3.h"
#include "record/record_tls.h"
#include "crypto/hmac.h"
#include "pair.h"
#include <sslref/sslx.h>

/* ---- a small `name = value` block reader (format: tests/data/vectors/README.md) ---- */

#define MAXF 16
struct blk {
    char *name[MAXF], *value[MAXF];
    int n;
};

static int load(const char *file, char **text, struct blk *b, int max)
{
    size_t len;
    *text = pair_read_data(file, &len);
    cr_assert(*text, "cannot read %s", file);
    int n = 0;
    struct blk *cur = NULL;
    for (char *line = *text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (*line == '#')
            continue;
        if (!*line) {
            cur = NULL;
            continue;
        }
        char *eq = strstr(line, " = ");
        cr_assert(eq, "%s: bad line %s", file, line);
        *eq = '\0';
        if (!cur) {
            cr_assert_lt(n, max);
            cur = &b[n++];
            cur->n = 0;
        }
        cr_assert_lt(cur->n, MAXF);
        cur->name[cur->n] = line;
        cur->value[cur->n++] = eq + 3;
    }
    return n;
}

static const char *get(const struct blk *b, const char *name)
{
    for (int i = 0; i < b->n; i++)
        if (!strcmp(b->name[i], name))
            return b->value[i];
    cr_assert_fail("field %s missing", name);
    return NULL;
}

static size_t hexv(const struct blk *b, const char *name, uint8_t *out, size_t cap)
{
    const char *s = get(b, name);
    size_t n = strlen(s) / 2;
    cr_assert_leq(n, cap, "%s too long", name);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        cr_assert_eq(sscanf(s + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
    return n;
}

static unsigned long num(const struct blk *b, const char *name, int base)
{
    return strtoul(get(b, name), NULL, base);
}

/* ---- PRF ---- */

Test(prf, published_and_python_vectors)
{
    char *text;
    static struct blk b[16];
    int n = load("vectors/tls_prf.txt", &text, b, 16);
    cr_assert_geq(n, 5);
    static uint8_t secret[128], seed[128], want[256], got[256];
    for (int i = 0; i < n; i++) {
        size_t sl = hexv(&b[i], "secret", secret, sizeof secret);
        size_t dl = hexv(&b[i], "seed", seed, sizeof seed);
        size_t ol = hexv(&b[i], "output", want, sizeof want);
        const char *h = get(&b[i], "hash");
        int alg = !strcmp(h, "sha384") ? CRY_SHA384 : CRY_SHA256;
        uint16_t ver = (uint16_t)num(&b[i], "ver", 16);
        /* the seed split in two parts at every position gives the same output */
        for (size_t cut = 0; cut <= dl; cut += dl / 3 ? dl / 3 : 1) {
            memset(got, 0, sizeof got);
            prf_tls(ver, alg, secret, sl, get(&b[i], "label"), seed, cut, seed + cut, dl - cut, got, ol);
            cr_expect_arr_eq(got, want, ol, "%s (cut %zu)", get(&b[i], "name"), cut);
        }
    }
    free(text);
}

Test(hmac, rfc4231_case2_and_ct_variant_agree)
{
    /* RFC 4231 §4.3 test case 2: key "Jefe", data "what do ya want for nothing?" */
    static const uint8_t want256[] = {
        0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24, 0x26, 0x08, 0x95, 0x75, 0xc7,
        0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43};
    const char *d = "what do ya want for nothing?";
    uint8_t out[64], ct[64];
    cry_hmac_once(CRY_SHA256, (const uint8_t *)"Jefe", 4, d, strlen(d), out);
    cr_assert_arr_eq(out, want256, 32);
    /* cry_hmac_ct: same value as the plain HMAC for every secret length under a public maximum */
    static uint8_t data[600];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7);
    const int algs[] = {CRY_MD5, CRY_SHA1, CRY_SHA256, CRY_SHA384};
    for (int a = 0; a < 4; a++)
        for (size_t len = 300; len <= 556; len += 3) {
            struct cry_hmac m;
            cry_hmac_init(&m, algs[a], data, 20);
            cry_hmac_update(&m, "13-byte-head!", 13);
            cry_hmac_update(&m, data, len);
            cry_hmac_final(&m, out);
            cry_hmac_ct(algs[a], data, 20, (const uint8_t *)"13-byte-head!", 13, data, len, 556, ct);
            cr_assert_arr_eq(out, ct, cry_hash_len(algs[a]), "alg %d len %zu", algs[a], len);
        }
}

/* ---- ChaCha20-Poly1305 through the adapter (crypto_ltc.c over crypto/chacha.c) ---- */

Test(aead, chacha20_poly1305_rfc8439_vector)
{
    /* RFC 8439 §2.8.2: key 80..9f, nonce 07000000 || 4041424344454647, AAD 50515253c0c1c2c3c4c5c6c7 */
    static const char pt_text[] = "Ladies and Gentlemen of the class of '99: If I could offer you "
                                  "only one tip for the future, sunscreen would be it.";
    static const uint8_t nonce[12] = {0x07, 0, 0, 0, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47};
    static const uint8_t aad[12] = {0x50, 0x51, 0x52, 0x53, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7};
    static const uint8_t want_ct[114] = {
        0xd3, 0x1a, 0x8d, 0x34, 0x64, 0x8e, 0x60, 0xdb, 0x7b, 0x86, 0xaf, 0xbc, 0x53, 0xef, 0x7e, 0xc2,
        0xa4, 0xad, 0xed, 0x51, 0x29, 0x6e, 0x08, 0xfe, 0xa9, 0xe2, 0xb5, 0xa7, 0x36, 0xee, 0x62, 0xd6,
        0x3d, 0xbe, 0xa4, 0x5e, 0x8c, 0xa9, 0x67, 0x12, 0x82, 0xfa, 0xfb, 0x69, 0xda, 0x92, 0x72, 0x8b,
        0x1a, 0x71, 0xde, 0x0a, 0x9e, 0x06, 0x0b, 0x29, 0x05, 0xd6, 0xa5, 0xb6, 0x7e, 0xcd, 0x3b, 0x36,
        0x92, 0xdd, 0xbd, 0x7f, 0x2d, 0x77, 0x8b, 0x8c, 0x98, 0x03, 0xae, 0xe3, 0x28, 0x09, 0x1b, 0x58,
        0xfa, 0xb3, 0x24, 0xe4, 0xfa, 0xd6, 0x75, 0x94, 0x55, 0x85, 0x80, 0x8b, 0x48, 0x31, 0xd7, 0xbc,
        0x3f, 0xf4, 0xde, 0xf0, 0x8e, 0x4b, 0x7a, 0x9d, 0xe5, 0x76, 0xd2, 0x65, 0x86, 0xce, 0xc6, 0x4b,
        0x61, 0x16};
    static const uint8_t want_tag[16] = {0x1a, 0xe1, 0x0b, 0x59, 0x4f, 0x09, 0xe2, 0x6a,
                                         0x7e, 0x90, 0x2e, 0xcb, 0xd0, 0x60, 0x06, 0x91};
    uint8_t key[32], pt[114], buf[114], tag[16];
    cr_assert_eq(sizeof pt_text - 1, sizeof pt);
    memcpy(pt, pt_text, sizeof pt);
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)(0x80 + i);
    size_t sz = cry_cipher_state_size(CRY_C_CHACHA20_POLY1305);
    cr_assert(sz > 0 && sz < 1024, "state size %zu", sz);
    uint64_t *st = calloc(1, sz), *st2 = calloc(1, sz);
    cr_assert_eq(cry_cipher_init(st, CRY_C_CHACHA20_POLY1305, 1, key, 32, NULL), SSLNoErr);
    cr_assert_eq(cry_cipher_init(st2, CRY_C_CHACHA20_POLY1305, 0, key, 32, NULL), SSLNoErr);
    /* seal twice (the key is kept, each message starts afresh), out of place then in place */
    for (int rep = 0; rep < 2; rep++) {
        memcpy(buf, pt, sizeof pt);
        cr_assert_eq(cry_aead_seal(st, nonce, 12, aad, 12, rep ? buf : pt, buf, sizeof pt, tag), SSLNoErr);
        cr_assert_arr_eq(buf, want_ct, sizeof want_ct, "rep %d", rep);
        cr_assert_arr_eq(tag, want_tag, 16, "rep %d", rep);
    }
    /* open in place */
    cr_assert_eq(cry_aead_open(st2, nonce, 12, aad, 12, buf, buf, sizeof buf, tag), SSLNoErr);
    cr_assert_arr_eq(buf, pt, sizeof pt);
    /* any flipped bit of ciphertext, tag, AAD or nonce: SSLProtocolErr and no plaintext left */
    static const uint8_t zero[114];
    for (int what = 0; what < 4; what++) {
        uint8_t c[114], t[16], a[12], n[12];
        memcpy(c, want_ct, sizeof c), memcpy(t, want_tag, 16), memcpy(a, aad, 12), memcpy(n, nonce, 12);
        uint8_t *p = what == 0 ? c + 77 : what == 1 ? t + 15 : what == 2 ? a : n + 11;
        *p ^= 0x80;
        cr_assert_eq(cry_aead_open(st2, n, 12, a, 12, c, c, sizeof c, t), SSLProtocolErr, "what %d", what);
        cr_assert_arr_eq(c, zero, sizeof c, "what %d: plaintext left", what);
    }
    /* empty text with the 12-byte AAD: the AAD is still padded to 16 (RFC 8439 §2.8; libtomcrypt
     * 1.18.2 got this wrong). Tag from Python's `cryptography` (OpenSSL). */
    static const uint8_t empty_tag[16] = {0xe6, 0x22, 0xe5, 0x64, 0x7a, 0x38, 0xd9, 0x67,
                                          0xa7, 0xec, 0xbc, 0xb4, 0x6c, 0x7f, 0x67, 0x5c};
    cr_assert_eq(cry_aead_seal(st, nonce, 12, aad, 12, NULL, NULL, 0, tag), SSLNoErr);
    cr_assert_arr_eq(tag, empty_tag, 16);
    cr_assert_eq(cry_aead_open(st2, nonce, 12, aad, 12, NULL, NULL, 0, empty_tag), SSLNoErr);
    /* empty message, no AAD: still a tag (RFC 8439 §2.8 pads nothing, lengths 0 || 0) */
    cr_assert_eq(cry_aead_seal(st, nonce, 12, NULL, 0, NULL, NULL, 0, tag), SSLNoErr);
    cr_assert_eq(cry_aead_open(st2, nonce, 12, NULL, 0, NULL, NULL, 0, tag), SSLNoErr);
    tag[0] ^= 1;
    cr_assert_eq(cry_aead_open(st2, nonce, 12, NULL, 0, NULL, NULL, 0, tag), SSLProtocolErr);
    /* arguments the adapter refuses */
    cr_assert_eq(cry_aead_seal(st, nonce, 8, aad, 12, pt, buf, sizeof pt, tag), SSLBadParameterErr);
    cr_assert_eq(cry_aead_seal(st, nonce, 16, aad, 12, pt, buf, sizeof pt, tag), SSLBadParameterErr);
    cr_assert_eq(cry_cipher_run(st, pt, buf, sizeof pt), SSLBadParameterErr);
    cr_assert_eq(cry_cipher_init(st, CRY_C_CHACHA20_POLY1305, 1, key, 16, NULL), SSLBadParameterErr);
    cr_assert_eq(cry_aead_seal(st, nonce, 12, aad, 12, pt, buf, sizeof pt, tag), SSLBadParameterErr,
                 "a state whose keying failed is refused");
    cry_cipher_wipe(st);
    cry_cipher_wipe(st2);
    free(st), free(st2);
}

/* ---- contexts keyed from a master secret ---- */

static const uint8_t *fixed_rand; /* test-only: the bytes the next random call returns */
static SSLErr rand_fixed(SSLBuffer b, void *ref)
{
    (void)ref;
    if (fixed_rand)
        memcpy(b.data, fixed_rand, b.length);
    else
        for (uint32_t i = 0; i < b.length; i++)
            b.data[i] = (uint8_t)rand();
    return SSLNoErr;
}

static SSLContext *keyed(uint16_t suite, uint16_t ver, int etm, int client, int writer,
                         const uint8_t *master, const uint8_t *cr, const uint8_t *sr)
{
    SSLContext *ctx = NULL;
    cr_assert_eq(SSLXNewContext(&ctx), SSLNoErr);
    ctx->side = client ? SSL_ClientSide : SSL_ServerSide;
    ctx->suite = suite_find(suite);
    cr_assert(ctx->suite, "suite %04x", suite);
    ctx->ver = ver;
    ctx->random_fn = rand_fixed;
    memcpy(ctx->master, master, 48);
    memcpy(ctx->client_random, cr, 32);
    memcpy(ctx->server_random, sr, 32);
    cr_assert_eq(rec3_derive_keys(ctx), SSLNoErr);
    cr_assert_eq(ctx->wr_pend.ver, ver);
    cr_assert_eq(ctx->rd_pend.ver, ver);
    if (writer) {
        rec3_activate_write(ctx);
        ctx->wr_cur.etm = (uint8_t)etm;
    } else {
        rec3_activate_read(ctx);
        ctx->rd_cur.etm = (uint8_t)etm;
    }
    return ctx;
}

/* Put one raw record into ctx->in and open it. */
static SSLErr feed(SSLContext *ctx, const uint8_t *rec, uint32_t n)
{
    if (ctx->in.length < n) {
        ctx_free(ctx, &ctx->in);
        cr_assert_eq(ctx_alloc(ctx, &ctx->in, n), SSLNoErr);
    }
    memcpy(ctx->in.data, rec, n);
    ctx->in_start = 0;
    ctx->in_end = n;
    ctx->rec_type = 0;
    ctx->rec_len = 0;
    uint32_t len;
    SSLErr e = rec3_complete_len(ctx, &len);
    if (e)
        return e;
    cr_assert_eq(len, n, "complete_len");
    return rec3_open(ctx);
}

Test(records, independent_vectors)
{
    char *text;
    static struct blk b[32];
    int n = load("vectors/tls_records.txt", &text, b, 32);
    cr_assert_geq(n, 17);
    int chacha = 0;
    static uint8_t master[48], cr[32], sr[32], rnd[16], pt[20000], frag[20000];
    for (int i = 0; i < n; i++) {
        uint16_t suite = (uint16_t)num(&b[i], "suite", 16), ver = (uint16_t)num(&b[i], "ver", 16);
        int etm = (int)num(&b[i], "etm", 10);
        uint64_t seq = num(&b[i], "seq", 10);
        uint8_t type = (uint8_t)num(&b[i], "type", 10);
        hexv(&b[i], "master", master, 48);
        hexv(&b[i], "client_random", cr, 32);
        hexv(&b[i], "server_random", sr, 32);
        size_t rl = hexv(&b[i], "random", rnd, sizeof rnd);
        size_t pl = hexv(&b[i], "plaintext", pt, sizeof pt);
        size_t fl = hexv(&b[i], "fragment", frag, sizeof frag);
        SSLContext *c = keyed(suite, ver, etm, 1, 1, master, cr, sr);
        SSLContext *s = keyed(suite, ver, etm, 0, 0, master, cr, sr);
        c->wr_cur.seq = seq;
        s->rd_cur.seq = seq;
        fixed_rand = rl ? rnd : NULL;
        cr_assert_eq(rec3_seal(c, type, pt, (uint32_t)pl), SSLNoErr);
        fixed_rand = NULL;
        uint8_t hdr[5] = {type, (uint8_t)(ver >> 8), (uint8_t)ver, (uint8_t)(fl >> 8), (uint8_t)fl};
        cr_expect_eq(c->out_len, 5 + fl, "record %d (%04x v%04x): sealed %u bytes, want %zu", i, suite,
                     ver, c->out_len, 5 + fl);
        if (c->out_len == 5 + fl) {
            cr_expect_arr_eq(c->out.data, hdr, 5, "record %d header", i);
            cr_expect_arr_eq(c->out.data + 5, frag, fl, "record %d (%04x v%04x etm %d) fragment", i,
                             suite, ver, etm);
        }
        static uint8_t raw[20005];
        memcpy(raw, hdr, 5);
        memcpy(raw + 5, frag, fl);
        cr_expect_eq(feed(s, raw, 5 + (uint32_t)fl), SSLNoErr, "record %d not opened", i);
        cr_expect_eq(s->rec_type, type);
        cr_expect_eq(s->rec_len, pl, "record %d plaintext length", i);
        if (s->rec_len == pl)
            cr_expect_arr_eq(s->in.data + s->rec_off, pt, pl, "record %d plaintext", i);
        cr_expect_eq(s->rd_cur.seq, seq + 1);
        chacha += suite == TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256;
        SSLXFreeContext(c);
        SSLXFreeContext(s);
    }
    cr_expect_eq(chacha, 3, "ChaCha20-Poly1305 (RFC 7905) record vectors");
    free(text);
}

/* ---- generated: every suite x version x EtM ---- */

static const uint8_t M[48] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, CR[32] = {0xc1, 0xc2}, SR[32] = {0x51, 0x52};

struct combo {
    const struct suite *s;
    uint16_t ver;
    int etm;
};

/* Every (suite, version, etm) the table allows in TLS 1.0-1.2; EtM only for CBC. */
static int combos(struct combo *out, int max)
{
    uint32_t n;
    const struct suite *all = suite_all(&n);
    int k = 0;
    for (uint32_t i = 0; i < n; i++)
        for (uint16_t v = V_TLS10; v <= V_TLS12; v++)
            for (int etm = 0; etm < 2; etm++) {
                if (v < all[i].min_ver || v > all[i].max_ver)
                    continue;
                if (etm && (!all[i].iv_len || all[i].aead))
                    continue;
                cr_assert_lt(k, max);
                out[k++] = (struct combo){&all[i], v, etm};
            }
    return k;
}

struct pairctx {
    SSLContext *c, *s;
};

static struct pairctx pair_of(const struct combo *k)
{
    struct pairctx p = {keyed(k->s->id, k->ver, k->etm, 1, 1, M, CR, SR),
                        keyed(k->s->id, k->ver, k->etm, 0, 0, M, CR, SR)};
    return p;
}

static void pair_done(struct pairctx p)
{
    SSLXFreeContext(p.c);
    SSLXFreeContext(p.s);
}

/* Seal len bytes on the client; the raw record is copied to *raw (malloc). */
static uint32_t seal_one(SSLContext *c, uint8_t type, const uint8_t *data, uint32_t len, uint8_t **raw)
{
    c->out_off = c->out_len = 0;
    cr_assert_eq(rec3_seal(c, type, data, len), SSLNoErr);
    *raw = malloc(c->out_len);
    memcpy(*raw, c->out.data, c->out_len);
    return c->out_len;
}

static const char *cname(const struct combo *k, char *buf)
{
    sprintf(buf, "%s v%04x etm=%d", k->s->name, k->ver, k->etm);
    return buf;
}

Test(records, round_trip_every_suite_version_and_length, .timeout = 120)
{
    static struct combo k[400];
    int n = combos(k, 400);
    cr_assert_geq(n, 60);
    int chacha = 0;
    for (int j = 0; j < n; j++)
        chacha += k[j].s->cipher == CRY_C_CHACHA20_POLY1305;
    cr_assert_geq(chacha, 1, "a ChaCha20-Poly1305 suite is in the generated combinations");
    static const uint32_t lens[] = {0, 1, 15, 16, 17, 255, 256, 16384};
    static uint8_t data[16384];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 13 + 5);
    char nm[96];
    for (int j = 0; j < n; j++) {
        struct pairctx p = pair_of(&k[j]);
        for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
            uint8_t *raw;
            uint32_t rn = seal_one(p.c, CT_APPDATA, data, lens[l], &raw);
            cr_assert_eq(raw[1] << 8 | raw[2], k[j].ver, "%s: header version", cname(&k[j], nm));
            cr_assert_eq((uint32_t)(raw[3] << 8 | raw[4]), rn - 5);
            cr_assert_eq(feed(p.s, raw, rn), SSLNoErr, "%s len %u", cname(&k[j], nm), lens[l]);
            cr_assert_eq(p.s->rec_type, CT_APPDATA);
            cr_assert_eq(p.s->rec_len, lens[l], "%s len %u", cname(&k[j], nm), lens[l]);
            cr_assert_arr_eq(p.s->in.data + p.s->rec_off, data, lens[l], "%s", cname(&k[j], nm));
            free(raw);
        }
        cr_assert_eq(p.s->rd_cur.seq, 8);
        pair_done(p);
    }
}

Test(records, any_flipped_byte_is_bad_record_mac, .timeout = 300)
{
    static struct combo k[400];
    int n = combos(k, 400);
    uint8_t data[33];
    memset(data, 0x42, sizeof data);
    char nm[96];
    for (int j = 0; j < n; j++) {
        struct pairctx p = pair_of(&k[j]);
        uint8_t *raw;
        uint32_t rn = seal_one(p.c, CT_APPDATA, data, sizeof data, &raw);
        pair_done(p);
        for (uint32_t at = 5; at < rn; at++) {
            p = pair_of(&k[j]);
            raw[at] ^= (uint8_t)(1u << (at % 8));
            SSLErr e = feed(p.s, raw, rn);
            raw[at] ^= (uint8_t)(1u << (at % 8));
            cr_assert_eq(e, SSLProtocolErr, "%s: flip at %u accepted", cname(&k[j], nm), at);
            cr_assert_eq(p.s->alert_pending, AL_BAD_RECORD_MAC, "%s: flip at %u", cname(&k[j], nm), at);
            cr_assert_eq(p.s->rec_type, 0);
            cr_assert_eq(p.s->rec_len, 0);
            pair_done(p);
        }
        free(raw);
    }
}

/* A hand-made MAC-then-encrypt or EtM CBC record with the client's real keys: data, then
 * padding of padlen+1 bytes of value padlen, except byte bad_at (from the end) set to bad_val. */
static uint32_t craft_cbc(SSLContext *c, const uint8_t *data, uint32_t len, uint32_t padlen,
                          int bad_at, uint8_t bad_val, uint8_t *rec)
{
    struct dirstate *d = &c->wr_cur;
    const struct suite *s = d->suite;
    uint32_t iv = d->ver >= V_TLS11 ? s->iv_len : 0, p = 5 + iv;
    memset(rec + 5, 0x77, iv);
    memcpy(rec + p, data, len);
    if (!d->etm) {
        rectls_mac(s->mac, d->mac_secret, d->seq, CT_APPDATA, d->ver, data, len, rec + p + len);
        len += s->mac_len;
    }
    memset(rec + p + len, (int)padlen, padlen + 1);
    if (bad_at >= 0)
        rec[p + len + padlen - (uint32_t)bad_at] = bad_val;
    uint32_t enc = iv + len + padlen + 1;
    cr_assert_eq(enc % s->iv_len, 0, "craft: not whole blocks");
    cr_assert_eq(cry_cipher_run(d->cipher.data, rec + 5, rec + 5, enc), SSLNoErr);
    if (d->etm) {
        rectls_mac(s->mac, d->mac_secret, d->seq, CT_APPDATA, d->ver, rec + 5, enc, rec + 5 + enc);
        enc += s->mac_len;
    }
    rec[0] = CT_APPDATA;
    rec[1] = (uint8_t)(d->ver >> 8);
    rec[2] = (uint8_t)d->ver;
    rec[3] = (uint8_t)(enc >> 8);
    rec[4] = (uint8_t)enc;
    return 5 + enc;
}

Test(records, cbc_padding_checked_every_byte, .timeout = 120)
{
    static struct combo k[400];
    int n = combos(k, 400);
    uint8_t data[64], rec[700];
    memset(data, 0x61, sizeof data);
    char nm[96];
    int cases = 0;
    for (int j = 0; j < n; j++) {
        const struct suite *s = k[j].s;
        if (!s->iv_len || s->aead)
            continue;
        uint32_t bs = s->iv_len, macl = k[j].etm ? 0 : s->mac_len;
        /* data length making data+mac+padlen byte whole blocks with padlen = 2*bs - 1 + extra */
        uint32_t len = 20, extra = bs - (len + macl + 1) % bs;
        uint32_t padlen = extra % bs + 2 * bs; /* long padding (allowed in TLS, up to 255) */
        for (int bad = -1; bad <= (int)padlen; bad++) {
            struct pairctx p = pair_of(&k[j]);
            uint32_t rn = craft_cbc(p.c, data, len, padlen, bad, (uint8_t)(padlen ^ 0x01), rec);
            SSLErr e = feed(p.s, rec, rn);
            if (bad < 0) { /* the control: well-formed long padding is accepted */
                cr_assert_eq(e, SSLNoErr, "%s: good long padding refused", cname(&k[j], nm));
                cr_assert_eq(p.s->rec_len, len);
                cr_assert_arr_eq(p.s->in.data + p.s->rec_off, data, len);
            } else {
                cr_assert_eq(e, SSLProtocolErr, "%s: bad padding byte %d accepted", cname(&k[j], nm), bad);
                cr_assert_eq(p.s->alert_pending, AL_BAD_RECORD_MAC);
                cr_assert_eq(p.s->rec_len, 0);
            }
            pair_done(p);
            cases++;
        }
        /* a padding length pointing before the start of the record */
        struct pairctx p = pair_of(&k[j]);
        uint32_t rn = craft_cbc(p.c, data, len, padlen, 0, 250, rec);
        cr_assert_eq(feed(p.s, rec, rn), SSLProtocolErr, "%s: padlen 250", cname(&k[j], nm));
        cr_assert_eq(p.s->alert_pending, AL_BAD_RECORD_MAC);
        pair_done(p);
    }
    cr_assert_gt(cases, 100);
}

/* Records too short for their protection (GCM below nonce + tag, CBC below IV + one block or
 * IV + MAC + padding byte, EtM below the MAC, stream/NULL below the MAC) or not whole blocks, at
 * every length up to a few blocks: bad_record_mac, nothing delivered. */
Test(records, short_and_misaligned_records, .timeout = 120)
{
    static struct combo k[400];
    int n = combos(k, 400);
    uint8_t rec[5 + 128];
    char nm[96];
    int cases = 0;
    for (int j = 0; j < n; j++) {
        const struct suite *s = k[j].s;
        uint32_t bs = s->iv_len ? s->iv_len : 1;
        uint32_t iv = s->aead ? 8 : k[j].ver >= V_TLS11 ? s->iv_len : 0;
        /* the shortest record that could be well formed */
        uint32_t min = s->aead ? 8 + 16 : !s->iv_len ? s->mac_len
                     : k[j].etm ? iv + bs + s->mac_len : iv + ((s->mac_len + 1 + bs - 1) / bs) * bs;
        for (uint32_t len = 0; len < min + 2 * bs && len <= 128; len++) {
            uint32_t enc = k[j].etm ? (len >= s->mac_len ? len - s->mac_len : 1) : len;
            if (len >= min && (s->aead || !s->iv_len || enc % bs == 0))
                continue; /* well-formed length: the flipped-byte test covers its content */
            struct pairctx p = pair_of(&k[j]);
            rec[0] = CT_APPDATA, rec[1] = (uint8_t)(k[j].ver >> 8), rec[2] = (uint8_t)k[j].ver;
            rec[3] = 0, rec[4] = (uint8_t)len;
            for (uint32_t i = 0; i < len; i++)
                rec[5 + i] = (uint8_t)(i * 37 + len);
            SSLErr e = feed(p.s, rec, 5 + len);
            cr_assert_eq(e, SSLProtocolErr, "%s: %u-byte record accepted", cname(&k[j], nm), len);
            cr_assert_eq(p.s->alert_pending, AL_BAD_RECORD_MAC, "%s: %u bytes", cname(&k[j], nm), len);
            cr_assert_eq(p.s->rec_len, 0);
            pair_done(p);
            cases++;
        }
    }
    cr_assert_gt(cases, 200);
}

Test(records, explicit_ivs_and_gcm_nonces)
{
    static struct combo k[400];
    int n = combos(k, 400);
    uint8_t data[40] = {0};
    char nm[96];
    for (int j = 0; j < n; j++) {
        const struct suite *s = k[j].s;
        struct pairctx p = pair_of(&k[j]);
        uint8_t *a, *b;
        uint32_t an = seal_one(p.c, CT_APPDATA, data, sizeof data, &a);
        uint32_t bn = seal_one(p.c, CT_APPDATA, data, sizeof data, &b);
        cr_assert_eq(an, bn);
        if (s->aead) {
            /* the table: a 12-byte nonce, fixed || explicit; GCM 4 || 8, ChaCha20-Poly1305 12 || 0 */
            uint32_t nx = s->nonce_explicit;
            cr_assert_eq(s->iv_len + nx, 12, "%s", cname(&k[j], nm));
            cr_assert_eq(nx, s->cipher == CRY_C_AES_GCM ? 8u : 0u, "%s", cname(&k[j], nm));
            cr_assert_eq(s->mac_len, 0);
            cr_assert_eq(an, 5 + nx + sizeof data + 16, "%s", cname(&k[j], nm));
            if (nx) { /* RFC 5288: explicit nonce = our sequence number */
                static const uint8_t n0[8] = {0}, n1[8] = {0, 0, 0, 0, 0, 0, 0, 1};
                cr_assert_arr_eq(a + 5, n0, 8, "%s", cname(&k[j], nm));
                cr_assert_arr_eq(b + 5, n1, 8, "%s", cname(&k[j], nm));
            } else { /* RFC 7905: the sequence number changes the nonce: same data, other bytes */
                cr_assert(memcmp(a + 5, b + 5, sizeof data), "%s: same keystream twice",
                          cname(&k[j], nm));
            }
        } else if (s->iv_len && k[j].ver >= V_TLS11) {
            cr_assert(memcmp(a + 5, b + 5, s->iv_len), "%s: same IV twice", cname(&k[j], nm));
        }
        if (s->iv_len && !s->aead) { /* one explicit IV block from TLS 1.1, none before */
            uint32_t macl = s->mac_len, bs = s->iv_len;
            uint32_t want = (k[j].ver >= V_TLS11 ? bs : 0) +
                            (k[j].etm ? (40 / bs + 1) * bs + macl : ((40 + macl) / bs + 1) * bs);
            cr_assert_eq(an - 5, want, "%s: sealed length", cname(&k[j], nm));
        }
        cr_assert_eq(rec3_write_is_cbc(p.c), s->iv_len && !s->aead && k[j].ver == V_TLS10,
                     "%s: write_is_cbc", cname(&k[j], nm));
        cr_assert_eq(feed(p.s, a, an), SSLNoErr);
        cr_assert_eq(feed(p.s, b, bn), SSLNoErr);
        free(a), free(b);
        pair_done(p);
    }
}

/* AEAD records too short for their explicit nonce and tag (GCM 8 + 16, ChaCha20-Poly1305 0 + 16),
 * or opened at another sequence number (in the AAD; ChaCha20-Poly1305's nonce too): one
 * bad_record_mac, nothing delivered. */
Test(records, aead_short_records_and_wrong_sequence)
{
    static struct combo k[400];
    int n = combos(k, 400), aeads = 0;
    char nm[96];
    for (int j = 0; j < n; j++) {
        const struct suite *s = k[j].s;
        if (!s->aead)
            continue;
        aeads++;
        for (uint32_t len = 0; len < s->nonce_explicit + 16u; len++) {
            struct pairctx p = pair_of(&k[j]);
            uint8_t rec[5 + 24];
            memset(rec, 0x5a, sizeof rec);
            rec[0] = CT_APPDATA, rec[1] = 3, rec[2] = 3, rec[3] = 0, rec[4] = (uint8_t)len;
            cr_assert_eq(feed(p.s, rec, 5 + len), SSLProtocolErr, "%s: %u bytes", cname(&k[j], nm), len);
            cr_assert_eq(p.s->alert_pending, AL_BAD_RECORD_MAC);
            cr_assert_eq(p.s->rec_len, 0);
            pair_done(p);
        }
        struct pairctx p = pair_of(&k[j]);
        uint8_t *raw, data[20] = {1, 2, 3};
        p.c->wr_cur.seq = 5;
        uint32_t rn = seal_one(p.c, CT_APPDATA, data, sizeof data, &raw);
        p.s->rd_cur.seq = 4; /* the AAD's seq differs, and ChaCha's nonce */
        cr_assert_eq(feed(p.s, raw, rn), SSLProtocolErr, "%s: wrong sequence", cname(&k[j], nm));
        cr_assert_eq(p.s->alert_pending, AL_BAD_RECORD_MAC);
        pair_done(p);
        p = pair_of(&k[j]);
        p.s->rd_cur.seq = 5;
        cr_assert_eq(feed(p.s, raw, rn), SSLNoErr, "%s: right sequence", cname(&k[j], nm));
        cr_assert_arr_eq(p.s->in.data + p.s->rec_off, data, sizeof data);
        pair_done(p);
        free(raw);
    }
    cr_assert_geq(aeads, 5);
}

Test(records, record_overflow_and_versions)
{
    /* a NULL-SHA TLS 1.0 record whose plaintext is 2^14 + 1 bytes: record_overflow (22) */
    struct combo k = {suite_find(SSL_RSA_WITH_NULL_SHA), V_TLS10, 0};
    struct pairctx p = pair_of(&k);
    static uint8_t rec[5 + 16385 + 20];
    memset(rec + 5, 'x', 16385);
    rectls_mac(MAC_SHA1, p.c->wr_cur.mac_secret, 0, CT_APPDATA, V_TLS10, rec + 5, 16385, rec + 5 + 16385);
    uint32_t n = 16385 + 20;
    uint8_t hdr[5] = {CT_APPDATA, 3, 1, (uint8_t)(n >> 8), (uint8_t)n};
    memcpy(rec, hdr, 5);
    cr_assert_eq(feed(p.s, rec, 5 + n), SSLProtocolErr);
    cr_assert_eq(p.s->alert_pending, AL_RECORD_OVERFLOW);
    pair_done(p);

    /* header versions: before the version is known 3.0-3.3 are read, after only the one */
    SSLContext *ctx = NULL;
    cr_assert_eq(SSLXNewContext(&ctx), SSLNoErr);
    cr_assert_eq(ctx_alloc(ctx, &ctx->in, 16), SSLNoErr);
    const uint16_t vers[] = {0x0300, 0x0301, 0x0302, 0x0303, 0x0304, 0x0200, 0x0401};
    for (int known = 0; known < 2; known++)
        for (size_t i = 0; i < sizeof vers / sizeof vers[0]; i++) {
            ctx->ver = known ? V_TLS11 : 0;
            ctx->alert_pending = -1;
            uint8_t r[7] = {CT_HANDSHAKE, (uint8_t)(vers[i] >> 8), (uint8_t)vers[i], 0, 2, 1, 2};
            memcpy(ctx->in.data, r, 7);
            ctx->in_start = 0;
            ctx->in_end = 7;
            uint32_t len = 0;
            SSLErr e = rec3_complete_len(ctx, &len);
            int ok = known ? vers[i] == V_TLS11 : vers[i] >= 0x0300 && vers[i] <= 0x0303;
            cr_assert_eq(e == SSLNoErr, ok, "version %04x known=%d", vers[i], known);
            cr_assert_eq(len, ok ? 7u : 0u);
        }
    /* sent header: ctx->ver, else rec_ver, else 3.0 */
    const uint16_t sets[][3] = {{0, 0, 0x0300}, {0, V_TLS10, V_TLS10}, {V_TLS12, V_TLS10, V_TLS12}};
    for (int i = 0; i < 3; i++) {
        ctx->ver = sets[i][0];
        ctx->rec_ver = sets[i][1];
        ctx->out_off = ctx->out_len = 0;
        cr_assert_eq(rec3_seal(ctx, CT_HANDSHAKE, (const uint8_t *)"hi", 2), SSLNoErr);
        cr_assert_eq(ctx->out.data[1] << 8 | ctx->out.data[2], sets[i][2]);
    }
    SSLXFreeContext(ctx);
}

/* Issue 18: a TLS direction with an HMAC-SHA-1 / HMAC-SHA-256 MAC keeps its key as a keyed HMAC
 * (mac_key, no key-block compressions per record); other MACs and AEAD leave it unset. Records
 * sealed on the keyed path open on the re-keying path (mac_key cleared on the reader) and back,
 * for every combination, with and without EtM, at several lengths (both CBC MAC checks). */
Test(records, keyed_mac_state_matches_rekeying, .timeout = 120)
{
    static struct combo k[400];
    int n = combos(k, 400), keyed_seen = 0;
    static uint8_t data[1500];
    memset(data, 'k', sizeof data);
    for (int j = 0; j < n; j++) {
        char nm[128];
        int want = !k[j].s->aead && (k[j].s->mac == MAC_SHA1 || k[j].s->mac == MAC_SHA256);
        for (int dir = 0; dir < 2; dir++) { /* 0: the reader re-keys; 1: the writer re-keys */
            struct pairctx p = pair_of(&k[j]);
            cr_assert_eq(p.c->wr_cur.mac_key.set, (uint32_t)want, "%s: writer", cname(&k[j], nm));
            cr_assert_eq(p.s->rd_cur.mac_key.set, (uint32_t)want, "%s: reader", cname(&k[j], nm));
            keyed_seen += want;
            cry_wipe(dir ? &p.c->wr_cur.mac_key : &p.s->rd_cur.mac_key, sizeof(struct cry_hmac_key));
            for (uint32_t len = 0; len <= sizeof data; len += 257) {
                uint8_t *raw;
                uint32_t rn = seal_one(p.c, CT_APPDATA, data, len, &raw);
                cr_assert_eq(feed(p.s, raw, rn), SSLNoErr, "%s len %u dir %d", cname(&k[j], nm), len,
                             dir);
                cr_assert_arr_eq(p.s->in.data + p.s->rec_off, data, len);
                free(raw);
            }
            pair_done(p);
        }
    }
    cr_assert_geq(keyed_seen, 20, "too few keyed MAC states: %d", keyed_seen);
}
