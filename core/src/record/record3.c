/*
 * record3.c - SSL 3.0 and TLS records (RFC 6101 §5.2, RFC 5246 §6.2): key setup from the key block
 * (SSL 3.0 §6.2.2, TLS §6.3 via prf.c), headers, the write queue, sequence numbers, and the SSL 3.0
 * fragment (MAC, pad, encrypt; padding bytes arbitrary, only its length checked). A state with
 * d->ver >= TLS 1.0 hands its fragment to record_tls.c. The record version is fixed once known.
 */
#include "record/record3.h"
#include "record/alert.h"
#include "base/buf.h"
#include "base/ct.h"
#include "record/kdf3.h"
#include "record/mac3.h"
#include "record/prf.h"
#include "record/record_tls.h"
#include <string.h>

static int is_tls(uint16_t ver) { return ver >= V_TLS10; }

static SSLErr dir_key(SSLContext *ctx, struct dirstate *d, const struct suite *s,
                      const uint8_t *mac, const uint8_t *key, const uint8_t *iv, int encrypt)
{
    d->suite = s;
    d->seq = 0;
    d->ver = ctx->ver;
    memcpy(d->mac_secret, mac, s->mac_len);
    cry_wipe(&d->mac_key, sizeof d->mac_key);
    if (is_tls(ctx->ver) && !s->aead && (s->mac == MAC_SHA1 || s->mac == MAC_SHA256))
        (void)cry_hmac_key_init(&d->mac_key, s->mac == MAC_SHA1 ? CRY_SHA1 : CRY_SHA256, mac,
                                s->mac_len); /* unset on failure: record_tls.c re-keys */
    if (s->aead) /* the key block's "IV" is the nonce's fixed part (RFC 5288 §3, RFC 7905 §2) */
        memcpy(d->fixed_iv, iv, s->iv_len <= sizeof d->fixed_iv ? s->iv_len : sizeof d->fixed_iv);
    if (s->cipher == CRY_C_NULL)
        return SSLNoErr;
    SSL_TRY(ctx_alloc(ctx, &d->cipher, (uint32_t)cry_cipher_state_size(s->cipher)));
    memset(d->cipher.data, 0, d->cipher.length);
    return cry_cipher_init(d->cipher.data, s->cipher, encrypt, key, s->key_len, s->aead ? NULL : iv);
}

/* The key block and the final keys and IVs: SSL 3.0 (RFC 6101 §6.2.2) or TLS (RFC 2246 §6.3,
 * RFC 5246 §6.3: PRF(master, "key expansion", server_random + client_random)). Export suites
 * (SSL 3.0 and TLS 1.0 only) expand their 5-byte keys and make their IVs from the randoms. */
static void key_material(const SSLContext *ctx, const struct suite *s, uint8_t *kb, uint32_t need,
                         uint8_t *ckey, uint8_t *skey, uint8_t *civ, uint8_t *siv)
{
    const uint8_t *cr = ctx->client_random, *sr = ctx->server_random;
    if (is_tls(ctx->ver))
        prf_tls(ctx->ver, s->prf, ctx->master, SSL3_MASTER_LEN, "key expansion", sr, 32, cr, 32,
                kb, need);
    else
        kdf3_key_block(ctx->master, sr, cr, kb, need);
    const uint8_t *p = kb + 2 * s->mac_len;
    memcpy(ckey, p, s->key_material);
    memcpy(skey, p + s->key_material, s->key_material);
    p += 2 * s->key_material;
    if (s->exportable && is_tls(ctx->ver)) { /* RFC 2246 §6.3 */
        uint8_t ivb[32], k[32];
        memcpy(k, ckey, s->key_material); /* the PRF's output must not overlap its secret */
        prf_tls(ctx->ver, s->prf, k, s->key_material, "client write key", cr, 32, sr, 32, ckey,
                s->key_len);
        memcpy(k, skey, s->key_material);
        prf_tls(ctx->ver, s->prf, k, s->key_material, "server write key", cr, 32, sr, 32, skey,
                s->key_len);
        cry_wipe(k, sizeof k);
        prf_tls(ctx->ver, s->prf, NULL, 0, "IV block", cr, 32, sr, 32, ivb, 2u * s->iv_len);
        memcpy(civ, ivb, s->iv_len);
        memcpy(siv, ivb + s->iv_len, s->iv_len);
        cry_wipe(ivb, sizeof ivb);
    } else if (s->exportable) { /* RFC 6101 §6.2.2: final keys and IVs from MD5 of the randoms */
        kdf3_export_md5(ckey, s->key_material, cr, sr, ckey, s->key_len);
        kdf3_export_md5(skey, s->key_material, sr, cr, skey, s->key_len);
        kdf3_export_md5(NULL, 0, cr, sr, civ, s->iv_len);
        kdf3_export_md5(NULL, 0, sr, cr, siv, s->iv_len);
    } else {
        memcpy(civ, p, s->iv_len);
        memcpy(siv, p + s->iv_len, s->iv_len);
    }
}

