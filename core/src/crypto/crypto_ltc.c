/*
 * crypto_ltc.c - the libtomcrypt/libtommath adapter: with ecdh.c, the only file including tomcrypt.h.
 * Owns registration (once, under pthread_once), hashes, bulk ciphers (DES and IDEA come from
 * des.c and idea.c), RSA keys and raw RSA, and modular exponentiation. It owns no protocol logic.
 * Every argument is checked here before libtomcrypt sees it (its LTC_ARGCHK aborts the process).
 * The only writable global is the pthread_once control; libtomcrypt's tables are written once,
 * inside it.
 */
#include "crypto/crypto_ltc.h"
#include "crypto/bn_ct.h"
#include "crypto/des.h"
#include "crypto/ecdh.h"
#include "crypto/ecdsa.h"
#include "crypto/gcm.h"
#include "crypto/aesni.h"
#include "crypto/chacha.h"
#include "crypto/idea.h"
#include "crypto/sha_ni.h"
#include <errno.h>
#include <pthread.h>
#include <sys/random.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <gmp.h>
#include <tomcrypt.h>

/* ---- Registration ---- */

static pthread_once_t cry_once = PTHREAD_ONCE_INIT;

/*
 * The bignum library behind RSA and DH: GMP (libtomcrypt's gmp_desc; about 3x faster for RSA-2048
 * private operations here, see docs/performance.md) unless SSLREF_MATH=ltm is set in the
 * environment when the first context is made, which selects libtommath.
 */
/*
 * RSA blinding draws its factor through ltc_mp.rand. gmp_desc's uses mpz_random(): GMP's global,
 * unlocked, non-cryptographic state, a data race between threads. Every descriptor gets this one:
 * getrandom() bytes read into the number (size is in digits).
 */
static int cry_mp_rand(void *a, int size)
{
    uint8_t buf[1024];
    size_t n = (size_t)size * (size_t)ltc_mp.bits_per_digit / 8;
    if (size <= 0 || n > sizeof buf)
        return CRYPT_INVALID_ARG;
    for (size_t got = 0; got < n;) {
        ssize_t r = getrandom(buf + got, n - got, 0);
        if (r < 0 && errno != EINTR)
            return CRYPT_ERROR_READPRNG;
        got += r > 0 ? (size_t)r : 0;
    }
    buf[0] |= 1; /* never zero: blinding inverts it */
    int err = ltc_mp.unsigned_read(a, buf, (unsigned long)n);
    zeromem(buf, n);
    return err;
}

static void cry_register(void)
{
    const char *math = secure_getenv("SSLREF_MATH");
    ltc_mp = math && strcmp(math, "ltm") == 0 ? ltm_desc : gmp_desc;
    ltc_mp.rand = cry_mp_rand;
    const struct ltc_hash_descriptor *h[] = {&md5_desc, &sha1_desc, &sha256_desc, &sha384_desc,
                                             &sha512_desc};
    for (size_t i = 0; i < sizeof h / sizeof h[0]; i++)
        (void)register_hash(h[i]);
    const struct ltc_cipher_descriptor *c[] = {&rc2_desc, &aes_desc};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
        (void)register_cipher(c[i]);
}

/* pthread_once only: the cheap guard used by every entry point that needs the tables. */
static int cry_ready(void)
{
    return pthread_once(&cry_once, cry_register) == 0 && ltc_mp.name != NULL;
}

SSLErr cry_init(void)
{
    SSL_ENSURE(cry_ready(), SSLUnknownErr);
    static const char hashes[][8] = {"md5", "sha1", "sha256", "sha384", "sha512"};
    static const char ciphers[][8] = {"rc2", "aes"};
    for (size_t i = 0; i < sizeof hashes / sizeof hashes[0]; i++)
        SSL_ENSURE(find_hash(hashes[i]) >= 0, SSLUnknownErr);
    for (size_t i = 0; i < sizeof ciphers / sizeof ciphers[0]; i++)
        SSL_ENSURE(find_cipher(ciphers[i]) >= 0, SSLUnknownErr);
    return SSLNoErr;
}

static SSLErr cry_map(int err)
{
    switch (err) {
    case CRYPT_OK:
        return SSLNoErr;
    case CRYPT_MEM:
        return SSLMemoryErr;
    default:
        return SSLUnknownErr;
    }
}

/* explicit_bzero: a memset the compiler may not remove, at memset speed (libtomcrypt's zeromem
 * clears a byte at a time through a volatile pointer, which made wiping freed record buffers a
 * sixth of a resumed handshake's server CPU). */
void cry_wipe(void *p, size_t n)
{
    if (p && n)
        explicit_bzero(p, n);
}

/* ---- Hashes ---- */

/*
 * SHA-1 and SHA-256 keep their own state (libtomcrypt's compression functions are static, so its
 * state could only be driven through sha1_process): the chaining value, the byte count and a
 * partial block. Whole blocks are compressed straight from the caller's buffer, as many as there
 * are in one call (sha_ni.c); only a partial block is copied. A block fed while the buffer is
 * empty is exactly one compression, which cry_hmac_ct counts on.
 */
struct sha_st {
    uint32_t h[8];   /* SHA-1 uses h[0..4] */
    uint64_t len;    /* bytes hashed so far (FIPS 180-4 limits the message to 2^64 - 1 bits) */
    uint32_t cur;    /* bytes in buf, 0..63 */
    uint32_t ni;     /* 1: the SHA-extension compression */
    uint8_t buf[64];
};

#define HASH_RAW sizeof(((struct cry_hash *)0)->st.raw)
_Static_assert(sizeof(struct md5_state) <= HASH_RAW, "md5 state fits");
_Static_assert(sizeof(struct sha_st) <= HASH_RAW, "sha1 / sha256 state fits");
_Static_assert(sizeof(struct sha512_state) <= HASH_RAW, "sha512 (and sha384) state fits");
_Static_assert(_Alignof(hash_state) <= _Alignof(uint64_t), "hash state alignment");
_Static_assert(_Alignof(struct sha_st) <= _Alignof(uint64_t), "sha state alignment");

/* Only the member of hash_state that belongs to h->alg is ever touched, and it fits in raw. */
#define HS(h) ((hash_state *)(void *)(h)->st.raw)
#define SHA(h) ((struct sha_st *)(void *)(h)->st.raw)

static void sha_blocks(struct sha_st *s, int alg, const uint8_t *p, size_t n)
{
    if (alg == CRY_SHA1)
        (s->ni ? cry_sha1_blocks_ni : cry_sha1_blocks_c)(s->h, p, n);
    else
        (s->ni ? cry_sha256_blocks_ni : cry_sha256_blocks_c)(s->h, p, n);
}

static void sha_init(struct sha_st *s, int alg, unsigned flags)
{
    static const uint32_t iv1[5] = {0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u,
                                    0xc3d2e1f0u}; /* FIPS 180-4 §5.3.1 */
    static const uint32_t iv256[8] = {0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
                                      0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u}; /* §5.3.3 */
    memset(s, 0, sizeof *s);
    if (alg == CRY_SHA1)
        memcpy(s->h, iv1, sizeof iv1);
    else
        memcpy(s->h, iv256, sizeof iv256);
    s->ni = !(flags & CRY_HASH_PORTABLE) && cry_sha_ni_cpu();
}

static void sha_update(struct sha_st *s, int alg, const uint8_t *p, size_t n)
{
    s->len += n;
    if (s->cur) {
        size_t k = 64 - s->cur < n ? 64 - s->cur : n;
        memcpy(s->buf + s->cur, p, k);
        s->cur += (uint32_t)k;
        p += k;
        n -= k;
        if (s->cur < 64)
            return;
        sha_blocks(s, alg, s->buf, 1);
        s->cur = 0;
    }
    if (n >= 64) {
        sha_blocks(s, alg, p, n / 64);
        p += n & ~(size_t)63;
        n &= 63;
    }
    if (n) {
        memcpy(s->buf, p, n);
        s->cur = (uint32_t)n;
    }
}

