/*
 * crypto_ltc.c - the crypto adapter over libtomcrypt/libtommath (the only file that includes
 * tomcrypt.h). Registration happens once under pthread_once; no other writable global exists.
 * Every argument is checked here before libtomcrypt sees it, because its LTC_ARGCHK aborts.
 */
#include "crypto_ltc.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <tomcrypt.h>

struct SSLRSAPrivateKey {
    atomic_int ref;
    rsa_key k;
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_ok; /* written once inside pthread_once, read-only afterwards */

static void do_init(void)
{
    ltc_mp = ltm_desc;
    int ok = register_hash(&md5_desc) >= 0 && register_hash(&sha1_desc) >= 0 &&
             register_hash(&sha256_desc) >= 0 && register_hash(&sha384_desc) >= 0 &&
             register_hash(&sha512_desc) >= 0 && register_cipher(&aes_desc) >= 0 &&
             register_cipher(&des_desc) >= 0 && register_cipher(&des3_desc) >= 0 &&
             register_cipher(&rc2_desc) >= 0;
    init_ok = ok;
}

SSLErr cry_init(void)
{
    pthread_once(&once, do_init);
    return init_ok ? SSLNoErr : SSLUnknownErr;
}

/* ---- hashes ---- */

/* Each algorithm's state fits (the descriptors only touch their own member of hash_state). */
#define CRY_FITS(t) _Static_assert(sizeof(t) <= sizeof(((struct cry_hash *)0)->st), #t " fits")
CRY_FITS(struct md5_state);
CRY_FITS(struct sha1_state);
CRY_FITS(struct sha256_state);
CRY_FITS(struct sha512_state);

static const struct ltc_hash_descriptor *hash_desc(int alg)
{
    switch (alg) {
    case CRY_MD5: return &md5_desc;
    case CRY_SHA1: return &sha1_desc;
    case CRY_SHA256: return &sha256_desc;
    case CRY_SHA384: return &sha384_desc;
    default: return &sha512_desc;
    }
}

size_t cry_hash_len(int alg) { return hash_desc(alg)->hashsize; }

void cry_hash_init(struct cry_hash *h, int alg)
{
    h->alg = alg;
    hash_desc(alg)->init((hash_state *)(void *)&h->st);
}

void cry_hash_update(struct cry_hash *h, const void *p, size_t n)
{
    if (n)
        hash_desc(h->alg)->process((hash_state *)(void *)&h->st, p, (unsigned long)n);
}

void cry_hash_final(struct cry_hash *h, uint8_t *out)
{
    hash_desc(h->alg)->done((hash_state *)(void *)&h->st, out);
    zeromem(&h->st, sizeof h->st);
}

void cry_hash_once(int alg, const void *p, size_t n, uint8_t *out)
{
    struct cry_hash h;
    cry_hash_init(&h, alg);
    cry_hash_update(&h, p, n);
    cry_hash_final(&h, out);
}

/* ---- bulk ciphers ---- */

struct cipher_state {
    int alg, encrypt;
    union {
        rc4_state rc4;
        symmetric_CBC cbc;
    } u;
};

size_t cry_cipher_state_size(int alg)
{
    return alg == CRY_C_IDEA ? 0 : sizeof(struct cipher_state); /* IDEA: not in libtomcrypt 1.18 */
}

size_t cry_cipher_block_size(int alg)
{
    switch (alg) {
    case CRY_C_AES: return 16;
    case CRY_C_DES: case CRY_C_3DES: case CRY_C_RC2: case CRY_C_IDEA: return 8;
    default: return 1;
    }
}

SSLErr cry_cipher_init(void *st, int alg, int encrypt, const uint8_t *key, size_t keylen,
                       const uint8_t *iv)
{
    struct cipher_state *c = st;
    if (!st || (!key && keylen))
        return SSLBadParameterErr;
    c->alg = alg;
    c->encrypt = encrypt;
    const char *name;
    switch (alg) {
    case CRY_C_NULL:
        return SSLNoErr;
    case CRY_C_RC4:
        if (keylen < 1 || keylen > 256)
            return SSLBadParameterErr;
        return rc4_stream_setup(&c->u.rc4, key, (unsigned long)keylen) == CRYPT_OK ? SSLNoErr : SSLUnknownErr;
    case CRY_C_AES: name = "aes"; if (keylen != 16 && keylen != 32) return SSLBadParameterErr; break;
    case CRY_C_DES: name = "des"; if (keylen != 8) return SSLBadParameterErr; break;
    case CRY_C_3DES: name = "3des"; if (keylen != 24) return SSLBadParameterErr; break;
    case CRY_C_RC2: name = "rc2"; if (keylen < 1 || keylen > 128) return SSLBadParameterErr; break;
    default: return SSLUnsupportedErr;
    }
    if (!iv)
        return SSLBadParameterErr;
    int idx = find_cipher(name);
    if (idx < 0)
        return SSLUnknownErr;
    return cbc_start(idx, iv, key, (int)keylen, 0, &c->u.cbc) == CRYPT_OK ? SSLNoErr : SSLUnknownErr;
}

SSLErr cry_cipher_run(void *st, const uint8_t *in, uint8_t *out, size_t len)
{
    struct cipher_state *c = st;
    if (!len)
        return SSLNoErr;
    if (!st || !in || !out)
        return SSLBadParameterErr;
    int r;
    switch (c->alg) {
    case CRY_C_NULL:
        if (in != out)
            memmove(out, in, len);
        return SSLNoErr;
    case CRY_C_RC4:
        r = rc4_stream_crypt(&c->u.rc4, in, (unsigned long)len, out);
        break;
    default:
        if (len % cry_cipher_block_size(c->alg))
            return SSLBadParameterErr;
        r = c->encrypt ? cbc_encrypt(in, out, (unsigned long)len, &c->u.cbc)
                       : cbc_decrypt(in, out, (unsigned long)len, &c->u.cbc);
    }
    return r == CRYPT_OK ? SSLNoErr : SSLUnknownErr;
}

void cry_cipher_wipe(void *st)
{
    if (st)
        zeromem(st, sizeof(struct cipher_state));
}

/* ---- RSA ---- */

SSLErr cry_rsa_key_from_der(const uint8_t *der, size_t len, SSLRSAPrivateKey **out)
{
    if (!der || !len || !out)
        return SSLBadParameterErr;
    SSL_TRY(cry_init());
    SSLRSAPrivateKey *k = calloc(1, sizeof *k);
    if (!k)
        return SSLMemoryErr;
    if (rsa_import(der, (unsigned long)len, &k->k) != CRYPT_OK &&
        rsa_import_pkcs8(der, (unsigned long)len, NULL, 0, &k->k) != CRYPT_OK) {
        free(k);
        return ASNBadEncodingErr;
    }
    if (k->k.type != PK_PRIVATE) {
        rsa_free(&k->k);
        free(k);
        return SSLUnsupportedErr;
    }
    atomic_init(&k->ref, 1);
    *out = k;
    return SSLNoErr;
}

SSLRSAPrivateKey *cry_rsa_key_retain(SSLRSAPrivateKey *k)
{
    if (k)
        atomic_fetch_add(&k->ref, 1);
    return k;
}

void cry_rsa_key_release(SSLRSAPrivateKey *k)
{
    if (k && atomic_fetch_sub(&k->ref, 1) == 1) {
        rsa_free(&k->k);
        zeromem(k, sizeof *k);
        free(k);
    }
}

size_t cry_rsa_key_bytes(const SSLRSAPrivateKey *k) { return k ? ltc_mp.unsigned_size(k->k.N) : 0; }
uint32_t cry_rsa_key_bits(const SSLRSAPrivateKey *k) { return k ? (uint32_t)ltc_mp.count_bits(k->k.N) : 0; }

SSLErr cry_rsa_key_public(const SSLRSAPrivateKey *k, uint8_t *n, size_t *nlen, uint8_t *e,
                          size_t *elen)
{
    if (!k || !n || !nlen || !e || !elen)
        return SSLBadParameterErr;
    size_t a = ltc_mp.unsigned_size(k->k.N), b = ltc_mp.unsigned_size(k->k.e);
    if (a > *nlen || b > *elen)
        return SSLOverflowErr;
    if (ltc_mp.unsigned_write(k->k.N, n) != CRYPT_OK || ltc_mp.unsigned_write(k->k.e, e) != CRYPT_OK)
        return SSLUnknownErr;
    *nlen = a;
    *elen = b;
    return SSLNoErr;
}

SSLErr cry_rsa_private(const SSLRSAPrivateKey *k, const uint8_t *in, size_t inlen, uint8_t *out)
{
    if (!k || !in || !out || inlen != cry_rsa_key_bytes(k))
        return SSLBadParameterErr;
    unsigned long outlen = (unsigned long)inlen;
    int r = rsa_exptmod(in, (unsigned long)inlen, out, &outlen, PK_PRIVATE, (rsa_key *)&k->k);
    return r == CRYPT_OK && outlen == inlen ? SSLNoErr : SSLBadParameterErr;
}

SSLErr cry_rsa_public(const uint8_t *n, size_t nlen, const uint8_t *e, size_t elen,
                      const uint8_t *in, size_t inlen, uint8_t *out)
{
    rsa_key k;
    if (!n || !nlen || !e || !elen || !in || !inlen || inlen > nlen || !out)
        return SSLBadParameterErr;
    SSL_TRY(cry_init());
    if (rsa_set_key(n, (unsigned long)nlen, e, (unsigned long)elen, NULL, 0, &k) != CRYPT_OK)
        return SSLBadParameterErr;
    unsigned long outlen = (unsigned long)nlen;
    int r = rsa_exptmod(in, (unsigned long)inlen, out, &outlen, PK_PUBLIC, &k);
    rsa_free(&k);
    return r == CRYPT_OK && outlen == nlen ? SSLNoErr : SSLBadParameterErr;
}

/* ---- modular exponentiation ---- */

SSLErr cry_modexp(const uint8_t *base, size_t baselen, const uint8_t *exp, size_t explen,
                  const uint8_t *mod, size_t modlen, uint8_t *out)
{
    void *b = NULL, *x = NULL, *m = NULL, *r = NULL;
    if (!base || !exp || !mod || !modlen || !out)
        return SSLBadParameterErr;
    SSL_TRY(cry_init());
    SSLErr err = SSLMemoryErr;
    void **all[4] = {&b, &x, &m, &r};
    for (int i = 0; i < 4; i++)
        if (ltc_mp.init(all[i]) != CRYPT_OK) {
            *all[i] = NULL; /* a failed init frees what it took */
            goto done;
        }
    err = SSLUnknownErr;
    if (ltc_mp.unsigned_read(b, (unsigned char *)base, (unsigned long)baselen) == CRYPT_OK &&
        ltc_mp.unsigned_read(x, (unsigned char *)exp, (unsigned long)explen) == CRYPT_OK &&
        ltc_mp.unsigned_read(m, (unsigned char *)mod, (unsigned long)modlen) == CRYPT_OK &&
        ltc_mp.compare_d(m, 1) == LTC_MP_GT && ltc_mp.exptmod(b, x, m, r) == CRYPT_OK) {
        size_t rl = ltc_mp.unsigned_size(r);
        memset(out, 0, modlen);
        if (rl <= modlen && ltc_mp.unsigned_write(r, out + modlen - rl) == CRYPT_OK)
            err = SSLNoErr;
    }
done:
    if (b) ltc_mp.deinit(b);
    if (x) ltc_mp.deinit(x);
    if (m) ltc_mp.deinit(m);
    if (r) ltc_mp.deinit(r);
    return err;
}

int cry_bn_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    while (alen && !*a)
        a++, alen--;
    while (blen && !*b)
        b++, blen--;
    if (alen != blen)
        return alen < blen ? -1 : 1;
    int c = alen ? memcmp(a, b, alen) : 0;
    return c < 0 ? -1 : c > 0;
}

void cry_wipe(void *p, size_t n)
{
    if (p && n)
        zeromem(p, n);
}
