/*
 * ssl2_record.c - SSL 2.0 records (SSL 2.0 spec §1, §2.5 key production).
 * A record is MAC-DATA | ACTUAL-DATA | PADDING-DATA, MAC = MD5(secret, data, padding, seq), with
 * the sender's write key as secret. Sequence numbers start at zero with the first hello of each
 * direction and wrap at 2^32. Records we send carry a 2-byte header unless padding is needed.
 */
#include "record/ssl2_record.h"
#include "base/buf.h"
#include "record/alert.h"
#include "base/ct.h"
#include <string.h>

static SSLErr dir_key(SSLContext *ctx, struct ssl2_dir *d, const uint8_t *key, int encrypt)
{
    const struct ssl2_kind *k = ctx->kind2;
    memcpy(d->secret, key, k->key_len);
    SSL_TRY(ctx_alloc(ctx, &d->cipher, (uint32_t)cry_cipher_state_size(k->cipher)));
    memset(d->cipher.data, 0, d->cipher.length);
    SSL_TRY(cry_cipher_init(d->cipher.data, k->cipher, encrypt, key, k->key_len, ctx->key_arg));
    d->on = 1;
    return SSLNoErr;
}

SSLErr ssl2_derive_keys(SSLContext *ctx)
{
    const struct ssl2_kind *k = ctx->kind2;
    uint8_t km[48];
    for (uint32_t i = 0; i < k->key_blocks; i++) { /* KEY-MATERIAL-i = MD5(MASTER-KEY, "i", CHALLENGE, CONNECTION-ID) */
        struct cry_hash h;
        uint8_t digit = (uint8_t)('0' + i);
        cry_hash_init(&h, CRY_MD5);
        cry_hash_update(&h, ctx->master, ctx->master_len);
        cry_hash_update(&h, &digit, 1);
        cry_hash_update(&h, ctx->challenge, ctx->challenge_len);
        cry_hash_update(&h, ctx->conn_id, ctx->conn_id_len);
        cry_hash_final(&h, km + 16 * i);
    }
    /* CLIENT-READ-KEY first, CLIENT-WRITE-KEY next; the server's are the same, swapped. */
    const uint8_t *client_read = km, *client_write = km + k->key_len;
    int client = ctx->side == SSL_ClientSide;
    SSLErr e = dir_key(ctx, &ctx->wr2, client ? client_write : client_read, 1);
    if (e == SSLNoErr)
        e = dir_key(ctx, &ctx->rd2, client ? client_read : client_write, 0);
    cry_wipe(km, sizeof km);
    return e;
}

static void mac2(const struct ssl2_dir *d, uint32_t keylen, const uint8_t *data, uint32_t n,
                 uint8_t out[16])
{
    uint8_t seq[4] = {(uint8_t)(d->seq >> 24), (uint8_t)(d->seq >> 16), (uint8_t)(d->seq >> 8),
                      (uint8_t)d->seq};
    struct cry_hash h;
    cry_hash_init(&h, CRY_MD5);
    cry_hash_update(&h, d->secret, keylen);
    cry_hash_update(&h, data, n);
    cry_hash_update(&h, seq, 4);
    cry_hash_final(&h, out);
}

SSLErr ssl2_seal(SSLContext *ctx, const uint8_t *data, uint32_t len)
{
    struct ssl2_dir *d = &ctx->wr2;
    uint32_t bs = d->on && ctx->kind2->iv_len ? ctx->kind2->iv_len : 1;
    uint32_t maclen = d->on ? SSL2_MAC_LEN : 0;
    uint32_t total = maclen + len, pad = (bs - total % bs) % bs;
    total += pad;
    uint32_t hdr = pad ? 3 : 2;
    SSL_ENSURE(total <= (pad ? 16383u : 32767u), SSLBadParameterErr);
    if (ctx->out_off == ctx->out_len)
        ctx->out_off = ctx->out_len = 0;
    if (ctx->out.length - ctx->out_len < hdr + total)
        SSL_TRY(ctx_grow(ctx, &ctx->out, ctx->out_len + hdr + total + 4096, ctx->out_len));
    struct wr w;
    wr_init(&w, ctx->out.data + ctx->out_len, hdr + total);
    if (pad) {
        wr_u16(&w, (uint16_t)total); /* bit 15 clear: 3-byte header; bit 14 clear: no escape */
        wr_u8(&w, (uint8_t)pad);
    } else {
        wr_u16(&w, (uint16_t)(0x8000 | total));
    }
    uint8_t *body = wr_reserve(&w, total);
    SSL_ENSURE(wr_ok(&w) && body, SSLUnknownErr);
    memmove(body + maclen, data, len);
    memset(body + maclen + len, 0, pad);
    if (d->on) {
        mac2(d, ctx->kind2->key_len, body + maclen, len + pad, body);
        SSL_TRY(cry_cipher_run(d->cipher.data, body, body, total));
    }
    d->seq++;
    ctx->out_len += hdr + total;
    return SSLNoErr;
}

