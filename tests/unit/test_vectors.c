/*
 * test_vectors.c - known-answer tests from vectors sslref did not compute: NSS-to-NSS SSL 3.0
 * sessions decrypted by tshark (tests/data/vectors/README.md). The engine's own functions must
 * reproduce the pre-master (RSA decryption), master secret, key block, every record (opened by
 * rec3_open and sealed again byte for byte by rec3_seal) and both Finished hashes.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "state/ctx.h"
#include "record/kdf3.h"
#include "record/mac3.h"
#include "pair.h"
#include "crypto/pkcs1.h"
#include "record/record3.h"
#include "state/suites.h"
#include <sslref/sslx.h>

/* ---- the block parser: `name = value` lines, blocks separated by empty lines ---- */

#define MAX_FIELDS 24

struct block {
    char *name[MAX_FIELDS], *value[MAX_FIELDS];
    int n;
};

struct vecfile {
    char *text;
    struct block *b;
    int n;
};

static void vec_load(struct vecfile *f, const char *name)
{
    size_t len;
    f->text = pair_read_data(name, &len);
    cr_assert(f->text, "cannot read tests/data/%s", name);
    f->b = calloc(512, sizeof *f->b);
    cr_assert(f->b);
    f->n = 0;
    struct block *cur = NULL;
    for (char *line = f->text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (*line == '#')
            continue;
        if (*line == '\0') {
            cur = NULL;
            continue;
        }
        char *eq = strstr(line, " = ");
        cr_assert(eq, "%s: bad line '%s'", name, line);
        *eq = '\0';
        if (!cur) {
            cr_assert_lt(f->n, 512);
            cur = &f->b[f->n++];
        }
        cr_assert_lt(cur->n, MAX_FIELDS);
        cur->name[cur->n] = line;
        cur->value[cur->n++] = eq + 3;
    }
}

static void vec_free(struct vecfile *f)
{
    free(f->text);
    free(f->b);
}

static const char *get(const struct block *b, const char *name)
{
    for (int i = 0; i < b->n; i++)
        if (!strcmp(b->name[i], name))
            return b->value[i];
    cr_assert_fail("field %s missing", name);
    return NULL;
}

static int has(const struct block *b, const char *name)
{
    for (int i = 0; i < b->n; i++)
        if (!strcmp(b->name[i], name))
            return 1;
    return 0;
}

/* Hex field into a malloc'd buffer (never NULL); returns its length. */
static size_t hex(const struct block *b, const char *name, uint8_t **out)
{
    const char *s = get(b, name);
    size_t n = strlen(s);
    cr_assert(n % 2 == 0, "%s: odd hex length", name);
    uint8_t *p = malloc(n / 2 + 1);
    cr_assert(p);
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        cr_assert(sscanf(s + 2 * i, "%2x", &v) == 1, "%s: bad hex", name);
        p[i] = (uint8_t)v;
    }
    *out = p;
    return n / 2;
}

static void hex_fixed(const struct block *b, const char *name, uint8_t *out, size_t want)
{
    uint8_t *p;
    size_t n = hex(b, name, &p);
    cr_assert_eq(n, want, "%s: %zu bytes, want %zu", name, n, want);
    memcpy(out, p, n);
    free(p);
}

static void expect_bytes(const uint8_t *got, size_t gotlen, const uint8_t *want, size_t wantlen,
                         const char *conn, const char *what)
{
    cr_expect_eq(gotlen, wantlen, "%s: %s: %zu bytes, want %zu", conn, what, gotlen, wantlen);
    cr_expect(gotlen == wantlen && !memcmp(got, want, wantlen), "%s: %s differs", conn, what);
}

static uint16_t suite_of(const struct block *b)
{
    return (uint16_t)strtoul(get(b, "suite"), NULL, 16);
}

/* ---- key derivation ---- */