SSLErr rec3_derive_keys(SSLContext *ctx)
{
    const struct suite *s = ctx->suite;
    uint8_t kb[2 * (48 + 32 + 16)], ckey[32], skey[32], civ[16], siv[16];
    uint32_t need = suite_key_block_len(s);
    SSL_ENSURE(need <= sizeof kb, SSLUnknownErr);
    key_material(ctx, s, kb, need, ckey, skey, civ, siv);
    const uint8_t *cmac = kb, *smac = kb + s->mac_len;
    int client = ctx->side == SSL_ClientSide;
    SSLErr e = dir_key(ctx, &ctx->wr_pend, s, client ? cmac : smac, client ? ckey : skey,
                       client ? civ : siv, 1);
    if (e == SSLNoErr)
        e = dir_key(ctx, &ctx->rd_pend, s, client ? smac : cmac, client ? skey : ckey,
                    client ? siv : civ, 0);
    cry_wipe(kb, sizeof kb);
    cry_wipe(ckey, sizeof ckey);
    cry_wipe(skey, sizeof skey);
    cry_wipe(civ, sizeof civ);
    cry_wipe(siv, sizeof siv);
    return e;
}

static void activate(SSLContext *ctx, struct dirstate *cur, struct dirstate *pend)
{
    if (cur->cipher.data)
        cry_cipher_wipe(cur->cipher.data);
    ctx_free(ctx, &cur->cipher);
    *cur = *pend;
    memset(pend, 0, sizeof *pend);
}

void rec3_activate_write(SSLContext *ctx) { activate(ctx, &ctx->wr_cur, &ctx->wr_pend); }
void rec3_activate_read(SSLContext *ctx) { activate(ctx, &ctx->rd_cur, &ctx->rd_pend); }

/* The 1/n-1 split (api_io.c) helps only where the next record's IV is the last ciphertext block:
 * CBC in SSL 3.0 and TLS 1.0. Explicit IVs (TLS 1.1+) and AEAD need none. */
int rec3_write_is_cbc(const SSLContext *ctx)
{
    const struct dirstate *d = &ctx->wr_cur;
    return d->suite && d->suite->iv_len > 0 && !d->suite->aead && d->ver <= V_TLS10;
}

/* Make room for n more bytes at the end of the write queue. */
static SSLErr out_reserve(SSLContext *ctx, uint32_t n)
{
    if (ctx->out_off == ctx->out_len)
        ctx->out_off = ctx->out_len = 0;
    if (ctx->out.length - ctx->out_len >= n)
        return SSLNoErr;
    if (ctx->out_off) {
        memmove(ctx->out.data, ctx->out.data + ctx->out_off, ctx->out_len - ctx->out_off);
        ctx->out_len -= ctx->out_off;
        ctx->out_off = 0;
        if (ctx->out.length - ctx->out_len >= n)
            return SSLNoErr;
    }
    uint32_t want = ctx->out.length ? ctx->out.length : 4096;
    while (want - ctx->out_len < n)
        want *= 2;
    return ctx_grow(ctx, &ctx->out, want, ctx->out_len);
}

/* Header version: the negotiated one, else what the handshake set for its first flight. */
static uint16_t send_version(const SSLContext *ctx)
{
    return ctx->ver >= V_SSL3 ? ctx->ver : ctx->rec_ver ? ctx->rec_ver : V_SSL3;
}

