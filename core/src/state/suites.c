/*
 * suites.c - the cipher-suite table (RFC 6101 Appendix A.6 and C; AES rows from RFC 3268, which
 * SSL 3.0 peers such as NSS negotiate; TLS 1.2 AEAD rows from RFC 5288 and RFC 7905). Row order is
 * the default server preference order.
 */
#include "state/suites.h"
#include "crypto/crypto_ltc.h"
#include "sslref/sslx.h"

/* SSL 3.0 and TLS 1.0-1.2 rows with their version range; TLS 1.2's PRF is SHA-256 unless a row
 * says SHA-384. Export suites end at TLS 1.0 (RFC 4346 §A.5), IDEA and single DES at TLS 1.1
 * (RFC 5246 §1.2), RC4 at SSL 3.0 (RFC 7465). */
#define ROWV(id, kx, c, mac, exp, km, kl, iv, ml, on, aead, nx, prf, lo, hi) \
    {id, #id, kx, c, mac, exp, km, kl, iv, ml, on, aead, nx, prf, lo, hi}
#define ROW(id, kx, c, mac, exp, km, kl, iv, ml, on) \
    ROWV(id, kx, c, mac, exp, km, kl, iv, ml, on, 0, 0, CRY_SHA256, V_SSL3, V_TLS12)
#define ROW11(id, kx, c, mac, exp, km, kl, iv, ml, on) \
    ROWV(id, kx, c, mac, exp, km, kl, iv, ml, on, 0, 0, CRY_SHA256, V_SSL3, V_TLS11)
/* RC4: SSL 3.0 only, never in TLS (RFC 7465) */
#define ROW3(id, kx, c, mac, exp, km, kl, iv, ml, on) \
    ROWV(id, kx, c, mac, exp, km, kl, iv, ml, on, 0, 0, CRY_SHA256, V_SSL3, V_SSL3)
#define ROW10(id, kx, c, mac, exp, km, kl, iv, ml, on) \
    ROWV(id, kx, c, mac, exp, km, kl, iv, ml, on, 0, 0, CRY_SHA256, V_SSL3, V_TLS10)
/* TLS 1.0-1.2 (no SSL 3.0): the ECDHE CBC rows (RFC 8422 §6) */
#define ROWT(id, kx, c, mac, km, iv, ml) \
    ROWV(id, kx, c, mac, 0, km, km, iv, ml, 1, 0, 0, CRY_SHA256, V_TLS10, V_TLS12)
/* TLS 1.2 only: SHA-256/384 MACs (RFC 5246 App. A.5) */
#define ROW12(id, kx, c, mac, km, iv, ml, prf) \
    ROWV(id, kx, c, mac, 0, km, km, iv, ml, 1, 0, 0, prf, V_TLS12, V_TLS12)
/* TLS 1.2 AEAD: no MAC; the nonce is fixed (iv bytes from the key block) || explicit (nx bytes on
 * the wire), 12 in all: AES-GCM 4 || 8 (RFC 5288 §3), ChaCha20-Poly1305 12 || 0 (RFC 7905 §2) */
#define AEAD12(id, kx, c, km, fixed, nx, prf) \
    ROWV(id, kx, c, MAC_NULL, 0, km, km, fixed, 0, 1, 1, nx, prf, V_TLS12, V_TLS12)

static const struct suite table[] = {
    /* TLS 1.2: forward-secret AEAD first: ECDHE (RFC 5289 §3.2, RFC 7905), ECDSA and RSA
     * certificates interleaved (a server holding one picks its rows), then DHE_RSA */
    AEAD12(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, KX_ECDHE_ECDSA, CRY_C_AES_GCM, 16, 4, 8, CRY_SHA256),
    AEAD12(TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, KX_ECDHE_RSA, CRY_C_AES_GCM, 16, 4, 8, CRY_SHA256),
    AEAD12(TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, KX_ECDHE_ECDSA, CRY_C_AES_GCM, 32, 4, 8, CRY_SHA384),
    AEAD12(TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, KX_ECDHE_RSA, CRY_C_AES_GCM, 32, 4, 8, CRY_SHA384),
    AEAD12(TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, KX_ECDHE_ECDSA, CRY_C_CHACHA20_POLY1305, 32,
           12, 0, CRY_SHA256),
    AEAD12(TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, KX_ECDHE_RSA, CRY_C_CHACHA20_POLY1305, 32, 12,
           0, CRY_SHA256),
    AEAD12(TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, KX_DHE_RSA, CRY_C_AES_GCM, 16, 4, 8, CRY_SHA256),
    AEAD12(TLS_DHE_RSA_WITH_AES_256_GCM_SHA384, KX_DHE_RSA, CRY_C_AES_GCM, 32, 4, 8, CRY_SHA384),
    AEAD12(TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256, KX_DHE_RSA, CRY_C_CHACHA20_POLY1305, 32, 12, 0,
           CRY_SHA256),
    AEAD12(TLS_RSA_WITH_AES_128_GCM_SHA256, KX_RSA, CRY_C_AES_GCM, 16, 4, 8, CRY_SHA256),
    AEAD12(TLS_RSA_WITH_AES_256_GCM_SHA384, KX_RSA, CRY_C_AES_GCM, 32, 4, 8, CRY_SHA384),
    /* ECDHE CBC (RFC 5289 §3.1 SHA-256/384 for TLS 1.2, RFC 8422 §6 SHA-1 from TLS 1.0) */
    ROW12(TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, KX_ECDHE_ECDSA, CRY_C_AES, MAC_SHA256, 16, 16, 32, CRY_SHA256),
    ROW12(TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384, KX_ECDHE_ECDSA, CRY_C_AES, MAC_SHA384, 32, 16, 48, CRY_SHA384),
    ROW12(TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, KX_ECDHE_RSA, CRY_C_AES, MAC_SHA256, 16, 16, 32, CRY_SHA256),
    ROW12(TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384, KX_ECDHE_RSA, CRY_C_AES, MAC_SHA384, 32, 16, 48, CRY_SHA384),
    ROWT(TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, KX_ECDHE_ECDSA, CRY_C_AES, MAC_SHA1, 16, 16, 20),
    ROWT(TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, KX_ECDHE_ECDSA, CRY_C_AES, MAC_SHA1, 32, 16, 20),
    ROWT(TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, KX_ECDHE_RSA, CRY_C_AES, MAC_SHA1, 16, 16, 20),
    ROWT(TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, KX_ECDHE_RSA, CRY_C_AES, MAC_SHA1, 32, 16, 20),
    ROW12(TLS_DHE_RSA_WITH_AES_128_CBC_SHA256, KX_DHE_RSA, CRY_C_AES, MAC_SHA256, 16, 16, 32, CRY_SHA256),
    ROW12(TLS_DHE_RSA_WITH_AES_256_CBC_SHA256, KX_DHE_RSA, CRY_C_AES, MAC_SHA256, 32, 16, 32, CRY_SHA256),
    ROW12(TLS_RSA_WITH_AES_128_CBC_SHA256, KX_RSA, CRY_C_AES, MAC_SHA256, 16, 16, 32, CRY_SHA256),
    ROW12(TLS_RSA_WITH_AES_256_CBC_SHA256, KX_RSA, CRY_C_AES, MAC_SHA256, 32, 16, 32, CRY_SHA256),
    ROW(TLS_RSA_WITH_AES_128_CBC_SHA, KX_RSA, CRY_C_AES, MAC_SHA1, 0, 16, 16, 16, 20, 1),
    ROW(TLS_RSA_WITH_AES_256_CBC_SHA, KX_RSA, CRY_C_AES, MAC_SHA1, 0, 32, 32, 16, 20, 1),
    ROW(SSL_RSA_WITH_3DES_EDE_CBC_SHA, KX_RSA, CRY_C_3DES, MAC_SHA1, 0, 24, 24, 8, 20, 1),
    ROW3(SSL_RSA_WITH_RC4_128_SHA, KX_RSA, CRY_C_RC4, MAC_SHA1, 0, 16, 16, 0, 20, 1),
    ROW3(SSL_RSA_WITH_RC4_128_MD5, KX_RSA, CRY_C_RC4, MAC_MD5, 0, 16, 16, 0, 16, 1),
    ROW(TLS_DHE_RSA_WITH_AES_128_CBC_SHA, KX_DHE_RSA, CRY_C_AES, MAC_SHA1, 0, 16, 16, 16, 20, 1),
    ROW(TLS_DHE_RSA_WITH_AES_256_CBC_SHA, KX_DHE_RSA, CRY_C_AES, MAC_SHA1, 0, 32, 32, 16, 20, 1),
    ROW(SSL_DHE_RSA_WITH_3DES_EDE_CBC_SHA, KX_DHE_RSA, CRY_C_3DES, MAC_SHA1, 0, 24, 24, 8, 20, 1),
    ROW11(SSL_RSA_WITH_DES_CBC_SHA, KX_RSA, CRY_C_DES, MAC_SHA1, 0, 8, 8, 8, 20, 0),
    ROW11(SSL_RSA_WITH_IDEA_CBC_SHA, KX_RSA, CRY_C_IDEA, MAC_SHA1, 0, 16, 16, 8, 20, 0),
    ROW11(SSL_DHE_RSA_WITH_DES_CBC_SHA, KX_DHE_RSA, CRY_C_DES, MAC_SHA1, 0, 8, 8, 8, 20, 0),
    /* DHE-DSS: chosen only by a server whose key is DSA (then nothing else is); up to TLS 1.1:
     * TLS 1.2 would need the dsa signature schemes, which sslref does not implement */
    ROW11(TLS_DHE_DSS_WITH_AES_128_CBC_SHA, KX_DHE_DSS, CRY_C_AES, MAC_SHA1, 0, 16, 16, 16, 20, 1),
    ROW11(TLS_DHE_DSS_WITH_AES_256_CBC_SHA, KX_DHE_DSS, CRY_C_AES, MAC_SHA1, 0, 32, 32, 16, 20, 1),
    ROW11(SSL_DHE_DSS_WITH_3DES_EDE_CBC_SHA, KX_DHE_DSS, CRY_C_3DES, MAC_SHA1, 0, 24, 24, 8, 20, 1),
    ROW11(SSL_DHE_DSS_WITH_DES_CBC_SHA, KX_DHE_DSS, CRY_C_DES, MAC_SHA1, 0, 8, 8, 8, 20, 0),
    /* never enabled by default: single DES (above), export, anonymous and NULL-cipher suites */
    ROW3(SSL_RSA_EXPORT_WITH_RC4_40_MD5, KX_RSA_EXPORT, CRY_C_RC4, MAC_MD5, 1, 5, 16, 0, 16, 0),
    ROW10(SSL_RSA_EXPORT_WITH_RC2_CBC_40_MD5, KX_RSA_EXPORT, CRY_C_RC2, MAC_MD5, 1, 5, 16, 8, 16, 0),
    ROW10(SSL_RSA_EXPORT_WITH_DES40_CBC_SHA, KX_RSA_EXPORT, CRY_C_DES, MAC_SHA1, 1, 5, 8, 8, 20, 0),
    ROW10(SSL_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA, KX_DHE_RSA, CRY_C_DES, MAC_SHA1, 1, 5, 8, 8, 20, 0),
    ROW10(SSL_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA, KX_DHE_DSS, CRY_C_DES, MAC_SHA1, 1, 5, 8, 8, 20, 0),
    ROW3(SSL_DH_anon_EXPORT_WITH_RC4_40_MD5, KX_DH_ANON, CRY_C_RC4, MAC_MD5, 1, 5, 16, 0, 16, 0),
    ROW3(SSL_DH_anon_WITH_RC4_128_MD5, KX_DH_ANON, CRY_C_RC4, MAC_MD5, 0, 16, 16, 0, 16, 0),
    ROW10(SSL_DH_anon_EXPORT_WITH_DES40_CBC_SHA, KX_DH_ANON, CRY_C_DES, MAC_SHA1, 1, 5, 8, 8, 20, 0),
    ROW11(SSL_DH_anon_WITH_DES_CBC_SHA, KX_DH_ANON, CRY_C_DES, MAC_SHA1, 0, 8, 8, 8, 20, 0),
    ROW(SSL_DH_anon_WITH_3DES_EDE_CBC_SHA, KX_DH_ANON, CRY_C_3DES, MAC_SHA1, 0, 24, 24, 8, 20, 0),
    ROW(SSL_RSA_WITH_NULL_SHA, KX_RSA, CRY_C_NULL, MAC_SHA1, 0, 0, 0, 0, 20, 0),
    ROW(SSL_RSA_WITH_NULL_MD5, KX_RSA, CRY_C_NULL, MAC_MD5, 0, 0, 0, 0, 16, 0),
};

const struct suite *suite_find(uint16_t id)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].id == id)
            return &table[i];
    return NULL;
}