Test(vectors, premaster_master_secret_and_key_block)
{
    struct vecfile f;
    vec_load(&f, "vectors/ssl3_kdf.txt");
    cr_assert_geq(f.n, 24, "every suite, three connections");
    size_t len;
    char *pem = pair_read_data("nss-vectors/server-key-pkcs8.pem", &len);
    cr_assert(pem);
    SSLRSAPrivateKey *key = NULL;
    cr_assert_eq(SSLXRSAPrivateKeyFromPEM(pem, len, &key), SSLNoErr);
    free(pem);
    SSLContext *ctx = NULL;
    cr_assert_eq(SSLXNewContext(&ctx), SSLNoErr);
    int full = 0;
    for (int i = 0; i < f.n; i++) {
        const struct block *b = &f.b[i];
        const char *conn = get(b, "conn");
        uint8_t cr[32], sr[32], master[48], got[48];
        hex_fixed(b, "client_random", cr, 32);
        hex_fixed(b, "server_random", sr, 32);
        hex_fixed(b, "master_secret", master, 48);
        if (!strcmp(get(b, "resumed"), "no")) {
            uint8_t *enc, pre[48];
            size_t n = hex(b, "encrypted_pre_master", &enc);
            hex_fixed(b, "pre_master", pre, 48);
            cr_expect_eq(pkcs1_decrypt_premaster(ctx_rand_fn, ctx, key, enc, (uint32_t)n, 0x0300, got),
                         SSLNoErr);
            expect_bytes(got, 48, pre, 48, conn, "decrypted pre-master");
            kdf3_master_secret(pre, 48, cr, sr, got);
            expect_bytes(got, 48, master, 48, conn, "master secret");
            free(enc);
            full++;
        }
        const struct suite *s = suite_find(suite_of(b));
        cr_assert(s, "%s: suite unknown", conn);
        uint8_t *kb, out[2 * (20 + 32 + 16)];
        size_t kblen = hex(b, "key_block", &kb);
        cr_expect_eq(suite_key_block_len(s), kblen, "%s: key block length", conn);
        kdf3_key_block(master, sr, cr, out, kblen);
        expect_bytes(out, kblen, kb, kblen, conn, "key block");
        free(kb);
    }
    cr_expect_eq(full, 16, "two full handshakes per suite");
    SSLXFreeContext(ctx);
    SSLXRSAPrivateKeyFree(key);
    vec_free(&f);
}

/* ---- Finished ---- */

Test(vectors, finished_hashes)
{
    struct vecfile f;
    vec_load(&f, "vectors/ssl3_finished.txt");
    cr_assert_geq(f.n, 48);
    for (int i = 0; i < f.n; i++) {
        const struct block *b = &f.b[i];
        const char *conn = get(b, "conn");
        uint8_t master[48], *msgs, *md5, *sha1, out[36];
        hex_fixed(b, "master_secret", master, 48);
        size_t n = hex(b, "handshake_messages", &msgs);
        cr_assert_eq(hex(b, "expected_md5", &md5), 16);
        cr_assert_eq(hex(b, "expected_sha1", &sha1), 20);
        struct cry_hash hm, hs;
        cry_hash_init(&hm, CRY_MD5);
        cry_hash_init(&hs, CRY_SHA1);
        cry_hash_update(&hm, msgs, n);
        cry_hash_update(&hs, msgs, n);
        const char *sender = strcmp(get(b, "sender"), "client") ? "SRVR" : "CLNT";
        kdf3_finished(&hm, &hs, (const uint8_t *)sender, master, out);
        expect_bytes(out, 16, md5, 16, conn, sender);
        expect_bytes(out + 16, 20, sha1, 20, conn, sender);
        free(msgs), free(md5), free(sha1);
    }
    vec_free(&f);
}

/* ---- records ---- */

/* A context keyed as the receiving (open) or the sending (seal) side of one direction. */
static SSLContext *keyed_ctx(const struct block *kdf, int client_wrote, int sending)
{
    SSLContext *ctx = NULL;
    cr_assert_eq(SSLXNewContext(&ctx), SSLNoErr);
    ctx->side = (client_wrote == sending) ? SSL_ClientSide : SSL_ServerSide;
    ctx->suite = suite_find(suite_of(kdf));
    cr_assert(ctx->suite);
    hex_fixed(kdf, "client_random", ctx->client_random, 32);
    hex_fixed(kdf, "server_random", ctx->server_random, 32);
    hex_fixed(kdf, "master_secret", ctx->master, 48);
    cr_assert_eq(rec3_derive_keys(ctx), SSLNoErr);
    if (sending)
        rec3_activate_write(ctx);
    else
        rec3_activate_read(ctx);
    return ctx;
}

