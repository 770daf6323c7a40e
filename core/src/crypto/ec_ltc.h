/*
 * ec_ltc.h - internal to crypto/: the NIST curves as libtomcrypt numbers, shared by ecdh.c (which
 * implements these) and ecdsa.c. Includes tomcrypt.h: no file outside crypto/ may include this.
 */
#ifndef SSLREF_EC_LTC_H
#define SSLREF_EC_LTC_H

#include <stddef.h>
#include <stdint.h>
#include <tomcrypt.h>
#include "base/err.h"

struct ec_curve {
    uint16_t group;   /* supported_groups codepoint (ecdh.h) */
    int size;         /* bytes of p, of n and of each coordinate */
    const char *name; /* in ltc_ecc_sets */
};

/* The curve's numbers: p, b, n, and the base point (z = 1). */
struct ec_params {
    void *p, *b, *n;
    ecc_point *g;
};

/* The curve of a P-group, else NULL. */
const struct ec_curve *ec_curve_find(uint16_t group);
/* Load / free the numbers (cry_init first). SSLUnsupportedErr, SSLMemoryErr, SSLUnknownErr. */
SSLErr ec_params_load(const struct ec_curve *c, struct ec_params *pr) SSL_MUST;
void ec_params_free(struct ec_params *pr);
/* Read and check an uncompressed point into pt (z = 1): 1 valid, 0 refused, -1 library failure. */
int ec_point_read(const struct ec_curve *c, const struct ec_params *pr, const uint8_t *in,
                  size_t len, ecc_point *pt);
/* A number as exactly size big-endian bytes (CRYPT_ERROR if longer). */
int ec_coord_write(void *v, uint8_t *out, int size);
/* Zero a libtomcrypt number in place (GMP limbs too). */
void ec_num_wipe(void *num);

#endif
