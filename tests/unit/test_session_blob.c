/*
 * test_session_blob.c - the session blob (core/src/handshake/session.h): encode/decode round trip; every
 * truncation and every one-byte change of each length field decodes to SSLSessionNotFoundErr; a
 * corrupt blob handed back by the cache only means no resumption (the handshake is full and works);
 * the spec's cache rules (server caches only with a peer ID, an unclean close deletes the session).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "pair.h"
#include "handshake/session.h"

struct blobctx {
    SSLContext *ctx;
    struct pair_alloc a;
    uint8_t *certs[2];
    uint32_t certlen[2];
};

static void blob_setup(struct blobctx *b, uint16_t suite, uint32_t sidlen, int ncerts)
{
    pair_alloc_init(&b->a);
    b->ctx = malloc(SSLContextSize());
    cr_assert_eq(SSLInitContext(b->ctx), SSLNoErr);
    SSLSetAllocFunc(b->ctx, pair_alloc_fn);
    SSLSetFreeFunc(b->ctx, pair_free_fn);
    SSLSetAllocRef(b->ctx, &b->a);
    SSLSetTimeFunc(b->ctx, pair_time_fn);
    SSLContext *ctx = b->ctx;
    ctx->negotiated = SSL_Version_3_0;
    ctx->ver = V_SSL3; /* the wire version the blob records */
    ctx->suite = suite_find(suite);
    cr_assert(ctx->suite);
    ctx->sid_len = (uint8_t)sidlen;
    for (uint32_t i = 0; i < sidlen; i++)
        ctx->session_id[i] = (uint8_t)(0x40 + i);
    for (int i = 0; i < SSL3_MASTER_LEN; i++)
        ctx->master[i] = (uint8_t)(0x90 ^ i);
    size_t len, pos = 0;
    char *pem = pair_read_data("server-chain.pem", &len);
    cr_assert(pem);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(SSLXPEMDecode(pem, len, &pos, "CERTIFICATE", &b->certs[i], &b->certlen[i]), SSLNoErr);
        if (i < ncerts)
            cr_assert_eq(certlist_add(ctx, &ctx->peer_chain, b->certs[i], b->certlen[i], 0), SSLNoErr);
    }
    free(pem);
}

static void blob_teardown(struct blobctx *b)
{
    cr_expect_eq(SSLDeleteContext(b->ctx), SSLNoErr);
    cr_expect_eq(b->a.live_blocks, 0, "%ld blocks leaked", b->a.live_blocks);
    free(b->ctx);
    free(b->certs[0]);
    free(b->certs[1]);
}

Test(session_blob, round_trip)
{
    struct blobctx b;
    blob_setup(&b, SSL_RSA_WITH_3DES_EDE_CBC_SHA, 32, 2);
    SSLBuffer blob;
    cr_assert_eq(session_encode(b.ctx, &blob), SSLNoErr);
    struct session_view v;
    cr_assert_eq(session_decode(blob.data, blob.length, &v), SSLNoErr);
    cr_expect_eq(v.version, 0x0300);
    cr_expect_eq(v.suite, SSL_RSA_WITH_3DES_EDE_CBC_SHA);
    cr_expect_eq(v.sid_len, 32);
    cr_expect_arr_eq(v.sid, b.ctx->session_id, 32);
    cr_expect_eq(v.master_len, SSL3_MASTER_LEN);
    cr_expect_arr_eq(v.master, b.ctx->master, SSL3_MASTER_LEN);
    cr_expect_eq(v.key_arg_len, 0);
    cr_expect_eq(v.created, PAIR_TIME);
    cr_expect_eq(v.role, 0, "made by a client");
    cr_expect_eq(v.auth, 0);
    cr_expect_eq(v.bind_len, SESSION_BIND_LEN);
    cr_expect_eq(v.ncerts, 2);
    for (int i = 0; i < 2; i++) {
        cr_expect_eq(v.cert_len[i], b.certlen[i]);
        cr_expect_arr_eq(v.cert[i], b.certs[i], b.certlen[i]);
    }
    /* the views point into the blob, inside its bounds */
    cr_expect(v.master >= blob.data && v.master + SSL3_MASTER_LEN <= blob.data + blob.length);
    pair_free_fn(&blob, &b.a);
    blob_teardown(&b);
}

