/*
 * record_tls.c - TLS record protection of one fragment (RFC 2246 §6.2.3, RFC 4346 §6.2.3,
 * RFC 5246 §6.2.3): one dispatch on the state, three modes.
 *   stream (RC4, NULL):  E(data || HMAC)
 *   CBC, MAC-then-encrypt: [IV] || E(data || HMAC || padding || padlen); IV explicit from TLS 1.1
 *   CBC, encrypt-then-MAC (RFC 7366, d->etm): [IV] || E(data || padding || padlen) || HMAC
 *   AEAD: explicit nonce (suite->nonce_explicit bytes) || E(data) || tag (16); AES-GCM
 *         (RFC 5288) sends 8 nonce bytes, ChaCha20-Poly1305 (RFC 7905) none
 * Opening is constant time in the secret padding length (Lucky 13, see crypto/hmac.c); every
 * failure is one bad_record_mac. Headers, queues and sequence numbers belong to record3.c.
 */
#include "record/record_tls.h"
#include "record/alert.h"
#include "base/buf.h"
#include "base/ct.h"
#include "crypto/hmac.h"
#include <string.h>

enum mode { M_STREAM, M_CBC, M_ETM, M_AEAD };

#define TLS_MAX_PAD 256u /* padding plus its length byte: at most 256 bytes (RFC 5246 §6.2.3.2) */

static enum mode mode_of(const struct dirstate *d)
{
    const struct suite *s = d->suite;
    if (s->aead)
        return M_AEAD;
    if (s->iv_len == 0)
        return M_STREAM; /* RFC 7366 §3: EtM applies to block ciphers only */
    return d->etm ? M_ETM : M_CBC;
}

static int mac_hash(int mac)
{
    switch (mac) {
    case MAC_MD5: return CRY_MD5;
    case MAC_SHA1: return CRY_SHA1;
    case MAC_SHA256: return CRY_SHA256;
    case MAC_SHA384: return CRY_SHA384;
    default: return -1;
    }
}

/* seq_num(8) || type(1) || version(2) || length(2): what the MAC covers first, and the AEAD AAD */
static void mac_header(uint8_t h[13], uint64_t seq, uint8_t type, uint16_t ver, size_t len)
{
    struct wr w;
    wr_init(&w, h, 13);
    wr_u32(&w, (uint32_t)(seq >> 32));
    wr_u32(&w, (uint32_t)seq);
    wr_u8(&w, type);
    wr_u16(&w, ver);
    wr_u16(&w, (uint16_t)len);
}

void rectls_mac(int mac, const uint8_t *secret, uint64_t seq, uint8_t type, uint16_t ver,
                const uint8_t *data, size_t len, uint8_t *out)
{
    int alg = mac_hash(mac);
    uint8_t h[13];
    mac_header(h, seq, type, ver, len);
    struct cry_hmac m;
    cry_hmac_init(&m, alg, secret, cry_hash_len(alg));
    cry_hmac_update(&m, h, sizeof h);
    cry_hmac_update(&m, data, len);
    cry_hmac_final(&m, out);
}

/* The record MAC of a direction: from its keyed HMAC when it has one (no key-block compressions
 * per record), else rectls_mac from the secret. */
static void dir_mac(const struct dirstate *d, uint8_t type, uint16_t ver, const uint8_t *data,
                    size_t len, uint8_t *out)
{
    if (!d->mac_key.set) {
        rectls_mac(d->suite->mac, d->mac_secret, d->seq, type, ver, data, len, out);
        return;
    }
    uint8_t h[13];
    mac_header(h, d->seq, type, ver, len);
    struct cry_hmac m;
    cry_hmac_init_key(&m, &d->mac_key);
    cry_hmac_update(&m, h, sizeof h);
    cry_hmac_update(&m, data, len);
    cry_hmac_final(&m, out);
}

/* Explicit IV bytes before the encrypted data: the block size from TLS 1.1 (RFC 4346 §6.2.3.2). */
static uint32_t explicit_iv(const struct dirstate *d)
{
    return d->ver >= V_TLS11 ? d->suite->iv_len : 0;
}

uint32_t rectls_sealed_len(const struct dirstate *d, uint32_t len)
{
    const struct suite *s = d->suite;
    switch (mode_of(d)) {
    case M_AEAD: return s->nonce_explicit + len + CRY_AEAD_TAG;
    case M_STREAM: return len + s->mac_len;
    case M_CBC: return explicit_iv(d) + (len + s->mac_len) / s->iv_len * s->iv_len + s->iv_len;
    default: return explicit_iv(d) + len / s->iv_len * s->iv_len + s->iv_len + s->mac_len;
    }
}

#define AEAD_NONCE 12u

/*
 * The 12-byte AEAD nonce: the fixed part from the key block (iv_len bytes) || the explicit part
 * from the record (nonce_explicit bytes): RFC 5288 §3 salt (4) || nonce_explicit (8). A suite with
 * no explicit part XORs the sequence number, left-padded to 12 bytes, into its fixed 12 bytes
 * (RFC 7905 §2). The table keeps iv_len + nonce_explicit == 12 (checked: else no nonce, 0).
 */