/* FIPS 180-4 §5.1.1: 0x80, zeros to 56 mod 64, the bit length big-endian; then the words. */
static void sha_final(struct sha_st *s, int alg, uint8_t *out)
{
    uint64_t bits = s->len << 3;
    s->buf[s->cur++] = 0x80;
    if (s->cur > 56) {
        memset(s->buf + s->cur, 0, 64 - s->cur);
        sha_blocks(s, alg, s->buf, 1);
        s->cur = 0;
    }
    memset(s->buf + s->cur, 0, 56 - s->cur);
    for (int i = 0; i < 8; i++)
        s->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
    sha_blocks(s, alg, s->buf, 1);
    for (int i = 0; i < (alg == CRY_SHA1 ? 5 : 8); i++) {
        out[4 * i] = (uint8_t)(s->h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
        out[4 * i + 3] = (uint8_t)s->h[i];
    }
}

size_t cry_hash_len(int alg)
{
    static const uint8_t len[] = {16, 20, 32, 48, 64};
    return alg >= CRY_MD5 && alg <= CRY_SHA512 ? len[alg] : 0;
}

/* An unknown alg leaves the state marked invalid (-1): update and final then do nothing. */
void cry_hash_init_flags(struct cry_hash *h, int alg, unsigned flags)
{
    if (!h)
        return;
    h->alg = alg;
    switch (alg) {
    case CRY_MD5: (void)md5_init(HS(h)); break;
    case CRY_SHA1:
    case CRY_SHA256: sha_init(SHA(h), alg, flags); break;
    case CRY_SHA384: (void)sha384_init(HS(h)); break;
    case CRY_SHA512: (void)sha512_init(HS(h)); break;
    default: h->alg = -1; break;
    }
}

void cry_hash_init(struct cry_hash *h, int alg) { cry_hash_init_flags(h, alg, 0); }

int cry_hash_uses_sha_ni(const struct cry_hash *h)
{
    return h && (h->alg == CRY_SHA1 || h->alg == CRY_SHA256) &&
           ((const struct sha_st *)(const void *)h->st.raw)->ni;
}

int cry_hash_save_chain(const struct cry_hash *h, uint32_t chain[8], uint64_t *len)
{
    if (!h || (h->alg != CRY_SHA1 && h->alg != CRY_SHA256))
        return -1;
    const struct sha_st *s = (const struct sha_st *)(const void *)h->st.raw;
    if (s->cur)
        return -1;
    memcpy(chain, s->h, sizeof s->h);
    *len = s->len;
    return 0;
}

void cry_hash_init_chain(struct cry_hash *h, int alg, const uint32_t chain[8], uint64_t len)
{
    cry_hash_init(h, alg);
    if (h && (alg == CRY_SHA1 || alg == CRY_SHA256)) {
        memcpy(SHA(h)->h, chain, sizeof SHA(h)->h);
        SHA(h)->len = len;
    }
}

void cry_hash_update(struct cry_hash *h, const void *p, size_t n)
{
    if (!h || !n || !p)
        return;
    const unsigned char *b = p;
    if (h->alg == CRY_SHA1 || h->alg == CRY_SHA256) {
        sha_update(SHA(h), h->alg, b, n);
        return;
    }
    /* libtomcrypt counts bits in 64 bits and takes unsigned long lengths: feed in bounded pieces */
    while (n) {
        unsigned long k = n > (1ul << 30) ? (1ul << 30) : (unsigned long)n;
        switch (h->alg) {
        case CRY_MD5: (void)md5_process(HS(h), b, k); break;
        case CRY_SHA384: (void)sha384_process(HS(h), b, k); break;
        case CRY_SHA512: (void)sha512_process(HS(h), b, k); break;
        default: return;
        }
        b += k;
        n -= k;
    }
}

void cry_hash_final(struct cry_hash *h, uint8_t *out)
{
    if (!h)
        return;
    if (out) {
        switch (h->alg) {
        case CRY_MD5: (void)md5_done(HS(h), out); break;
        case CRY_SHA1:
        case CRY_SHA256: sha_final(SHA(h), h->alg, out); break;
        case CRY_SHA384: (void)sha384_done(HS(h), out); break;
        case CRY_SHA512: (void)sha512_done(HS(h), out); break;
        default: break;
        }
    }
    cry_wipe(h, sizeof *h); /* explicit_bzero: libtomcrypt's zeromem is a byte at a time */
    h->alg = -1;
}

void cry_hash_once(int alg, const void *p, size_t n, uint8_t *out)
{
    struct cry_hash h;
    cry_hash_init(&h, alg);
    cry_hash_update(&h, p, n);
    cry_hash_final(&h, out);
}

/* ---- Bulk ciphers ---- */

/* Set only by a successful init: a zeroed or failed state runs nothing. */
#define CIPHER_KEYED 0x4b455945u

/*
 * CBC is done here over the one block cipher's key schedule, not with libtomcrypt's symmetric_CBC,
 * whose symmetric_key union holds every cipher's schedule (4 KiB): a connection keeps two states,
 * and this keeps each to the size of the key schedule it needs (see docs/performance.md).
 * libtomcrypt's setup and ECB functions take a symmetric_key * but touch only their own member.
 * AES runs on the AES instructions when the CPU has them (aesni.c: no tables, constant time, CBC
 * decryption eight blocks at a time), with one direction's round keys in the same space as
 * libtomcrypt's schedule; libtomcrypt's table AES is the portable path.
 */
struct cbc_state {
    uint8_t iv[16];
    union {
        uint64_t align;
        struct rijndael_key aes;
        struct cry_aesni_key ni; /* when cry_cipher.aesni */
        struct rc2_key rc2;
    } k;
};
_Static_assert(sizeof(struct cry_aesni_key) <= sizeof(struct rijndael_key),
               "the AES-NI schedule fits where libtomcrypt's does (state sizes unchanged)");

struct cry_cipher {
    int alg;
    int encrypt;
    uint32_t keyed;
    uint16_t block;
    uint16_t aesni; /* CRY_C_AES: 1 if the schedule is u.cbc.k.ni (AES-NI), 0 if libtomcrypt's */
    union {
        uint64_t align;
        rc4_state rc4;
        struct cbc_state cbc;
        struct idea_cbc idea;
        struct des_cbc des;
        struct cry_gcm gcm; /* CRY_C_AES_GCM: keyed once (gcm.c: AES round keys, H powers) */
        struct cry_chacha cp; /* CRY_C_CHACHA20_POLY1305: the key and the ChaCha20 path (chacha.c) */
    } u;
};
_Static_assert(_Alignof(struct cry_cipher) <= 8, "cipher state must fit an 8-byte aligned buffer");

#define CIPHER_HDR offsetof(struct cry_cipher, u)

size_t cry_cipher_state_size(int alg)
{
    switch (alg) {
    case CRY_C_RC4: return CIPHER_HDR + sizeof(rc4_state);
    case CRY_C_RC2: return CIPHER_HDR + offsetof(struct cbc_state, k) + sizeof(struct rc2_key);
    case CRY_C_DES:
    case CRY_C_3DES: return CIPHER_HDR + sizeof(struct des_cbc);
    case CRY_C_AES: return CIPHER_HDR + offsetof(struct cbc_state, k) + sizeof(struct rijndael_key);
    case CRY_C_IDEA: return CIPHER_HDR + sizeof(struct idea_cbc);
    case CRY_C_AES_GCM: return CIPHER_HDR + sizeof(struct cry_gcm);
    case CRY_C_CHACHA20_POLY1305: return CIPHER_HDR + sizeof(struct cry_chacha);
    case CRY_C_NULL: return CIPHER_HDR;
    default: return 0; /* unknown ids are unavailable */
    }
}

size_t cry_cipher_block_size(int alg)
{
    switch (alg) {
    case CRY_C_RC2:
    case CRY_C_DES:
    case CRY_C_3DES:
    case CRY_C_IDEA: return 8;
    case CRY_C_AES: return 16;
    default: return 1;
    }
}

static symmetric_key *cbc_sched(struct cry_cipher *c) { return (symmetric_key *)(void *)&c->u.cbc.k; }

static SSLErr cbc_key(struct cry_cipher *c, int alg, const uint8_t *key, size_t keylen,
                      unsigned rc2_bits, const uint8_t *iv)
{
    memcpy(c->u.cbc.iv, iv, c->block);
    int k = (int)keylen;
    switch (alg) {
    case CRY_C_AES:
        if (c->aesni) {
            int r = c->encrypt ? cry_aesni_set_encrypt_key(&c->u.cbc.k.ni, key, keylen)
                               : cry_aesni_set_decrypt_key(&c->u.cbc.k.ni, key, keylen);
            return r == 0 ? SSLNoErr : SSLUnknownErr;
        }
        return cry_map(rijndael_setup(key, k, 0, cbc_sched(c)));
    default: return cry_map(rc2_setup_ex(key, k, (int)rc2_bits, 0, cbc_sched(c)));
    }
}

typedef int (*ecb_fn)(const unsigned char *, unsigned char *, symmetric_key *);

static void cbc_run(struct cry_cipher *c, const uint8_t *in, uint8_t *out, size_t len)
{
    static const ecb_fn enc[] = {[CRY_C_AES] = rijndael_ecb_encrypt, [CRY_C_RC2] = rc2_ecb_encrypt};
    static const ecb_fn dec[] = {[CRY_C_AES] = rijndael_ecb_decrypt, [CRY_C_RC2] = rc2_ecb_decrypt};
    uint32_t bs = c->block;
    uint8_t *iv = c->u.cbc.iv, x[16];
    if (c->aesni) { /* CRY_C_AES on AES-NI; the IV carries over calls as below */
        if (c->encrypt)
            cry_aesni_cbc_encrypt(&c->u.cbc.k.ni, iv, in, out, len / 16);
        else
            cry_aesni_cbc_decrypt(&c->u.cbc.k.ni, iv, in, out, len / 16);
        return;
    }
    for (size_t off = 0; off < len; off += bs) {
        if (c->encrypt) { /* C_i = E(P_i ^ C_{i-1}) */
            for (uint32_t i = 0; i < bs; i++)
                x[i] = in[off + i] ^ iv[i];
            (void)enc[c->alg](x, out + off, cbc_sched(c));
            memcpy(iv, out + off, bs);
        } else { /* P_i = D(C_i) ^ C_{i-1}; in and out may be the same buffer */
            memcpy(x, in + off, bs);
            (void)dec[c->alg](x, out + off, cbc_sched(c));
            for (uint32_t i = 0; i < bs; i++)
                out[off + i] ^= iv[i];
            memcpy(iv, x, bs);
        }
    }
    zeromem(x, sizeof x);
}

static SSLErr cipher_key(void *st, int alg, int encrypt, const uint8_t *key, size_t keylen,
                         unsigned rc2_bits, const uint8_t *iv, unsigned flags)
{
    SSL_ENSURE(st && (key || alg == CRY_C_NULL), SSLBadParameterErr);
    SSL_ENSURE(cry_ready(), SSLUnknownErr);
    SSL_ENSURE(cry_cipher_block_size(alg) == 1 || iv, SSLBadParameterErr);
    struct cry_cipher *c = st;
    size_t size = cry_cipher_state_size(alg);
    SSL_ENSURE(size != 0, SSLUnsupportedErr);
    zeromem(c, size);
    c->alg = CRY_C_NULL;
    c->encrypt = encrypt != 0;
    c->block = (uint16_t)cry_cipher_block_size(alg);
    c->aesni = alg == CRY_C_AES && !(flags & CRY_CIPHER_PORTABLE) && cry_aesni_cpu();
    SSLErr e;
    switch (alg) {
    case CRY_C_NULL:
        e = SSLNoErr;
        break;
    case CRY_C_RC4: /* libtomcrypt refuses RC4 keys under 40 bits */
        SSL_ENSURE(keylen >= 5 && keylen <= 256, SSLBadParameterErr);
        e = cry_map(rc4_stream_setup(&c->u.rc4, key, (unsigned long)keylen));
        break;
    case CRY_C_RC2:
        SSL_ENSURE(keylen >= 1 && keylen <= 128 && rc2_bits >= 1 && rc2_bits <= 1024,
                   SSLBadParameterErr);
        e = cbc_key(c, alg, key, keylen, rc2_bits, iv);
        break;
    case CRY_C_DES:
    case CRY_C_3DES:
        SSL_ENSURE(keylen == (alg == CRY_C_DES ? 8u : 24u), SSLBadParameterErr);
        des_cbc_init(&c->u.des, encrypt != 0, key, keylen, iv);
        e = SSLNoErr;
        break;
    case CRY_C_AES:
        SSL_ENSURE(keylen == 16 || keylen == 24 || keylen == 32, SSLBadParameterErr);
        e = cbc_key(c, alg, key, keylen, 0, iv);
        break;
    case CRY_C_IDEA:
        SSL_ENSURE(keylen == 16, SSLBadParameterErr);
        idea_cbc_init(&c->u.idea, encrypt != 0, key, iv);
        e = SSLNoErr;
        break;
    case CRY_C_AES_GCM: { /* RFC 5288: AES-128/256; the nonce comes per record (cry_aead_*) */
        SSL_ENSURE(keylen == 16 || keylen == 24 || keylen == 32, SSLBadParameterErr);
        e = cry_gcm_init(&c->u.gcm, key, keylen,
                         flags & CRY_CIPHER_PORTABLE ? CRY_GCM_PORTABLE : 0);
        break;
    }
    case CRY_C_CHACHA20_POLY1305: /* RFC 8439 §2.8: a 256-bit key; the nonce makes each message's
                                   * Poly1305 key, so the key and the ChaCha20 path are kept */
        SSL_ENSURE(keylen == 32, SSLBadParameterErr);
        cry_chacha_init(&c->u.cp, key, flags & CRY_CIPHER_PORTABLE ? CRY_CHACHA_PORTABLE : 0);
        e = SSLNoErr;
        break;
    default:
        return SSLUnsupportedErr;
    }
    if (e != SSLNoErr) {
        zeromem(c, size);
        return e;
    }
    c->alg = alg;
    c->keyed = CIPHER_KEYED;
    return SSLNoErr;
}

SSLErr cry_cipher_init(void *st, int alg, int encrypt, const uint8_t *key, size_t keylen,
                       const uint8_t *iv)
{
    unsigned rc2_bits = (unsigned)(8 * (keylen <= 128 ? keylen : 0)); /* SSL's RC2: 8 * keylen */
    return cipher_key(st, alg, encrypt, key, keylen, rc2_bits, iv, 0);
}

SSLErr cry_cipher_init_flags(void *st, int alg, int encrypt, const uint8_t *key, size_t keylen,
                             const uint8_t *iv, unsigned flags)
{
    unsigned rc2_bits = (unsigned)(8 * (keylen <= 128 ? keylen : 0));
    return cipher_key(st, alg, encrypt, key, keylen, rc2_bits, iv, flags);
}

int cry_cipher_uses_aesni(const void *st)
{
    const struct cry_cipher *c = st;
    if (!c || c->keyed != CIPHER_KEYED)
        return 0;
    if (c->alg == CRY_C_AES)
        return c->aesni;
    return c->alg == CRY_C_AES_GCM && cry_gcm_uses_aesni(&c->u.gcm);
}

SSLErr cry_cipher_init_rc2(void *st, int encrypt, const uint8_t *key, size_t keylen,
                           unsigned effective_bits, const uint8_t *iv)
{
    return cipher_key(st, CRY_C_RC2, encrypt, key, keylen, effective_bits, iv, 0);
}

SSLErr cry_cipher_run(void *st, const uint8_t *in, uint8_t *out, size_t len)
{
    SSL_ENSURE(st, SSLBadParameterErr);
    struct cry_cipher *c = st;
    SSL_ENSURE(c->keyed == CIPHER_KEYED, SSLBadParameterErr);
    if (len == 0)
        return SSLNoErr;
    SSL_ENSURE(in && out, SSLBadParameterErr);
    SSL_ENSURE(len <= 0x7fffffffu, SSLBadParameterErr);
    switch (c->alg) {
    case CRY_C_NULL:
        if (in != out)
            memmove(out, in, len);
        return SSLNoErr;
    case CRY_C_RC4:
        return cry_map(rc4_stream_crypt(&c->u.rc4, in, (unsigned long)len, out));
    case CRY_C_RC2:
    case CRY_C_AES:
        SSL_ENSURE(len % c->block == 0, SSLBadParameterErr);
        cbc_run(c, in, out, len);
        return SSLNoErr;
    case CRY_C_DES:
    case CRY_C_3DES:
        SSL_ENSURE(len % 8 == 0, SSLBadParameterErr);
        des_cbc_run(&c->u.des, in, out, len);
        return SSLNoErr;
    case CRY_C_IDEA:
        SSL_ENSURE(len % 8 == 0, SSLBadParameterErr);
        idea_cbc_run(&c->u.idea, in, out, len);
        return SSLNoErr;
    case CRY_C_AES_GCM:
    case CRY_C_CHACHA20_POLY1305:
        return SSLBadParameterErr; /* AEAD: cry_aead_seal / cry_aead_open */
    default:
        return SSLBadParameterErr; /* a corrupt state */
    }
}

/* ---- AEAD: AES-GCM (RFC 5116, RFC 5288) on gcm.c (constant-time GHASH, no tables),
 * ChaCha20-Poly1305 (RFC 8439) on chacha.c (AVX-512F / AVX2 / portable ChaCha20, 64-bit Poly1305,
 * no tables) ---- */

static int is_aead(int alg) { return alg == CRY_C_AES_GCM || alg == CRY_C_CHACHA20_POLY1305; }

/* The checks common to seal and open. */
static SSLErr aead_check(struct cry_cipher *c, const uint8_t *nonce, size_t nlen,
                         const uint8_t *aad, size_t alen, size_t len)
{
    SSL_ENSURE(c && c->keyed == CIPHER_KEYED && is_aead(c->alg), SSLBadParameterErr);
    SSL_ENSURE(nonce && nlen >= 1 && nlen <= 64 && (aad || !alen) && alen <= 1024, SSLBadParameterErr);
    SSL_ENSURE(len <= 0x7fffffffu, SSLBadParameterErr);
    /* RFC 8439 §2.8: a 96-bit nonce */
    SSL_ENSURE(c->alg != CRY_C_CHACHA20_POLY1305 || nlen == 12, SSLBadParameterErr);
    return SSLNoErr;
}

SSLErr cry_aead_seal(void *st, const uint8_t *nonce, size_t nlen, const uint8_t *aad, size_t alen,
                     const uint8_t *in, uint8_t *out, size_t len, uint8_t tag[CRY_AEAD_TAG])
{
    struct cry_cipher *c = st;
    SSL_ENSURE(tag && (len == 0 || (in && out)), SSLBadParameterErr);
    SSL_TRY(aead_check(c, nonce, nlen, aad, alen, len));
    if (c->alg == CRY_C_AES_GCM)
        return cry_gcm_seal(&c->u.gcm, nonce, nlen, aad, alen, in, out, len, tag);
    cry_chacha20_poly1305_seal(&c->u.cp, nonce, aad, alen, in, out, len, tag);
    return SSLNoErr;
}

SSLErr cry_aead_open(void *st, const uint8_t *nonce, size_t nlen, const uint8_t *aad, size_t alen,
                     const uint8_t *in, uint8_t *out, size_t len, const uint8_t tag[CRY_AEAD_TAG])
{
    struct cry_cipher *c = st;
    SSL_ENSURE(tag && (len == 0 || (in && out)), SSLBadParameterErr);
    SSL_TRY(aead_check(c, nonce, nlen, aad, alen, len));
    /* both check the tag (constant time) before anything is decrypted; on failure out is wiped */
    if (c->alg == CRY_C_AES_GCM)
        return cry_gcm_open(&c->u.gcm, nonce, nlen, aad, alen, in, out, len, tag);
    if (cry_chacha20_poly1305_open(&c->u.cp, nonce, aad, alen, in, out, len, tag) != 0)
        return SSLProtocolErr;
    return SSLNoErr;
}

/* The ChaCha20 path of a keyed ChaCha20-Poly1305 state (CRY_CHACHA_*), -1 for another state. */
int cry_cipher_chacha_path(const void *st)
{
    const struct cry_cipher *c = st;
    if (!c || c->keyed != CIPHER_KEYED || c->alg != CRY_C_CHACHA20_POLY1305)
        return -1;
    return (int)c->u.cp.path;
}

void cry_cipher_wipe(void *st)
{
    if (!st)
        return;
    struct cry_cipher *c = st;
    size_t size = c->keyed == CIPHER_KEYED ? cry_cipher_state_size(c->alg) : 0;
    zeromem(c, size ? size : CIPHER_HDR);
}

/* ---- RSA ---- */

struct SSLRSAPrivateKey {
    atomic_uint refs;
    int is_dsa;  /* DSA (for the DHE-DSS suites): dk is used, key and n[] are not */
    rsa_key key;          /* public operations, and the numbers as loaded */
    dsa_key dk;           /* DSA verification (load-time check) */
    struct bn_ct_rsa *ct; /* the private operation: constant time (bn_ct.c) */
    struct bn_ct_dsa *ctd;
    struct cry_ec_key *ec; /* EC (ECDSA, ecdsa.c): only this is used; nbytes and nbits are 0 */
    size_t nbytes;
    uint32_t nbits;
    uint8_t n[]; /* big-endian modulus, nbytes long (no leading zero) */
};

/*
 * A strict shape check runs before libtomcrypt's DER decoder, which is lenient (it ignores the
 * class bits of tags and accepts a SET for a SEQUENCE). Only definite, minimal lengths pass.
 */
struct der {
    const uint8_t *p, *end;
};

/* Next element: its tag, and a sub-reader over its contents. 0 on any malformation. */
static int der_next(struct der *d, uint8_t *tag, struct der *in)
{
    if (d->end - d->p < 2)
        return 0;
    *tag = *d->p++;
    size_t l = *d->p++;
    if (l & 0x80) {
        size_t k = l & 0x7f;
        if (k == 0 || k > 3 || (size_t)(d->end - d->p) < k || d->p[0] == 0)
            return 0;
        for (l = 0; k; k--)
            l = (l << 8) | *d->p++;
        if (l < 0x80)
            return 0; /* not minimal */
    }
    if (l > (size_t)(d->end - d->p))
        return 0;
    in->p = d->p;
    in->end = d->p + l;
    d->p += l;
    return 1;
}

/* A minimal, non-negative INTEGER; *zero tells whether it is 0. */
static int der_uint(struct der *d, int *zero)
{
    uint8_t tag;
    struct der v;
    if (!der_next(d, &tag, &v) || tag != 0x02 || v.p == v.end || (v.p[0] & 0x80))
        return 0;
    if (v.end - v.p > 1 && v.p[0] == 0 && !(v.p[1] & 0x80))
        return 0;
    *zero = v.end - v.p == 1 && v.p[0] == 0;
    return 1;
}

/* Number of INTEGERs making up exactly the contents of the SEQUENCE that is all of @d, else -1;
 * *first_zero tells whether the first one is 0 (the version of a private key). */
static int der_int_seq(struct der d, int *first_zero)
{
    uint8_t tag;
    struct der in;
    if (!der_next(&d, &tag, &in) || tag != 0x30 || d.p != d.end)
        return -1;
    int n = 0, zero = 0;
    while (in.p != in.end) {
        if (!der_uint(&in, &zero))
            return -1;
        if (n++ == 0)
            *first_zero = zero;
    }
    return n;
}

enum key_shape {
    SHAPE_BAD, SHAPE_PKCS1, SHAPE_PKCS8_RSA, SHAPE_PUBLIC, SHAPE_OTHER_ALG, SHAPE_DSA,
    SHAPE_EC_SEC1, SHAPE_EC_PKCS8
};

static const uint8_t ec_pub_oid[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01}; /* 1.2.840.10045.2.1 */

/* A one-byte-valued INTEGER equal to want. */
static int der_small_is(struct der *d, uint8_t want)
{
    uint8_t tag;
    struct der v;
    return der_next(d, &tag, &v) && tag == 0x02 && v.end - v.p == 1 && v.p[0] == want;
}

static enum key_shape key_shape(const uint8_t *der, size_t len)
{
    static const uint8_t rsa_oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
    static const uint8_t dsa_oid[] = {0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01};
    struct der all = {der, der + len}, d = all, seq, a, b, c, oid;
    int v0 = 0, n = der_int_seq(all, &v0);
    if (n == 9 && v0) /* RSAPrivateKey, two-prime (PKCS#1 A.1.2) */
        return SHAPE_PKCS1;
    if (n == 2) /* RSAPublicKey */
        return SHAPE_PUBLIC;
    if (n == 6 && v0) /* OpenSSL's DSAPrivateKey: 0, p, q, g, y, x */
        return SHAPE_DSA;
    uint8_t tag, t1, t2;
    if (!der_next(&d, &tag, &seq) || tag != 0x30 || d.p != d.end)
        return SHAPE_BAD;
    {   /* ECPrivateKey (RFC 5915): version 1, privateKey OCTET STRING, ...: checked in full later */
        struct der e = seq, os;
        if (der_small_is(&e, 1) && der_next(&e, &tag, &os) && tag == 0x04)
            return SHAPE_EC_SEC1;
    }
    if (der_next(&seq, &t1, &a) && t1 == 0x30 && der_next(&seq, &t2, &b) && t2 == 0x03 &&
        seq.p == seq.end) /* SubjectPublicKeyInfo */
        return SHAPE_PUBLIC;
    /* PrivateKeyInfo (RFC 5208): version 0, AlgorithmIdentifier, OCTET STRING [, [0] attributes] */
    d = all;
    if (!der_next(&d, &tag, &seq) || !der_uint(&seq, &v0) || !v0)
        return SHAPE_BAD;
    if (!der_next(&seq, &t1, &a) || t1 != 0x30 || !der_next(&seq, &t2, &c) || t2 != 0x04)
        return SHAPE_BAD;
    if (seq.p != seq.end && (!der_next(&seq, &tag, &b) || tag != 0xa0 || seq.p != seq.end))
        return SHAPE_BAD;
    if (!der_next(&a, &tag, &oid) || tag != 0x06)
        return SHAPE_BAD;
    if ((size_t)(oid.end - oid.p) == sizeof dsa_oid && !memcmp(oid.p, dsa_oid, sizeof dsa_oid))
        return SHAPE_DSA;
    if ((size_t)(oid.end - oid.p) == sizeof ec_pub_oid && !memcmp(oid.p, ec_pub_oid, sizeof ec_pub_oid))
        return SHAPE_EC_PKCS8;
    if ((size_t)(oid.end - oid.p) != sizeof rsa_oid || memcmp(oid.p, rsa_oid, sizeof rsa_oid))
        return SHAPE_OTHER_ALG;
    return der_int_seq(c, &v0) == 9 && v0 ? SHAPE_PKCS8_RSA : SHAPE_BAD;
}

/*
 * Load-time consistency check: (x^d)^e == x for one x. libtomcrypt does not check that the CRT
 * numbers belong to n; a key whose numbers do not fit together is refused here, once, rather
 * than failing at every handshake.
 */
static SSLErr key_selftest(const SSLRSAPrivateKey *k)
{
    uint8_t *buf = malloc(3 * k->nbytes);
    SSL_ENSURE(buf, SSLMemoryErr);
    uint8_t *x = buf, *y = buf + k->nbytes, *z = buf + 2 * k->nbytes;
    x[0] = 0; /* below n, whose first byte is not zero */
    for (size_t i = 1; i < k->nbytes; i++)
        x[i] = (uint8_t)(0x5c ^ i);
    SSLErr e = cry_rsa_private(k, x, k->nbytes, y);
    unsigned long zl = (unsigned long)k->nbytes;
    if (e == SSLNoErr &&
        (rsa_exptmod(y, zl, z, &zl, PK_PUBLIC, (rsa_key *)&k->key) != CRYPT_OK ||
         zl != k->nbytes || memcmp(x, z, k->nbytes) != 0))
        e = SSLUnknownErr;
    zeromem(buf, 3 * k->nbytes);
    free(buf);
    if (e == SSLUnknownErr || e == SSLBadParameterErr)
        e = ASNBadEncodingErr;
    return e;
}

/* Big-endian bytes of libtomcrypt numbers, each at most cap bytes, into one buffer for bn_ct. */
static int ltc_export(void *const *num, int count, uint8_t *buf, size_t cap, size_t *len)
{
    for (int i = 0; i < count; i++) {
        unsigned long n = ltc_mp.unsigned_size(num[i]);
        if (n > cap || ltc_mp.unsigned_write(num[i], buf + (size_t)i * cap) != CRYPT_OK)
            return 0;
        len[i] = n;
    }
    return 1;
}

/* The private numbers as bn_ct.c holds them (whatever math descriptor libtomcrypt uses). */
static SSLErr key_ct_rsa(rsa_key *rk, size_t nb, struct bn_ct_rsa **out)
{
    void *num[7] = {rk->N, rk->e, rk->p, rk->q, rk->dP, rk->dQ, rk->qP};
    size_t len[7];
    uint8_t *b = calloc(7, nb);
    SSL_ENSURE(b, SSLMemoryErr);
    SSLErr e = ASNBadEncodingErr;
    if (ltc_export(num, 7, b, nb, len))
        e = bn_ct_rsa_new(b, len[0], b + nb, len[1], b + 2 * nb, len[2], b + 3 * nb, len[3],
                          b + 4 * nb, len[4], b + 5 * nb, len[5], b + 6 * nb, len[6], out);
    zeromem(b, 7 * nb);
    free(b);
    return e == SSLBadParameterErr ? ASNBadEncodingErr : e;
}

/*
 * Zero a libtomcrypt number in place. libtommath's mp_zero clears every digit; GMP's mpz_clear
 * would free limbs unwiped, so under gmp_desc the limbs are zeroed by hand first.
 */
static void ltc_num_wipe(void *num)
{
    if (!num)
        return;
    if (ltc_mp.exptmod == gmp_desc.exptmod) {
        mpz_ptr z = num;
        zeromem(z->_mp_d, (size_t)z->_mp_alloc * sizeof(mp_limb_t));
    }
    (void)ltc_mp.set_int(num, 0);
}

static SSLErr key_wrap(rsa_key *rk, SSLRSAPrivateKey **out)
{
    SSL_ENSURE(rk->type == PK_PRIVATE, SSLUnsupportedErr);
    unsigned long nb = ltc_mp.unsigned_size(rk->N);
    SSL_ENSURE(nb >= 8 && nb <= 2048, SSLUnsupportedErr);
    SSLRSAPrivateKey *k = calloc(1, sizeof *k + nb);
    SSL_ENSURE(k, SSLMemoryErr);
    SSLErr e = cry_map(ltc_mp.unsigned_write(rk->N, k->n));
    if (e == SSLNoErr && !(k->n[nb - 1] & 1))
        e = SSLUnsupportedErr; /* an even modulus is no RSA key */
    if (e != SSLNoErr) {
        free(k);
        return e;
    }
    atomic_init(&k->refs, 1u);
    k->key = *rk;
    k->nbytes = nb;
    k->nbits = (uint32_t)ltc_mp.count_bits(rk->N);
    e = key_ct_rsa(rk, nb, &k->ct);
    if (e == SSLNoErr)
        e = key_selftest(k);
    if (e != SSLNoErr) {
        bn_ct_rsa_free(k->ct);
        zeromem(k, sizeof *k + nb); /* rk still owns the numbers: the caller frees them */
        free(k);
        return e;
    }
    /* one copy of the secret (bn_ct's): libtomcrypt keeps only n and e, for public operations */
    void *priv[6] = {k->key.d, k->key.p, k->key.q, k->key.dP, k->key.dQ, k->key.qP};
    for (int i = 0; i < 6; i++)
        ltc_num_wipe(priv[i]);
    *out = k;
    return SSLNoErr;
}

static SSLErr dsa_key_from_der(const uint8_t *der, size_t len, SSLRSAPrivateKey **out);
static SSLErr ec_key_from_der(const uint8_t *der, size_t len, int pkcs8, SSLRSAPrivateKey **out);

SSLErr cry_rsa_key_from_der(const uint8_t *der, size_t len, SSLRSAPrivateKey **out)
{
    SSL_ENSURE(out, SSLBadParameterErr);
    *out = NULL;
    SSL_ENSURE(der && len && len <= 0x100000, ASNBadEncodingErr);
    enum key_shape shape = key_shape(der, len);
    SSL_ENSURE(shape != SHAPE_PUBLIC && shape != SHAPE_OTHER_ALG, SSLUnsupportedErr);
    SSL_ENSURE(shape != SHAPE_BAD, ASNBadEncodingErr);
    SSL_ENSURE(cry_ready(), SSLUnknownErr);
    if (shape == SHAPE_DSA)
        return dsa_key_from_der(der, len, out);
    if (shape == SHAPE_EC_SEC1 || shape == SHAPE_EC_PKCS8)
        return ec_key_from_der(der, len, shape == SHAPE_EC_PKCS8, out);
    rsa_key rk;
    memset(&rk, 0, sizeof rk);
    int err = shape == SHAPE_PKCS1 ? rsa_import(der, (unsigned long)len, &rk)
                                   : rsa_import_pkcs8(der, (unsigned long)len, NULL, 0, &rk);
    if (err != CRYPT_OK) /* libtomcrypt frees what it took on failure */
        return err == CRYPT_MEM ? SSLMemoryErr : ASNBadEncodingErr;
    SSLErr e = key_wrap(&rk, out);
    if (e != SSLNoErr)
        rsa_free(&rk);
    return e;
}

/* ---- DSA (DHE-DSS server keys) ---- */

static SSLErr sys_random(void *ref, uint8_t *out, size_t n)
{
    (void)ref;
    for (size_t got = 0; got < n;) {
        ssize_t r = getrandom(out + got, n - got, 0);
        if (r < 0 && errno != EINTR)
            return SSLUnknownErr;
        got += r > 0 ? (size_t)r : 0;
    }
    return SSLNoErr;
}

/* Contents of the next INTEGER (minimal, non-negative), leading zero byte dropped. */
static int der_int_bytes(struct der *d, const uint8_t **p, unsigned long *n)
{
    struct der probe = *d, v;
    uint8_t tag;
    int zero;
    if (!der_uint(&probe, &zero) || !der_next(d, &tag, &v))
        return 0;
    if (v.end - v.p > 1 && v.p[0] == 0)
        v.p++;
    *p = v.p;
    *n = (unsigned long)(v.end - v.p);
    return 1;
}

/* r || s (SSL 3.0), or a DER Dss-Sig-Value as some SSL 3.0 peers send (OpenSSL did). */
static int dsa_verify_any(dsa_key *k, const uint8_t *hash, size_t hlen, const uint8_t *sig,
                          size_t siglen)
{
    int stat = 0;
    size_t ql = (size_t)k->qord;
    if (siglen == 2 * ql) {
        void *r = NULL, *s = NULL;
        if (ltc_init_multi(&r, &s, NULL) != CRYPT_OK)
            return 0;
        if (ltc_mp.unsigned_read(r, (unsigned char *)sig, ql) != CRYPT_OK ||
            ltc_mp.unsigned_read(s, (unsigned char *)sig + ql, ql) != CRYPT_OK ||
            dsa_verify_hash_raw(r, s, hash, (unsigned long)hlen, &stat, k) != CRYPT_OK)
            stat = 0;
        ltc_deinit_multi(r, s, NULL);
        if (stat)
            return 1;
    }
    if (dsa_verify_hash(sig, (unsigned long)siglen, hash, (unsigned long)hlen, &stat, k) != CRYPT_OK)
        stat = 0;
    return stat;
}

/*
 * p, q, g and x from PKCS#8 (version, {dsa OID, {p, q, g}}, OCTET STRING {x}) or OpenSSL's
 * DSAPrivateKey (0, p, q, g, y, x); y is recomputed from x. key_shape() checked the outline.
 */
static SSLErr dsa_key_from_der(const uint8_t *der, size_t len, SSLRSAPrivateKey **out)
{
    struct der all = {der, der + len}, seq, rest, alg, oid, pqg, xs;
    const uint8_t *p, *q, *g, *x, *y;
    unsigned long pl, ql, gl, xl, yl;
    uint8_t tag;
    int zero, ok;
    if (!der_next(&all, &tag, &seq) || !der_uint(&seq, &zero))
        return ASNBadEncodingErr;
    rest = seq; /* what follows the version */
    if (der_next(&rest, &tag, &alg) && tag == 0x30) { /* PKCS#8: {OID, {p, q, g}}, OCTET STRING {x} */
        ok = der_next(&alg, &tag, &oid) && der_next(&alg, &tag, &pqg) && tag == 0x30 &&
             alg.p == alg.end && der_int_bytes(&pqg, &p, &pl) && der_int_bytes(&pqg, &q, &ql) &&
             der_int_bytes(&pqg, &g, &gl) && pqg.p == pqg.end && der_next(&rest, &tag, &xs) &&
             tag == 0x04 && der_int_bytes(&xs, &x, &xl) && xs.p == xs.end;
    } else { /* DSAPrivateKey: p, q, g, y, x */
        ok = der_int_bytes(&seq, &p, &pl) && der_int_bytes(&seq, &q, &ql) &&
             der_int_bytes(&seq, &g, &gl) && der_int_bytes(&seq, &y, &yl) &&
             der_int_bytes(&seq, &x, &xl) && seq.p == seq.end;
    }
    SSL_ENSURE(ok, ASNBadEncodingErr);
    SSL_ENSURE(pl >= 64 && pl <= 1024 && ql >= 20 && ql <= 32, SSLUnsupportedErr);
    SSLRSAPrivateKey *k = calloc(1, sizeof *k);
    SSL_ENSURE(k, SSLMemoryErr);
    int err = dsa_set_pqg(p, pl, q, ql, g, gl, &k->dk);
    if (err == CRYPT_OK && (err = dsa_set_key(x, xl, PK_PRIVATE, &k->dk)) != CRYPT_OK)
        dsa_free(&k->dk);
    if (err != CRYPT_OK) {
        free(k);
        return err == CRYPT_MEM ? SSLMemoryErr : ASNBadEncodingErr;
    }
    atomic_init(&k->refs, 1u);
    k->is_dsa = 1;
    k->nbytes = pl;
    k->nbits = (uint32_t)ltc_mp.count_bits(k->dk.p);
    {
        void *num[4] = {k->dk.p, k->dk.q, k->dk.g, k->dk.x};
        size_t nl[4];
        uint8_t b[4 * 1024];
        SSLErr ce = ASNBadEncodingErr;
        if (ltc_export(num, 4, b, 1024, nl))
            ce = bn_ct_dsa_new(b, nl[0], b + 1024, nl[1], b + 2048, nl[2], b + 3072, nl[3], &k->ctd);
        zeromem(b, sizeof b);
        if (ce == SSLNoErr)
            ltc_num_wipe(k->dk.x); /* dk verifies (p, q, g, y); bn_ct signs */
        if (ce != SSLNoErr) {
            cry_rsa_key_release(k);
            return ce == SSLBadParameterErr ? ASNBadEncodingErr : ce;
        }
    }
    /* load-time check: a signature that verifies (x and y belong together, the group works) */
    uint8_t h[20] = {1, 2, 3}, sig[128];
    size_t sl = sizeof sig;
    SSLErr e = cry_dsa_sign(k, h, sizeof h, sig, &sl, sys_random, NULL);
    if (e == SSLNoErr && !dsa_verify_any(&k->dk, h, sizeof h, sig, sl))
        e = ASNBadEncodingErr;
    if (e != SSLNoErr) {
        cry_rsa_key_release(k);
        return e;
    }
    *out = k;
    return SSLNoErr;
}

int cry_key_is_dsa(const SSLRSAPrivateKey *k) { return k && k->is_dsa; }

/* ---- EC private keys (ECDSA; the arithmetic is ecdsa.c's) ---- */

/* The group of a namedCurve OID's contents: 23, 24, or 0 for any other curve. */
static uint16_t ec_curve_oid(struct der oid)
{
    static const uint8_t p256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
    static const uint8_t p384[] = {0x2b, 0x81, 0x04, 0x00, 0x22};
    size_t l = (size_t)(oid.end - oid.p);
    if (l == sizeof p256 && !memcmp(oid.p, p256, l))
        return CRY_EC_SECP256R1;
    if (l == sizeof p384 && !memcmp(oid.p, p384, l))
        return CRY_EC_SECP384R1;
    return 0;
}

/*
 * ECPrivateKey ::= SEQUENCE { version INTEGER (1), privateKey OCTET STRING,
 *   parameters [0] ECParameters OPTIONAL, publicKey [1] BIT STRING OPTIONAL }  (RFC 5915 §3)
 * in full (the TLV is all of body). outer: the curve OID of a PKCS#8 AlgorithmIdentifier, or
 * none (p == NULL): then [0] namedCurve is required; with both they must agree.
 */
static SSLErr ec_sec1_parse(struct der body, struct der outer, SSLRSAPrivateKey **out)
{
    struct der seq, priv, a0, a1, oid, bits;
    uint8_t tag;
    int have_oid = 0;
    SSL_ENSURE(der_next(&body, &tag, &seq) && tag == 0x30 && body.p == body.end, ASNBadEncodingErr);
    SSL_ENSURE(der_small_is(&seq, 1) && der_next(&seq, &tag, &priv) && tag == 0x04,
               ASNBadEncodingErr);
    SSL_ENSURE(priv.p != priv.end, ASNBadEncodingErr);
    bits.p = bits.end = NULL;
    if (seq.p != seq.end && seq.p[0] == 0xa0) {
        SSL_ENSURE(der_next(&seq, &tag, &a0), ASNBadEncodingErr);
        SSL_ENSURE(der_next(&a0, &tag, &oid) && a0.p == a0.end, ASNBadEncodingErr);
        /* specifiedCurve (a SEQUENCE) or implicitCurve (NULL): not supported */
        SSL_ENSURE(tag == 0x06, tag == 0x30 || tag == 0x05 ? SSLUnsupportedErr : ASNBadEncodingErr);
        SSL_ENSURE(oid.p != oid.end, ASNBadEncodingErr);
        have_oid = 1;
    }
    if (seq.p != seq.end && seq.p[0] == 0xa1) {
        SSL_ENSURE(der_next(&seq, &tag, &a1), ASNBadEncodingErr);
        SSL_ENSURE(der_next(&a1, &tag, &bits) && tag == 0x03 && a1.p == a1.end,
                   ASNBadEncodingErr);
        SSL_ENSURE(bits.p != bits.end && bits.p[0] == 0, ASNBadEncodingErr); /* unused bits */
        bits.p++;
    }
    SSL_ENSURE(seq.p == seq.end, ASNBadEncodingErr);
    if (outer.p) {
        if (have_oid)
            SSL_ENSURE(oid.end - oid.p == outer.end - outer.p &&
                           !memcmp(oid.p, outer.p, (size_t)(oid.end - oid.p)),
                       ASNBadEncodingErr);
        oid = outer;
    } else {
        SSL_ENSURE(have_oid, ASNBadEncodingErr);
    }
    uint16_t group = ec_curve_oid(oid);
    SSL_ENSURE(group, SSLUnsupportedErr);
    SSL_ENSURE(cry_ready(), SSLUnknownErr);
    SSLRSAPrivateKey *k = calloc(1, sizeof *k);
    SSL_ENSURE(k, SSLMemoryErr);
    SSLErr e = cry_ec_key_new(group, priv.p, (size_t)(priv.end - priv.p), bits.p,
                              (size_t)(bits.end - bits.p), &k->ec);
    if (e != SSLNoErr) {
        free(k);
        return e;
    }
    atomic_init(&k->refs, 1u);
    *out = k;
    return SSLNoErr;
}

/*
 * SEC 1 ECPrivateKey, or PKCS#8 PrivateKeyInfo { 0, { id-ecPublicKey, namedCurve OID },
 * OCTET STRING { ECPrivateKey } [, [0] attributes] } (RFC 5915 §2, RFC 5480 §2.1.1).
 */
static SSLErr ec_key_from_der(const uint8_t *der, size_t len, int pkcs8, SSLRSAPrivateKey **out)
{
    struct der all = {der, der + len}, none = {NULL, NULL};
    if (!pkcs8)
        return ec_sec1_parse(all, none, out);
    struct der seq, alg, oid, curve, os;
    uint8_t tag;
    int zero;
    SSL_ENSURE(der_next(&all, &tag, &seq) && der_uint(&seq, &zero) && zero, ASNBadEncodingErr);
    SSL_ENSURE(der_next(&seq, &tag, &alg) && tag == 0x30 && der_next(&alg, &tag, &oid) &&
                   tag == 0x06,
               ASNBadEncodingErr);
    SSL_ENSURE(der_next(&alg, &tag, &curve) && alg.p == alg.end, ASNBadEncodingErr);
    SSL_ENSURE(tag == 0x06, tag == 0x30 || tag == 0x05 ? SSLUnsupportedErr : ASNBadEncodingErr);
    SSL_ENSURE(curve.p != curve.end, ASNBadEncodingErr);
    SSL_ENSURE(der_next(&seq, &tag, &os) && tag == 0x04, ASNBadEncodingErr);
    /* key_shape checked the rest of the outline ([0] attributes, nothing after) */
    return ec_sec1_parse(os, curve, out);
}

const struct cry_ec_key *cry_key_ec(const SSLRSAPrivateKey *k) { return k ? k->ec : NULL; }

/*
 * SSL 3.0 DSS signatures are r and s as two big-endian numbers of q's length, back to back: what
 * Netscape's SSL 3.0 (and NSS to this day) sends; the DER Dss-Sig-Value came with TLS 1.0.
 */
SSLErr cry_dsa_sign(const SSLRSAPrivateKey *k, const uint8_t *hash, size_t hlen, uint8_t *sig,
                    size_t *siglen, cry_rand_fn rnd, void *rnd_ref)
{
    SSL_ENSURE(k && k->is_dsa && k->ctd && hash && sig && siglen && rnd, SSLBadParameterErr);
    size_t ql = bn_ct_dsa_qbytes(k->ctd);
    SSL_ENSURE(*siglen >= 2 * ql, SSLOverflowErr);
    SSL_TRY(bn_ct_dsa_sign(k->ctd, hash, hlen, sig, sig + ql, rnd, rnd_ref));
    *siglen = 2 * ql;
    return SSLNoErr;
}

int cry_dsa_verify(const uint8_t *p, size_t pl, const uint8_t *q, size_t ql, const uint8_t *g,
                   size_t gl, const uint8_t *y, size_t yl, const uint8_t *hash, size_t hlen,
                   const uint8_t *sig, size_t siglen)
{
    if (!cry_ready() || !pl || !ql || !gl || !yl || pl > 1024 || ql > 32 || !sig)
        return 0;
    dsa_key k;
    memset(&k, 0, sizeof k);
    if (dsa_set_pqg(p, (unsigned long)pl, q, (unsigned long)ql, g, (unsigned long)gl, &k) !=
        CRYPT_OK)
        return 0;
    int ok = dsa_set_key(y, (unsigned long)yl, PK_PUBLIC, &k) == CRYPT_OK &&
             dsa_verify_any(&k, hash, hlen, sig, siglen);
    dsa_free(&k);
    return ok;
}

SSLRSAPrivateKey *cry_rsa_key_retain(SSLRSAPrivateKey *k)
{
    if (k)
        atomic_fetch_add_explicit(&k->refs, 1u, memory_order_relaxed);
    return k;
}

void cry_rsa_key_release(SSLRSAPrivateKey *k)
{
    if (!k || atomic_fetch_sub_explicit(&k->refs, 1u, memory_order_acq_rel) != 1u)
        return;
    if (k->ec) { /* wiped by cry_ec_key_free */
        cry_ec_key_free(k->ec);
        zeromem(k, sizeof *k);
        free(k);
        return;
    }
    if (k->is_dsa) { /* mp_clear (libtommath) zeroes each digit array before freeing it */
        dsa_free(&k->dk);
        bn_ct_dsa_free(k->ctd);
        zeromem(k, sizeof *k);
        free(k);
        return;
    }
    rsa_free(&k->key);
    bn_ct_rsa_free(k->ct);
    zeromem(k, sizeof *k + k->nbytes);
    free(k);
}

size_t cry_rsa_key_bytes(const SSLRSAPrivateKey *k) { return k ? k->nbytes : 0; }

uint32_t cry_rsa_key_bits(const SSLRSAPrivateKey *k) { return k ? k->nbits : 0; }

SSLErr cry_rsa_key_public(const SSLRSAPrivateKey *k, uint8_t *n, size_t *nlen, uint8_t *e,
                          size_t *elen)
{
    SSL_ENSURE(k && n && nlen && e && elen, SSLBadParameterErr);
    SSL_ENSURE(!k->is_dsa && !k->ec, SSLUnsupportedErr);
    unsigned long eb = ltc_mp.unsigned_size(k->key.e);
    SSL_ENSURE(*nlen >= k->nbytes && *elen >= eb, SSLOverflowErr);
    memcpy(n, k->n, k->nbytes);
    SSL_TRY(cry_map(ltc_mp.unsigned_write(k->key.e, e)));
    *nlen = k->nbytes;
    *elen = eb;
    return SSLNoErr;
}

/*
 * The private operation is bn_ct.c's, not rsa_exptmod(PK_PRIVATE): libtomcrypt's runs on
 * mpz_powm (gmp_desc) or libtommath, neither constant time, and blinding there hides only the
 * base. bn_ct blinds the base with getrandom() bytes (no PRNG state: concurrent calls on one key
 * are safe), exponentiates with mpn_sec_powm and checks the result with e (SSLUnknownErr).
 */
SSLErr cry_rsa_private(const SSLRSAPrivateKey *k, const uint8_t *in, size_t inlen, uint8_t *out)
{
    SSL_ENSURE(k && !k->is_dsa && !k->ec && k->ct && in && out && inlen == k->nbytes, SSLBadParameterErr);
    SSL_ENSURE(cry_bn_cmp(in, inlen, k->n, k->nbytes) < 0, SSLBadParameterErr);
    return bn_ct_rsa_private(k->ct, in, out, sys_random, NULL);
}

static size_t bn_trim(const uint8_t **p, size_t n)
{
    while (n && **p == 0) {
        (*p)++;
        n--;
    }
    return n;
}

SSLErr cry_rsa_public(const uint8_t *n, size_t nlen, const uint8_t *e, size_t elen,
                      const uint8_t *in, size_t inlen, uint8_t *out)
{
    SSL_ENSURE(n && e && in && out && nlen && elen && inlen && inlen <= nlen, SSLBadParameterErr);
    SSL_ENSURE(nlen <= 2048 && elen <= 2048, SSLBadParameterErr);
    const uint8_t *nt = n, *et = e;
    size_t ntl = bn_trim(&nt, nlen), etl = bn_trim(&et, elen);
    /* an odd modulus, e > 0 */
    SSL_ENSURE(ntl > 0 && etl > 0 && (nt[ntl - 1] & 1), SSLBadParameterErr);
    SSL_ENSURE(cry_bn_cmp(in, inlen, nt, ntl) < 0, SSLBadParameterErr);
    SSL_ENSURE(cry_ready(), SSLUnknownErr);
    rsa_key pub;
    memset(&pub, 0, sizeof pub);
    SSL_TRY(cry_map(rsa_set_key(nt, (unsigned long)ntl, et, (unsigned long)etl, NULL, 0, &pub)));
    uint8_t tmp[2048];
    unsigned long tl = sizeof tmp;
    int err = rsa_exptmod(in, (unsigned long)inlen, tmp, &tl, PK_PUBLIC, &pub);
    rsa_free(&pub);
    SSL_ENSURE(err == CRYPT_OK && tl <= nlen, err == CRYPT_MEM ? SSLMemoryErr : SSLUnknownErr);
    memset(out, 0, nlen - tl);
    memcpy(out + (nlen - tl), tmp, tl);
    return SSLNoErr;
}

/* ---- Big numbers ---- */

SSLErr cry_modexp(const uint8_t *base, size_t baselen, const uint8_t *exp, size_t explen,
                  const uint8_t *mod, size_t modlen, uint8_t *out)
{
    static const uint8_t zero = 0;
    SSL_ENSURE(mod && out && modlen && (base || !baselen) && (exp || !explen), SSLBadParameterErr);
    SSL_ENSURE(baselen <= 4096 && explen <= 4096 && modlen <= 4096, SSLBadParameterErr);
    const uint8_t *mt = mod;
    size_t mtl = bn_trim(&mt, modlen);
    SSL_ENSURE(mtl > 1 || (mtl == 1 && mt[0] > 1), SSLBadParameterErr); /* modulus >= 2 */
    SSL_ENSURE(cry_ready(), SSLUnknownErr);
    void *b = NULL, *x = NULL, *m = NULL, *r = NULL;
    int err = ltc_init_multi(&b, &x, &m, &r, NULL);
    if (err != CRYPT_OK)
        return cry_map(err);
    if ((err = ltc_mp.unsigned_read(b, (unsigned char *)(baselen ? base : &zero),
                                    (unsigned long)(baselen ? baselen : 1))) == CRYPT_OK &&
        (err = ltc_mp.unsigned_read(x, (unsigned char *)(explen ? exp : &zero),
                                    (unsigned long)(explen ? explen : 1))) == CRYPT_OK &&
        (err = ltc_mp.unsigned_read(m, (unsigned char *)mt, (unsigned long)mtl)) == CRYPT_OK &&
        (err = ltc_mp.exptmod(b, x, m, r)) == CRYPT_OK) {
        unsigned long rl = ltc_mp.unsigned_size(r);
        if (rl > modlen) {
            err = CRYPT_ERROR;
        } else {
            memset(out, 0, modlen - rl);
            if (rl)
                err = ltc_mp.unsigned_write(r, out + (modlen - rl));
        }
    }
    /* exponent and result are secrets: libtommath 1.2's mp_clear zeroes digits before freeing */
    ltc_deinit_multi(b, x, m, r, NULL);
    return cry_map(err);
}

int cry_bn_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    alen = a ? bn_trim(&a, alen) : 0;
    blen = b ? bn_trim(&b, blen) : 0;
    if (alen != blen)
        return alen < blen ? -1 : 1;
    for (size_t i = 0; i < alen; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}