Test(session_blob, round_trip_short_id_no_certs)
{
    struct blobctx b;
    blob_setup(&b, SSL_RSA_WITH_RC4_128_MD5, 1, 0);
    SSLBuffer blob;
    cr_assert_eq(session_encode(b.ctx, &blob), SSLNoErr);
    struct session_view v;
    cr_assert_eq(session_decode(blob.data, blob.length, &v), SSLNoErr);
    cr_expect_eq(v.sid_len, 1);
    cr_expect_eq(v.ncerts, 0);
    cr_expect_eq(v.suite, SSL_RSA_WITH_RC4_128_MD5);
    pair_free_fn(&blob, &b.a);
    blob_teardown(&b);
}

/* Decode a private copy (so a reader overrun is caught by ASan/valgrind). */
static SSLErr decode_copy(const uint8_t *p, uint32_t len)
{
    uint8_t *c = malloc(len ? len : 1);
    memcpy(c, p, len);
    struct session_view v;
    SSLErr e = session_decode(c, len, &v);
    free(c);
    return e;
}

Test(session_blob, every_truncation_fails)
{
    struct blobctx b;
    blob_setup(&b, TLS_RSA_WITH_AES_256_CBC_SHA, 32, 2);
    SSLBuffer blob;
    cr_assert_eq(session_encode(b.ctx, &blob), SSLNoErr);
    for (uint32_t n = 0; n < blob.length; n++)
        cr_expect_eq(decode_copy(blob.data, n), SSLSessionNotFoundErr, "truncated to %u", n);
    /* and one extra byte is as bad */
    uint8_t *longer = malloc(blob.length + 1);
    memcpy(longer, blob.data, blob.length);
    longer[blob.length] = 0;
    cr_expect_eq(decode_copy(longer, blob.length + 1), SSLSessionNotFoundErr, "trailing byte");
    free(longer);
    pair_free_fn(&blob, &b.a);
    blob_teardown(&b);
}

/* Offsets of the length fields in a blob (format 5, see session.c). */
static int length_fields(const uint8_t *p, uint32_t len, uint32_t *off, int max)
{
    int n = 0;
    uint32_t o = 7; /* "SR" 03 | version | suite */
    off[n++] = o; /* sid_len */
    o += 1 + p[o];
    off[n++] = o; /* master_len */
    o += 1 + p[o];
    off[n++] = o; /* key_arg_len */
    o += 1 + p[o] + 4 + 3 + 3;  /* key_arg, created, role, auth, ems, group, cert_type */
    off[n++] = o; /* bind_len */
    o += 1 + p[o];
    off[n++] = o; /* ticket_len (u16) */
    off[n++] = o + 1;
    o += 2 + ((uint32_t)p[o] << 8 | p[o + 1]);
    off[n++] = o; /* ncerts */
    uint32_t nc = p[o++];
    for (uint32_t i = 0; i < nc && n + 3 <= max && o + 3 <= len; i++) {
        off[n++] = o;
        off[n++] = o + 1;
        off[n++] = o + 2;
        o += 3 + ((uint32_t)p[o] << 16 | (uint32_t)p[o + 1] << 8 | p[o + 2]);
    }
    cr_assert_eq(o, len, "the test walks the whole blob");
    return n;
}