static int aead_nonce(uint8_t nonce[AEAD_NONCE], const struct dirstate *d,
                      const uint8_t *explicit_part)
{
    const struct suite *s = d->suite;
    uint32_t fixed = s->iv_len, nx = s->nonce_explicit;
    if (fixed + nx != AEAD_NONCE || fixed > sizeof d->fixed_iv)
        return 0;
    memcpy(nonce, d->fixed_iv, fixed);
    if (nx) {
        memcpy(nonce + fixed, explicit_part, nx);
        return 1;
    }
    for (int i = 0; i < 8; i++)
        nonce[AEAD_NONCE - 1 - i] ^= (uint8_t)(d->seq >> (8 * i));
    return 1;
}

SSLErr rectls_seal(SSLContext *ctx, struct dirstate *d, uint8_t type, uint16_t ver,
                   const uint8_t *data, uint32_t len, uint8_t *frag)
{
    const struct suite *s = d->suite;
    enum mode m = mode_of(d);
    uint32_t total = rectls_sealed_len(d, len);
    if (m == M_AEAD) {
        /* an explicit nonce (GCM's 8 bytes) is our sequence number, right-aligned: unique per key
         * without state (RFC 5288 §3) */
        uint32_t nx = s->nonce_explicit;
        uint8_t aad[13], nonce[AEAD_NONCE];
        memmove(frag + nx, data, len);
        memset(frag, 0, nx);
        for (uint32_t i = 0; i < nx && i < 8; i++)
            frag[nx - 1 - i] = (uint8_t)(d->seq >> (8 * i));
        SSL_ENSURE(aead_nonce(nonce, d, frag), SSLUnknownErr);
        mac_header(aad, d->seq, type, ver, len);
        return cry_aead_seal(d->cipher.data, nonce, sizeof nonce, aad, sizeof aad, frag + nx,
                             frag + nx, len, frag + nx + len);
    }
    uint32_t iv = m == M_STREAM ? 0 : explicit_iv(d), maclen = s->mac_len;
    memmove(frag + iv, data, len);
    if (iv) /* TLS 1.1: a random block, encrypted in the CBC chain, is the record's IV (§6.2.3.2 (2)(b)) */
        SSL_TRY(ctx_random(ctx, frag, iv));
    uint32_t body = len; /* bytes after the IV that get encrypted */
    if (m != M_ETM) {
        dir_mac(d, type, ver, frag + iv, len, frag + iv + len);
        body += maclen;
    }
    if (m != M_STREAM) { /* minimal padding; every byte, the length byte too, holds its length */
        uint32_t enc = total - iv - (m == M_ETM ? maclen : 0);
        memset(frag + iv + body, (int)(enc - body - 1), enc - body);
        body = enc;
    }
    if (d->cipher.data)
        SSL_TRY(cry_cipher_run(d->cipher.data, frag, frag, iv + body));
    if (m == M_ETM) /* RFC 7366 §3: the MAC covers IV and ciphertext */
        dir_mac(d, type, ver, frag, iv + body, frag + iv + body);
    return SSLNoErr;
}

static SSLErr bad_mac(SSLContext *ctx) { return ctx_fail(ctx, AL_BAD_RECORD_MAC, SSLProtocolErr); }

static SSLErr open_aead(SSLContext *ctx, struct dirstate *d, uint8_t type, uint16_t ver,
                        uint8_t *frag, uint32_t n, uint32_t *off, uint32_t *plain)
{
    uint32_t nx = d->suite->nonce_explicit;
    struct rd r;
    rd_init(&r, frag, n);
    const uint8_t *explicit_part = rd_bytes(&r, nx);
    if (!explicit_part || rd_left(&r) < CRY_AEAD_TAG)
        return bad_mac(ctx);
    uint32_t len = (uint32_t)rd_left(&r) - CRY_AEAD_TAG;
    uint8_t *ct = frag + nx;
    const uint8_t *tag = ct + len;
    uint8_t aad[13], nonce[AEAD_NONCE];
    if (!aead_nonce(nonce, d, explicit_part))
        return bad_mac(ctx);
    mac_header(aad, d->seq, type, ver, len);
    if (cry_aead_open(d->cipher.data, nonce, sizeof nonce, aad, sizeof aad, ct, ct, len, tag))
        return bad_mac(ctx); /* the adapter wiped ct */
    *off = nx;
    *plain = len;
    return SSLNoErr;
}

/*
 * CBC padding and MAC of a decrypted MAC-then-encrypt body b[0..n) (n >= maclen + 1, whole
 * blocks), in constant time: the padding bytes (all equal to the length, RFC 2246 §6.2.3.2) are
 * checked over the largest possible padding, the MAC costs the same compression work for every
 * padding (cry_hmac_ct), and the received MAC is gathered from its secret offset by a masked
 * scan of every possible offset. A bad padding is MAC'd as if none were there, so both failures
 * take the same path (the Vaudenay / Lucky 13 counter-measures of RFC 5246 §6.2.3.2).
 */
