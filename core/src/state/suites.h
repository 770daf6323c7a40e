/*
 * suites.h - the cipher-suite table: one row per implemented suite, pure data. No other file
 * switches on suite ids; they look the row up and read its fields.
 */
#ifndef SSLREF_SUITES_H
#define SSLREF_SUITES_H

#include <stdint.h>

enum suite_kx {
    KX_RSA = 1, KX_RSA_EXPORT, KX_DHE_RSA, KX_DHE_DSS, KX_DH_ANON,
    KX_ECDHE_RSA,  /* RFC 8422: ephemeral ECDH signed with RSA */
    KX_ECDHE_ECDSA /* RFC 8422: ephemeral ECDH signed with ECDSA (an EC certificate) */
};
enum suite_mac { MAC_NULL = 0, MAC_MD5 = 1, MAC_SHA1 = 2, MAC_SHA256 = 3, MAC_SHA384 = 4 };

/* Protocol versions as they appear on the wire (SSL 2.0 has its own record format). */
enum { V_SSL2 = 0x0002, V_SSL3 = 0x0300, V_TLS10 = 0x0301, V_TLS11 = 0x0302, V_TLS12 = 0x0303 };

struct suite {
    uint16_t id;
    const char *name;
    uint8_t kx;          /* enum suite_kx */
    uint8_t cipher;      /* enum cry_cipher_alg */
    uint8_t mac;         /* enum suite_mac */
    uint8_t exportable;  /* 1: export key derivation (RFC 6101 §6.2.2) */
    uint8_t key_material;/* bytes of key taken from the key block */
    uint8_t key_len;     /* bytes of cipher key after export expansion (= key_material otherwise) */
    uint8_t iv_len;      /* CBC IV / block size, 0 for stream; AEAD: the fixed nonce part */
    uint8_t mac_len;     /* 0, 16, 20, 32 or 48 */
    uint8_t default_on;  /* in the default enabled list */
    uint8_t aead;        /* 1: AEAD record (cipher is CRY_C_AES_GCM or CRY_C_CHACHA20_POLY1305) */
    uint8_t nonce_explicit; /* AEAD: nonce bytes sent before each record's ciphertext. The 12-byte
                          * nonce is iv_len fixed bytes from the key block || these: GCM 4 || 8
                          * (RFC 5288 §3); 0 means the fixed 12 bytes XOR the 64-bit sequence
                          * number, left-padded (ChaCha20-Poly1305, RFC 7905 §2) */
    uint8_t prf;         /* TLS 1.2 PRF and Finished hash: CRY_SHA256 or CRY_SHA384 (crypto_ltc.h) */
    uint16_t min_ver;    /* lowest protocol version that may negotiate it (V_SSL3 .. V_TLS12) */
    uint16_t max_ver;    /* highest (export, IDEA and single DES end before TLS 1.2 / 1.1) */
};

/* The row for @id, or NULL if this build does not implement it. */
const struct suite *suite_find(uint16_t id);
/* All rows in default preference order; *n gets the count. */
const struct suite *suite_all(uint32_t *n);
/* Key-block bytes the suite needs: 2 * (mac_len + key_material + (exportable ? 0 : iv_len)); for
 * an AEAD suite iv_len is the fixed nonce part (RFC 5288 §3: 4, RFC 7905 §2: 12). */
uint32_t suite_key_block_len(const struct suite *s);

#define SUITES_MAX 80

/* SSL 2.0 cipher kinds: the SSL 2.0 spec's CIPHER-KIND values, mapped onto the suite ids that
 * SSLGetNegotiatedCipher reports (cryptype.h SSL2_SUITE_...). */
struct ssl2_kind {
    uint32_t id;       /* 3-byte CIPHER-KIND */
    uint16_t suite;    /* what SSLGetNegotiatedCipher reports (cryptype.h SSL2_SUITE_...) */
    const char *name;
    uint8_t cipher;    /* enum cry_cipher_alg */
    uint8_t key_len;   /* bytes of each session key = master key length */
    uint8_t clear_len; /* bytes of the master key sent in the clear (export) */
    uint8_t iv_len;    /* KEY-ARG length: block size, 0 for RC4 */
    uint8_t key_blocks;/* MD5 key-material blocks, each hashes its digit '0'.. */
};

const struct ssl2_kind *ssl2_kind_find(uint32_t id);
const struct ssl2_kind *ssl2_kind_by_suite(uint16_t suite);
/* All kinds in default preference order. */
const struct ssl2_kind *ssl2_kind_all(uint32_t *n);
static inline uint32_t ssl2_kind_id(const uint8_t *p) { return (uint32_t)p[0] << 16 | p[1] << 8 | p[2]; }

#endif