Test(session_blob, every_length_byte_change_fails)
{
    struct blobctx b;
    blob_setup(&b, SSL_RSA_WITH_RC4_128_SHA, 32, 2);
    SSLBuffer blob;
    cr_assert_eq(session_encode(b.ctx, &blob), SSLNoErr);
    uint32_t off[16];
    int n = length_fields(blob.data, blob.length, off, 16);
    cr_assert_eq(n, 13);
    uint8_t *m = malloc(blob.length);
    for (int f = 0; f < n; f++)
        for (int v = 0; v < 256; v++) {
            if (v == blob.data[off[f]])
                continue;
            memcpy(m, blob.data, blob.length);
            m[off[f]] = (uint8_t)v;
            cr_expect_eq(decode_copy(m, blob.length), SSLSessionNotFoundErr, "byte %u = %02x", off[f], v);
        }
    /* header fields: magic, format, version; an unknown suite */
    for (uint32_t i = 0; i < 7; i++) {
        memcpy(m, blob.data, blob.length);
        m[i] ^= 0x01;
        if (i == 6) /* suite low byte 0x05 -> 0x04 is a real suite: use one that is not */
            m[i] = 0xfe;
        if (i == 4) /* version 0x0300 -> 0x0301 is TLS 1.0, valid for this suite: use 0x0304 */
            m[i] = 0x04;
        cr_expect_eq(decode_copy(m, blob.length), SSLSessionNotFoundErr, "header byte %u", i);
    }
    /* role, auth and ems are 0 or 1 (they sit just before group and cert_type) */
    for (uint32_t i = off[3] - 6; i < off[3] - 3; i++)
        for (int v = 2; v < 256; v++) {
            memcpy(m, blob.data, blob.length);
            m[i] = (uint8_t)v;
            cr_expect_eq(decode_copy(m, blob.length), SSLSessionNotFoundErr, "byte %u = %02x", i, v);
        }
    /* the certificate type must be the suite's (RSA here: 1) */
    for (int v = 0; v < 256; v++) {
        memcpy(m, blob.data, blob.length);
        m[off[3] - 1] = (uint8_t)v;
        cr_expect_eq(decode_copy(m, blob.length), v == 1 ? SSLNoErr : SSLSessionNotFoundErr,
                     "cert_type %02x", v);
    }
    /* formats 2 (before the session binding), 3 (before TLS) and 4 (before group and certificate
     * type) are refused: a full handshake */
    for (uint8_t f = 2; f <= 4; f++) {
        memcpy(m, blob.data, blob.length);
        m[2] = f;
        cr_expect_eq(decode_copy(m, blob.length), SSLSessionNotFoundErr, "format %u", f);
    }
    free(m);
    pair_free_fn(&blob, &b.a);
    blob_teardown(&b);
}

/* A format-5 SSL 3.0 blob with the given field lengths and no certificates yet; returns its length. */
static uint32_t blob_build(uint8_t *b, uint32_t sid, uint32_t master, uint32_t key_arg)
{
    uint32_t n = 0;
    b[n++] = 'S', b[n++] = 'R', b[n++] = 5;
    b[n++] = 3, b[n++] = 0, b[n++] = 0, b[n++] = 0x2f;
    b[n++] = (uint8_t)sid;
    memset(b + n, 9, sid);
    n += sid;
    b[n++] = (uint8_t)master;
    memset(b + n, 7, master);
    n += master;
    b[n++] = (uint8_t)key_arg;
    memset(b + n, 5, key_arg);
    n += key_arg;
    memset(b + n, 0, 4); /* created */
    n += 4;
    b[n++] = 1, b[n++] = 0, b[n++] = 0; /* role (server), auth, ems */
    b[n++] = 0, b[n++] = 0, b[n++] = 1; /* group (none), cert_type (RSA) */
    b[n++] = SESSION_BIND_LEN;
    memset(b + n, 3, SESSION_BIND_LEN);
    n += SESSION_BIND_LEN;
    b[n++] = 0, b[n++] = 0; /* ticket_len: a server's entry has none */
    b[n++] = 0; /* ncerts */
    return n;
}