/* SSL 3.0 fragment: data || MAC || padding || padlen, encrypted (RFC 6101 §5.2.3). */
static uint32_t ssl3_sealed_len(const struct suite *s, uint32_t len)
{
    uint32_t body = len + (s ? s->mac_len : 0), bs = s && s->iv_len ? s->iv_len : 1;
    return bs > 1 ? (body / bs + 1) * bs : body;
}

static SSLErr ssl3_seal(struct dirstate *d, uint8_t type, const uint8_t *data, uint32_t len,
                        uint8_t *frag, uint32_t body)
{
    const struct suite *s = d->suite;
    uint32_t maclen = s ? s->mac_len : 0;
    if (len)
        memmove(frag, data, len);
    if (s && maclen)
        mac3_compute(s->mac, d->mac_secret, d->seq, type, frag, len, frag + len);
    if (body > len + maclen) /* pad bytes are arbitrary in SSL 3.0: ours hold the length */
        memset(frag + len + maclen, (int)(body - len - maclen - 1), body - len - maclen);
    if (d->cipher.data)
        SSL_TRY(cry_cipher_run(d->cipher.data, frag, frag, body));
    return SSLNoErr;
}

SSLErr rec3_seal(SSLContext *ctx, uint8_t type, const uint8_t *data, uint32_t len)
{
    struct dirstate *d = &ctx->wr_cur;
    int tls = d->suite && is_tls(d->ver);
    SSL_ENSURE(len <= SSL3_MAX_PLAIN, SSLBadParameterErr);
    uint32_t body = tls ? rectls_sealed_len(d, len) : ssl3_sealed_len(d->suite, len);
    uint16_t ver = send_version(ctx);
    SSL_TRY(out_reserve(ctx, SSL3_HDR + body));
    uint8_t *rec = ctx->out.data + ctx->out_len;
    struct wr w;
    wr_init(&w, rec, SSL3_HDR + body);
    wr_u8(&w, type);
    wr_u16(&w, ver);
    wr_u16(&w, (uint16_t)body);
    uint8_t *frag = wr_reserve(&w, body);
    SSL_ENSURE(wr_ok(&w) && frag, SSLUnknownErr);
    if (tls)
        SSL_TRY(rectls_seal(ctx, d, type, ver, data, len, frag));
    else
        SSL_TRY(ssl3_seal(d, type, data, len, frag, body));
    d->seq++;
    ctx->out_len += SSL3_HDR + body;
    return SSLNoErr;
}

SSLErr rec3_seal_all(SSLContext *ctx, uint8_t type, const uint8_t *data, uint32_t len)
{
    do {
        uint32_t n = len > SSL3_MAX_PLAIN ? SSL3_MAX_PLAIN : len;
        SSL_TRY(rec3_seal(ctx, type, data, n));
        data += n;
        len -= n;
    } while (len);
    return SSLNoErr;
}

SSLErr rec3_complete_len(SSLContext *ctx, uint32_t *len)
{
    *len = 0;
    struct rd r;
    rd_init(&r, ctx->in.data + ctx->in_start, ctx->in_end - ctx->in_start);
    uint8_t type = rd_u8(&r);
    uint8_t major = rd_u8(&r), minor = rd_u8(&r);
    uint16_t n = rd_u16(&r);
    if (!rd_ok(&r))
        return SSLNoErr; /* header incomplete */
    if (type < CT_CCS || type > CT_APPDATA)
        return ctx_fail(ctx, AL_UNEXPECTED_MESSAGE, SSLProtocolErr);
    /* RFC 6101 §5.2.1, RFC 5246 §6.2.1: once negotiated the version is fixed; before, 3.0-3.3.
     * A TLS record at another version is protocol_version (as OpenSSL answers); SSL 3.0 has no
     * such alert. */
    uint16_t ver = (uint16_t)(major << 8 | minor);
    if (major != 3 || minor > 3 || (ctx->ver >= V_SSL3 && ver != ctx->ver) ||
        (ctx->ver == 0 && ctx->negotiated == SSL_Version_3_0 && minor != 0))
        return ctx_fail(ctx, ctx_is_tls(ctx) ? AL_PROTOCOL_VERSION : AL_ILLEGAL_PARAMETER,
                        SSLProtocolErr);
    uint32_t limit = ctx->rd_cur.suite ? SSL3_MAX_CIPHER : SSL3_MAX_PLAIN;
    if (n > limit)
        return ctx_fail(ctx, AL_ILLEGAL_PARAMETER, SSLProtocolErr);
    if (rd_left(&r) >= n)
        *len = SSL3_HDR + n;
    return SSLNoErr;
}

