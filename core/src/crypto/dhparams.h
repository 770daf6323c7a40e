/*
 * dhparams.h - the Diffie-Hellman group behind the public SSLDHParams handle (PKCS#3 p and g).
 * Made by SSLXDHParamsFromDER/PEM (pem.c), shared by reference count across contexts and threads;
 * the last SSLXDHParamsFree frees it. p and g are malloc'd, big-endian, without leading zeros,
 * and checked at load time: p odd and > 3, 1 < g < p.
 */
#ifndef SSLREF_DHPARAMS_H
#define SSLREF_DHPARAMS_H

#include <stdatomic.h>
#include <stdint.h>

struct SSLDHParams {
    atomic_uint refcount;
    uint8_t *p;
    uint32_t plen;
    uint8_t *g;
    uint32_t glen;
};

#endif
