/*
 * suites.h - the cipher-suite table: one row per implemented suite, pure data. No other file
 * switches on suite ids; they look the row up and read its fields.
 */
#ifndef SSLREF_SUITES_H
#define SSLREF_SUITES_H

#include <stdint.h>

enum suite_kx { KX_RSA = 1, KX_RSA_EXPORT, KX_DHE_RSA, KX_DHE_DSS, KX_DH_ANON };
enum suite_mac { MAC_NULL = 0, MAC_MD5 = 1, MAC_SHA1 = 2 };

struct suite {
    uint16_t id;
    const char *name;
    uint8_t kx;          /* enum suite_kx */
    uint8_t cipher;      /* enum cry_cipher_alg */
    uint8_t mac;         /* enum suite_mac */
    uint8_t exportable;  /* 1: export key derivation (RFC 6101 §6.2.2) */
    uint8_t key_material;/* bytes of key taken from the key block */
    uint8_t key_len;     /* bytes of cipher key after export expansion (= key_material otherwise) */
    uint8_t iv_len;      /* CBC IV / block size, 0 for stream */
    uint8_t mac_len;     /* 0, 16 or 20 */
    uint8_t default_on;  /* in the default enabled list */
};

/* The row for @id, or NULL if this build does not implement it. */
const struct suite *suite_find(uint16_t id);
/* All rows in default preference order; *n gets the count. */
const struct suite *suite_all(uint32_t *n);
/* Key-block bytes the suite needs: 2 * (mac_len + key_material + (exportable ? 0 : iv_len)). */
uint32_t suite_key_block_len(const struct suite *s);

#define SUITES_MAX 40

#endif