Test(session_blob, limits)
{
    uint8_t blob[1024];
    struct session_view v;
    uint32_t n = blob_build(blob, 1, 48, 0);
    cr_expect_eq(session_decode(blob, n, &v), SSLNoErr, "the minimal valid blob");
    static const struct {
        uint32_t sid, master, key_arg;
        const char *what;
    } bad[] = {{0, 48, 0, "empty session ID"}, {33, 48, 0, "33-byte session ID"},
               {32, 47, 0, "short master secret"}, {32, 49, 0, "long master secret"},
               {32, 0, 0, "no master secret"}, {32, 48, 8, "a KEY-ARG in an SSL 3.0 session"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        n = blob_build(blob, bad[i].sid, bad[i].master, bad[i].key_arg);
        cr_expect_eq(decode_copy(blob, n), SSLSessionNotFoundErr, "%s", bad[i].what);
    }
    n = blob_build(blob, 32, 48, 0);
    uint32_t base = n - 1;
    blob[base] = 1; /* one empty certificate */
    blob[n++] = 0, blob[n++] = 0, blob[n++] = 0;
    cr_expect_eq(decode_copy(blob, n), SSLSessionNotFoundErr, "empty certificate");
    n = base;
    blob[n++] = MAX_CHAIN + 1;
    for (int i = 0; i < MAX_CHAIN + 1; i++)
        blob[n++] = 0, blob[n++] = 0, blob[n++] = 1, blob[n++] = 0x30;
    cr_expect_eq(decode_copy(blob, n), SSLSessionNotFoundErr, "too many certificates");
    blob[base] = MAX_CHAIN;
    cr_expect_eq(decode_copy(blob, n - 4), SSLNoErr, "MAX_CHAIN certificates are fine");
    blob[base] = 1; /* a certificate whose length runs past the end */
    blob[base + 3] = 0xff;
    cr_expect_eq(decode_copy(blob, base + 5), SSLSessionNotFoundErr, "certificate past the end");
}

/* ---- through the callbacks ---- */

static void flip_length(uint8_t *d, uint32_t *len, void *ref)
{
    int mode = *(int *)ref;
    if (mode == 0)
        d[7] ^= 0x10;     /* session ID length */
    else if (mode == 1)
        *len /= 2;        /* truncated */
    else
        d[0] = 'X';       /* bad magic */
}

static void connect_twice(struct pair_cache *cc, struct pair_cache *sc, int *resumed2, uint16_t *suite2)
{
    struct pair_config c;
    pair_config_init(&c);
    c.cache[0] = cc;
    c.cache[1] = sc;
    for (int conn = 0; conn < 2; conn++) {
        struct pair p;
        c.seed = 50 + (uint64_t)conn;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        cr_assert_eq(pair_handshake(&p), PAIR_OK, "conn %d: %s / %s", conn, SSLXErrorName(p.s[0].last),
                     SSLXErrorName(p.s[1].last));
        int r0 = -1, r1 = -1;
        SSLXGetResumed(p.s[0].ctx, &r0);
        SSLXGetResumed(p.s[1].ctx, &r1);
        cr_expect_eq(r0, r1, "both sides agree on resumption");
        *resumed2 = r0;
        SSLGetNegotiatedCipher(p.s[0].ctx, suite2);
        uint8_t data[300];
        pair_pattern(data, sizeof data, 3);
        cr_expect_eq(pair_exchange(&p, PAIR_CLIENT, data, sizeof data), SSLNoErr);
        cr_expect_eq(pair_exchange(&p, PAIR_SERVER, data, sizeof data), SSLNoErr);
        SSLErr ce;
        cr_expect_eq(pair_close(&p, PAIR_CLIENT, &ce), SSLConnectionClosedGraceful);
        pair_free(&p);
        cr_expect_eq(pair_live_blocks(&p), 0);
        cr_expect_eq(p.s[0].alloc.bad_frees + p.s[1].alloc.bad_frees, 0);
    }
}

Test(session_blob, corrupt_cache_entry_means_full_handshake)
{
    for (int side = 0; side < 2; side++)
        for (int mode = 0; mode < 3; mode++) {
            struct pair_cache cc, sc;
            pair_cache_init(&cc);
            pair_cache_init(&sc);
            struct pair_cache *bad = side ? &sc : &cc;
            bad->mangle = flip_length;
            bad->mangle_ref = &mode;
            int resumed = -1;
            uint16_t suite = 0;
            connect_twice(&cc, &sc, &resumed, &suite);
            cr_expect_eq(resumed, 0, "side %d mode %d: a corrupt entry is not resumed", side, mode);
            cr_expect_eq(suite, TLS_RSA_WITH_AES_128_CBC_SHA);
            cr_expect_geq(bad->hits, 1, "side %d mode %d: the corrupt entry was handed out", side, mode);
            pair_cache_clear(&cc);
            pair_cache_clear(&sc);
        }
    /* control: untouched caches resume */
    struct pair_cache cc, sc;
    pair_cache_init(&cc);
    pair_cache_init(&sc);
    int resumed = -1;
    uint16_t suite = 0;
    connect_twice(&cc, &sc, &resumed, &suite);
    cr_expect_eq(resumed, 1);
    pair_cache_clear(&cc);
    pair_cache_clear(&sc);
}

Test(session_blob, server_without_peer_id_does_not_cache)
{
    struct pair_cache cc, sc;
    pair_cache_init(&cc);
    pair_cache_init(&sc);
    struct pair_config c;
    pair_config_init(&c);
    c.cache[0] = &cc;
    c.cache[1] = &sc;
    c.peer_id[PAIR_SERVER] = 0;
    for (int conn = 0; conn < 2; conn++) {
        struct pair p;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        cr_assert_eq(pair_handshake(&p), PAIR_OK);
        int r = -1;
        SSLXGetResumed(p.s[0].ctx, &r);
        cr_expect_eq(r, 0);
        uint8 sid[32];
        uint32 sl = sizeof sid;
        cr_expect_eq(SSLXGetSessionID(p.s[1].ctx, sid, &sl), SSLNoErr);
        cr_expect_eq(sl, 0, "no session ID without a server peer ID");
        SSLErr ce;
        cr_expect_eq(pair_close(&p, PAIR_CLIENT, &ce), SSLConnectionClosedGraceful);
        pair_free(&p);
        cr_expect_eq(pair_live_blocks(&p), 0);
    }
    cr_expect_eq(sc.adds, 0);
    cr_expect_eq(sc.gets, 0);
    cr_expect_eq(cc.adds, 0, "the client stores nothing without a session ID");
    pair_cache_clear(&cc);
    pair_cache_clear(&sc);
}

Test(session_blob, unclean_close_deletes_session)
{
    struct pair_cache cc, sc;
    pair_cache_init(&cc);
    pair_cache_init(&sc);
    struct pair_config c;
    pair_config_init(&c);
    c.cache[0] = &cc;
    c.cache[1] = &sc;
    struct pair p;
    cr_assert_eq(pair_init(&p, &c), SSLNoErr);
    cr_assert_eq(pair_handshake(&p), PAIR_OK);
    cr_expect_eq(cc.n, 1);
    cr_expect_eq(sc.n, 1);
    pair_eof(&p, PAIR_CLIENT); /* the server's stream ends without close_notify */
    pair_eof(&p, PAIR_SERVER);
    uint8_t b[4];
    uint32 len = sizeof b;
    cr_expect_eq(SSLRead(b, &len, p.s[PAIR_CLIENT].ctx), SSLConnectionClosedError);
    len = sizeof b;
    cr_expect_eq(SSLRead(b, &len, p.s[PAIR_SERVER].ctx), SSLConnectionClosedError);
    cr_expect_eq(cc.n, 0, "the client forgot the session");
    cr_expect_eq(sc.n, 0, "the server forgot the session");
    pair_free(&p);
    cr_expect_eq(pair_live_blocks(&p), 0);
    pair_cache_clear(&cc);
    pair_cache_clear(&sc);
}

/* Resumption only with a suite both sides still enable; a lost server entry means a new session. */
Test(session_blob, resumption_rules)
{
    static const uint16_t both[] = {TLS_RSA_WITH_AES_128_CBC_SHA, SSL_RSA_WITH_RC4_128_SHA};
    static const uint16_t rc4[] = {SSL_RSA_WITH_RC4_128_SHA};
    for (int variant = 0; variant < 3; variant++) {
        struct pair_cache cc, sc;
        pair_cache_init(&cc);
        pair_cache_init(&sc);
        struct pair_config c;
        pair_config_init(&c);
        c.suites[0] = c.suites[1] = both;
        c.nsuites[0] = c.nsuites[1] = 2;
        c.cache[0] = &cc;
        c.cache[1] = &sc;
        struct pair p;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        cr_assert_eq(pair_handshake(&p), PAIR_OK);
        uint8 sid1[32];
        uint32 l1 = sizeof sid1;
        SSLXGetSessionID(p.s[0].ctx, sid1, &l1);
        SSLErr ce;
        cr_expect_eq(pair_close(&p, PAIR_CLIENT, &ce), SSLConnectionClosedGraceful);
        pair_free(&p);
        if (variant == 0)
            c.suites[PAIR_CLIENT] = rc4, c.nsuites[PAIR_CLIENT] = 1; /* the client dropped AES */
        else if (variant == 1)
            c.suites[PAIR_SERVER] = rc4, c.nsuites[PAIR_SERVER] = 1; /* the server dropped AES */
        else
            pair_cache_clear(&sc); /* the server lost its entry */
        c.seed = 2;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        cr_assert_eq(pair_handshake(&p), PAIR_OK, "variant %d: %s / %s", variant,
                     SSLXErrorName(p.s[0].last), SSLXErrorName(p.s[1].last));
        int r0 = -1, r1 = -1;
        SSLXGetResumed(p.s[0].ctx, &r0);
        SSLXGetResumed(p.s[1].ctx, &r1);
        cr_expect_eq(r0, 0, "variant %d: not resumed", variant);
        cr_expect_eq(r1, 0, "variant %d: not resumed", variant);
        uint16 s = 0;
        SSLGetNegotiatedCipher(p.s[0].ctx, &s);
        cr_expect_eq(s, variant == 2 ? TLS_RSA_WITH_AES_128_CBC_SHA : SSL_RSA_WITH_RC4_128_SHA);
        uint8 sid2[32];
        uint32 l2 = sizeof sid2;
        SSLXGetSessionID(p.s[0].ctx, sid2, &l2);
        cr_expect(l2 == 32 && (l1 != l2 || memcmp(sid1, sid2, l1) != 0), "variant %d: a new session", variant);
        cr_expect_eq(pair_close(&p, PAIR_CLIENT, &ce), SSLConnectionClosedGraceful);
        pair_free(&p);
        cr_expect_eq(pair_live_blocks(&p), 0);
        /* the client's entry now holds the new session: a third connection resumes it */
        c.seed = 3;
        cr_assert_eq(pair_init(&p, &c), SSLNoErr);
        cr_assert_eq(pair_handshake(&p), PAIR_OK);
        SSLXGetResumed(p.s[0].ctx, &r0);
        SSLXGetResumed(p.s[1].ctx, &r1);
        cr_expect(r0 == 1 && r1 == 1, "variant %d: the new session resumes", variant);
        uint8 sid3[32];
        uint32 l3 = sizeof sid3;
        SSLXGetSessionID(p.s[0].ctx, sid3, &l3);
        cr_expect(l3 == l2 && memcmp(sid3, sid2, l2) == 0);
        pair_free(&p);
        cr_expect_eq(pair_live_blocks(&p), 0);
        pair_cache_clear(&cc);
        pair_cache_clear(&sc);
    }
}

/* The version field holds the wire version: SSL 3.0 to TLS 1.2 within the suite's range; only a TLS
 * session can have used the extended master secret (RFC 7627). */
Test(session_blob, version_and_ems)
{
    uint8_t blob[1024];
    struct session_view v;
    uint32_t n = blob_build(blob, 1, 48, 0); /* suite 002f, TLS_RSA_WITH_AES_128_CBC_SHA */
    const uint32_t ems_at = n - 1 - 2 - SESSION_BIND_LEN - 1 - 3 - 1;
    static const struct {
        uint16_t version;
        uint8_t ems;
        int ok;
    } rows[] = {{0x0300, 0, 1}, {0x0300, 1, 0}, {0x0301, 0, 1}, {0x0301, 1, 1}, {0x0303, 1, 1},
                {0x0304, 0, 0}, {0x0002, 0, 0}, {0x0200, 0, 0}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        blob[3] = (uint8_t)(rows[i].version >> 8);
        blob[4] = (uint8_t)rows[i].version;
        blob[ems_at] = rows[i].ems;
        SSLErr e = session_decode(blob, n, &v);
        cr_expect_eq(e, rows[i].ok ? SSLNoErr : SSLSessionNotFoundErr, "version %04x ems %u",
                     rows[i].version, rows[i].ems);
        if (e == SSLNoErr) {
            cr_expect_eq(v.version, rows[i].version);
            cr_expect_eq(v.ems, rows[i].ems);
        }
    }
}