SSLErr ssl2_complete_len(SSLContext *ctx, uint32_t *len)
{
    struct rd r;
    rd_init(&r, ctx->in.data + ctx->in_start, ctx->in_end - ctx->in_start);
    uint8_t b0 = rd_u8(&r), b1 = rd_u8(&r);
    *len = 0;
    if (!rd_ok(&r))
        return SSLNoErr;
    uint32_t hdr = b0 & 0x80 ? 2 : 3;
    uint32_t n = b0 & 0x80 ? (uint32_t)(b0 & 0x7f) << 8 | b1 : (uint32_t)(b0 & 0x3f) << 8 | b1;
    if (!(b0 & 0x80) && (b0 & 0x40)) /* security escapes: none are defined */
        return SSLProtocolErr;
    if (n == 0)
        return SSLProtocolErr;
    if (hdr == 3)
        rd_u8(&r);
    if (rd_ok(&r) && rd_left(&r) >= n)
        *len = hdr + n;
    return SSLNoErr;
}

SSLErr ssl2_open(SSLContext *ctx)
{
    struct ssl2_dir *d = &ctx->rd2;
    struct rd r;
    rd_init(&r, ctx->in.data + ctx->in_start, ctx->in_end - ctx->in_start);
    uint8_t b0 = rd_u8(&r), b1 = rd_u8(&r);
    uint32_t n = b0 & 0x80 ? (uint32_t)(b0 & 0x7f) << 8 | b1 : (uint32_t)(b0 & 0x3f) << 8 | b1;
    uint32_t pad = b0 & 0x80 ? 0 : rd_u8(&r);
    uint8_t *body = (uint8_t *)rd_bytes(&r, n);
    SSL_ENSURE(body, SSLUnknownErr);
    uint32_t off = 0, len = n;
    if (d->on) {
        uint32_t bs = ctx->kind2->iv_len ? ctx->kind2->iv_len : 1;
        /* §1.2: a record that is not a whole number of blocks, or too short, is damaged */
        if (n % bs || n < SSL2_MAC_LEN + pad)
            return SSLProtocolErr;
        SSL_TRY(cry_cipher_run(d->cipher.data, body, body, n));
        uint8_t mac[16];
        mac2(d, ctx->kind2->key_len, body + SSL2_MAC_LEN, n - SSL2_MAC_LEN, mac);
        if (!ct_memeq(mac, body, SSL2_MAC_LEN))
            return ctx->rollback ? SSLNegotiationErr : SSLProtocolErr;
        off = SSL2_MAC_LEN;
        len = n - SSL2_MAC_LEN - pad;
    } else {
        if (pad > n)
            return SSLProtocolErr;
        len = n - pad;
    }
    d->seq++;
    ctx->rec_type = ctx->hs_done ? CT_APPDATA : CT_V2;
    ctx->rec_off = (uint32_t)(body + off - ctx->in.data);
    ctx->rec_len = len;
    ctx->rec_next = (uint32_t)(body + n - ctx->in.data);
    return SSLNoErr;
}

void ssl2_send_error(SSLContext *ctx, uint16_t code)
{
    uint8_t m[3] = {MSG2_ERROR, (uint8_t)(code >> 8), (uint8_t)code};
    SSLErr e = ssl2_seal(ctx, m, sizeof m);
    (void)e;
}
