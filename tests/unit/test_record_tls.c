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
    cr_assert_geq(n, 14);
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
        SSLXFreeContext(c);
        SSLXFreeContext(s);
    }
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
        if (s->aead) { /* RFC 5288: explicit nonce = our sequence number */
            static const uint8_t n0[8] = {0}, n1[8] = {0, 0, 0, 0, 0, 0, 0, 1};
            cr_assert_arr_eq(a + 5, n0, 8, "%s", cname(&k[j], nm));
            cr_assert_arr_eq(b + 5, n1, 8, "%s", cname(&k[j], nm));
            cr_assert_eq(an, 5 + 8 + sizeof data + 16);
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