static uint32_t cbc_check(const struct dirstate *d, uint8_t type, uint16_t ver, const uint8_t *b,
                          uint32_t n, uint32_t *plain)
{
    const struct suite *s = d->suite;
    uint32_t maclen = s->mac_len, padlen = b[n - 1];
    uint32_t good = ~ct_lt32(n, padlen + 1 + maclen);
    uint32_t scan = n < TLS_MAX_PAD ? n : TLS_MAX_PAD;
    for (uint32_t i = 0; i < scan; i++) { /* bytes n-1-i for i <= padlen must equal padlen */
        uint32_t in_pad = ct_lt32(i, padlen + 1);
        good &= ~(in_pad & ~ct_eq32(b[n - 1 - i], padlen));
    }
    padlen = ((padlen + 1) & good) | (1u & ~good); /* bad: MAC the longest length, as if padlen 0 */
    uint32_t len = n - padlen - maclen, maxlen = n - 1 - maclen;
    uint32_t minlen = maxlen > TLS_MAX_PAD - 1 ? maxlen - (TLS_MAX_PAD - 1) : 0;
    uint8_t hdr[13], mac[CRY_MAX_DIGEST], got[CRY_MAX_DIGEST];
    mac_header(hdr, d->seq, type, ver, len);
    int alg = mac_hash(s->mac);
    if (d->mac_key.set)
        cry_hmac_ct_key(&d->mac_key, hdr, sizeof hdr, b, len, maxlen, mac);
    else
        cry_hmac_ct(alg, d->mac_secret, maclen, hdr, sizeof hdr, b, len, maxlen, mac);
    memset(got, 0, sizeof got);
    for (uint32_t at = minlen; at <= maxlen; at++) { /* got = b[len .. len + maclen) */
        uint8_t mask = (uint8_t)ct_eq32(at, len);
        for (uint32_t j = 0; j < maclen; j++)
            got[j] |= (uint8_t)(b[at + j] & mask);
    }
    good &= ct_memeq(mac, got, maclen) ? 0xffffffffu : 0;
    cry_wipe(mac, sizeof mac);
    *plain = len & good;
    return good;
}

SSLErr rectls_open(SSLContext *ctx, struct dirstate *d, uint8_t type, uint16_t ver, uint8_t *frag,
                   uint32_t n, uint32_t *off, uint32_t *plain)
{
    const struct suite *s = d->suite;
    enum mode m = mode_of(d);
    if (m == M_AEAD)
        return open_aead(ctx, d, type, ver, frag, n, off, plain);
    uint32_t maclen = s->mac_len, bs = s->iv_len ? s->iv_len : 1;
    uint32_t iv = m == M_STREAM ? 0 : explicit_iv(d);
    *off = iv;
    if (m == M_STREAM) {
        if (n < maclen)
            return bad_mac(ctx);
        if (d->cipher.data)
            SSL_TRY(cry_cipher_run(d->cipher.data, frag, frag, n));
        uint8_t mac[CRY_MAX_DIGEST];
        dir_mac(d, type, ver, frag, n - maclen, mac);
        int ok = ct_memeq(mac, frag + n - maclen, maclen);
        cry_wipe(mac, sizeof mac);
        if (!ok)
            return bad_mac(ctx);
        *plain = n - maclen;
        return SSLNoErr;
    }
    /* CBC: the lengths are public, so refusing a bad shape before decrypting leaks nothing */
    uint32_t enc = m == M_ETM ? (n >= maclen ? n - maclen : 0) : n;
    if (enc % bs || enc < iv + bs || (m == M_CBC && enc < iv + maclen + 1))
        return bad_mac(ctx);
    if (m == M_ETM) { /* RFC 7366 §3: check the MAC over IV || ciphertext before decrypting */
        uint8_t mac[CRY_MAX_DIGEST];
        dir_mac(d, type, ver, frag, enc, mac);
        int ok = ct_memeq(mac, frag + enc, maclen);
        cry_wipe(mac, sizeof mac);
        if (!ok)
            return bad_mac(ctx);
    }
    /* decrypting the explicit IV block too leaves the next blocks right: P_i = D(C_i) ^ C_{i-1};
     * the garbage first block is discarded (RFC 4346 §6.2.3.2) */
    SSL_TRY(cry_cipher_run(d->cipher.data, frag, frag, enc));
    uint8_t *b = frag + iv;
    uint32_t bn = enc - iv;
    if (m == M_ETM) { /* authenticated already: a plain padding check */
        uint32_t padlen = b[bn - 1], good = ~ct_lt32(bn, padlen + 1);
        for (uint32_t i = 0; i < bn && i < TLS_MAX_PAD; i++)
            good &= ~(ct_lt32(i, padlen + 1) & ~ct_eq32(b[bn - 1 - i], padlen));
        if (!good)
            return bad_mac(ctx);
        *plain = bn - padlen - 1;
        return SSLNoErr;
    }
    if (!cbc_check(d, type, ver, b, bn, plain))
        return bad_mac(ctx);
    return SSLNoErr;
}