/* A protected fragment must be whole blocks holding at least a MAC (and, with a block cipher, the
 * padding length byte). The length is public, so refusing it before decrypting leaks nothing. */
static int open_shape_ok(const struct suite *s, uint32_t n)
{
    uint32_t bs = s->iv_len ? s->iv_len : 1;
    return n >= s->mac_len + (bs > 1 ? 1u : 0u) && n % bs == 0;
}

/* Check padding and MAC of a decrypted fragment (open_shape_ok held); returns the plaintext
 * length or fails. */
static SSLErr open_check(SSLContext *ctx, struct dirstate *d, uint8_t type, uint8_t *frag,
                         uint32_t n, uint32_t *plain)
{
    const struct suite *s = d->suite;
    uint32_t maclen = s->mac_len, bs = s->iv_len ? s->iv_len : 1;
    uint32_t good = 0xffffffffu, padlen = 0;
    if (bs > 1) {
        padlen = frag[n - 1];
        /* RFC 6101 §5.2.3.2: padding_length is less than the block length; the bytes are arbitrary. */
        good &= ct_lt32(padlen, bs);
        good &= ~ct_lt32(n, padlen + 1 + maclen);
        padlen = (padlen + 1) & good; /* on failure, MAC the maximal length: no early exit */
    }
    uint32_t len = n - padlen - maclen;
    uint8_t mac[20];
    mac3_compute(s->mac, d->mac_secret, d->seq, type, frag, len, mac);
    good &= ct_memeq(mac, frag + len, maclen) ? 0xffffffffu : 0;
    if (!good)
        return ctx_fail(ctx, AL_BAD_RECORD_MAC, SSLProtocolErr);
    *plain = len;
    return SSLNoErr;
}

SSLErr rec3_open(SSLContext *ctx)
{
    struct dirstate *d = &ctx->rd_cur;
    uint8_t *rec = ctx->in.data + ctx->in_start;
    struct rd r;
    rd_init(&r, rec, ctx->in_end - ctx->in_start);
    uint8_t type = rd_u8(&r);
    uint16_t ver = rd_u16(&r);
    uint32_t n = rd_u16(&r);
    uint8_t *frag = (uint8_t *)rd_bytes(&r, n);
    SSL_ENSURE(frag, SSLUnknownErr); /* rec3_complete_len said the record is complete */
    uint32_t plain = n, off = 0;
    int tls = d->suite ? is_tls(d->ver) : is_tls(ctx->ver);
    if (d->suite && tls) {
        SSL_TRY(rectls_open(ctx, d, type, ver, frag, n, &off, &plain));
        d->seq++;
    } else if (d->suite) {
        if (!open_shape_ok(d->suite, n))
            return ctx_fail(ctx, AL_BAD_RECORD_MAC, SSLProtocolErr);
        if (d->cipher.data)
            SSL_TRY(cry_cipher_run(d->cipher.data, frag, frag, n));
        SSL_TRY(open_check(ctx, d, type, frag, n, &plain));
        d->seq++;
    }
    if (plain > SSL3_MAX_PLAIN) /* TLS: record_overflow (RFC 5246 §6.2.3) */
        return ctx_fail(ctx, tls ? AL_RECORD_OVERFLOW : AL_ILLEGAL_PARAMETER, SSLProtocolErr);
    ctx->rec_type = type;
    ctx->rec_off = (uint32_t)(frag + off - ctx->in.data);
    ctx->rec_len = plain;
    ctx->rec_next = ctx->in_start + SSL3_HDR + n;
    return SSLNoErr;
}