const struct suite *suite_all(uint32_t *n)
{
    *n = (uint32_t)(sizeof table / sizeof table[0]);
    return table;
}

uint32_t suite_key_block_len(const struct suite *s)
{
    return 2u * (s->mac_len + s->key_material + (s->exportable ? 0u : s->iv_len));
}

const char *SSLXCipherSuiteName(uint16 id)
{
    const struct suite *s = suite_find(id);
    const struct ssl2_kind *k = ssl2_kind_by_suite(id);
    return s ? s->name : k ? k->name : NULL;
}

uint32 SSLXSupportedCipherSuites(uint16 *suites, uint32 max)
{
    uint32_t n = (uint32_t)(sizeof table / sizeof table[0]);
    for (uint32_t i = 0; i < n && i < max && suites; i++)
        suites[i] = table[i].id;
    return n;
}

/* ---- SSL 2.0 cipher kinds (SSL 2.0 spec Appendix: CIPHER-KIND values) ---- */

#define KIND(id, suite, c, kl, cl, iv, blocks) {id, suite, #id, c, kl, cl, iv, blocks}

static const struct ssl2_kind kinds[] = {
    KIND(SSL2_RC4_128_WITH_MD5, SSL2_SUITE_RC4_128_WITH_MD5, CRY_C_RC4, 16, 0, 0, 2),
    KIND(SSL2_DES_192_EDE3_CBC_WITH_MD5, SSL2_SUITE_DES_192_EDE3_CBC_WITH_MD5, CRY_C_3DES, 24, 0, 8, 3),
    KIND(SSL2_RC2_128_CBC_WITH_MD5, SSL2_SUITE_RC2_128_CBC_WITH_MD5, CRY_C_RC2, 16, 0, 8, 2),
    KIND(SSL2_IDEA_128_CBC_WITH_MD5, SSL2_SUITE_IDEA_128_CBC_WITH_MD5, CRY_C_IDEA, 16, 0, 8, 2),
    /* The spec's text hashes no digit for DES-64; Netscape's and SSLeay's code hash "0": we do too. */
    KIND(SSL2_DES_64_CBC_WITH_MD5, SSL2_SUITE_DES_64_CBC_WITH_MD5, CRY_C_DES, 8, 0, 8, 1),
    KIND(SSL2_RC4_128_EXPORT40_WITH_MD5, SSL2_SUITE_RC4_128_EXPORT40_WITH_MD5, CRY_C_RC4, 16, 11, 0, 2),
    KIND(SSL2_RC2_128_CBC_EXPORT40_WITH_MD5, SSL2_SUITE_RC2_128_CBC_EXPORT40_WITH_MD5, CRY_C_RC2, 16, 11, 8, 2),
};

const struct ssl2_kind *ssl2_kind_all(uint32_t *n)
{
    *n = (uint32_t)(sizeof kinds / sizeof kinds[0]);
    return kinds;
}

const struct ssl2_kind *ssl2_kind_find(uint32_t id)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (kinds[i].id == id)
            return &kinds[i];
    return NULL;
}

const struct ssl2_kind *ssl2_kind_by_suite(uint16_t suite)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (kinds[i].suite == suite)
            return &kinds[i];
    return NULL;
}