static const struct block *kdf_for(const struct vecfile *kdf, const char *conn)
{
    for (int i = 0; i < kdf->n; i++)
        if (!strcmp(get(&kdf->b[i], "conn"), conn))
            return &kdf->b[i];
    cr_assert_fail("no key derivation for %s", conn);
    return NULL;
}

Test(vectors, records_open_and_seal)
{
    struct vecfile kdf, rec;
    vec_load(&kdf, "vectors/ssl3_kdf.txt");
    vec_load(&rec, "vectors/ssl3_records.txt");
    cr_assert_geq(rec.n, 168);
    SSLContext *opens[2] = {NULL, NULL}, *seals[2] = {NULL, NULL}; /* [1]: what the client wrote */
    const char *cur_conn = "";
    int records = 0;
    for (int i = 0; i < rec.n; i++) {
        const struct block *b = &rec.b[i];
        const char *conn = get(b, "conn"), *dir = get(b, "direction");
        int client = !strcmp(dir, "client");
        if (strcmp(conn, cur_conn)) { /* a new connection: fresh states both ways */
            const struct block *k = kdf_for(&kdf, conn);
            for (int d = 0; d < 2; d++) {
                SSLXFreeContext(opens[d]);
                SSLXFreeContext(seals[d]);
                opens[d] = keyed_ctx(k, d, 0);
                seals[d] = keyed_ctx(k, d, 1);
            }
            cur_conn = conn;
        }
        SSLContext *open = opens[client], *seal = seals[client];
        char what[96];
        snprintf(what, sizeof what, "%s record %s", dir, get(b, "index"));
        uint64_t seq = strtoull(get(b, "seq"), NULL, 10);
        uint8_t type = (uint8_t)atoi(get(b, "type"));
        cr_assert_eq(open->rd_cur.seq, seq, "%s: %s: records missing before this one", conn, what);
        uint8_t *ct, *pt, *mac, *secret;
        size_t ctlen = hex(b, "ciphertext", &ct), ptlen = hex(b, "plaintext", &pt);
        size_t maclen = hex(b, "mac", &mac), slen = hex(b, "mac_secret", &secret);
        /* the MAC alone (RFC 6101 §5.2.3.1) */
        uint8_t m[20];
        mac3_compute(open->suite->mac, secret, seq, type, pt, ptlen, m);
        expect_bytes(m, open->suite->mac_len, mac, maclen, conn, what);
        cr_expect_eq(slen, maclen);
        /* open: the engine decrypts and checks the record in place */
        uint32_t raw = 5 + (uint32_t)ctlen;
        cr_assert_eq(ctx_alloc(open, &open->in, raw), SSLNoErr);
        uint8_t hdr[5] = {type, 3, 0, (uint8_t)(ctlen >> 8), (uint8_t)ctlen};
        memcpy(open->in.data, hdr, 5);
        memcpy(open->in.data + 5, ct, ctlen);
        open->in_start = 0;
        open->in_end = raw;
        cr_expect_eq(rec3_open(open), SSLNoErr, "%s: %s: not opened", conn, what);
        cr_expect_eq(open->rec_type, type);
        expect_bytes(open->in.data + open->rec_off, open->rec_len, pt, ptlen, conn, what);
        ctx_free(open, &open->in);
        /* seal: the same plaintext gives the same bytes (same padding as NSS: minimal) */
        uint32_t before = seal->out_len;
        cr_assert_eq(rec3_seal(seal, type, pt, (uint32_t)ptlen), SSLNoErr);
        cr_expect_eq(seal->out_len - before, raw, "%s: %s: sealed length", conn, what);
        if (seal->out_len - before == raw) {
            cr_expect(!memcmp(seal->out.data + before, hdr, 5), "%s: %s: header", conn, what);
            expect_bytes(seal->out.data + before + 5, ctlen, ct, ctlen, conn, what);
        }
        seal->out_len = seal->out_off = 0;
        cr_expect(!has(b, "iv") || open->suite->iv_len, "%s: iv on a stream suite", conn);
        free(ct), free(pt), free(mac), free(secret);
        records++;
    }
    cr_expect_geq(records, 168);
    for (int d = 0; d < 2; d++) {
        SSLXFreeContext(opens[d]);
        SSLXFreeContext(seals[d]);
    }
    vec_free(&kdf);
    vec_free(&rec);
}
