/*
 * dhparams.h - struct SSLDHParams: Diffie-Hellman group parameters, big-endian without leading
 * zeros, malloc'd and reference-counted so contexts made by SSLDuplicateContext share them.
 * Made and freed by the SSLXDHParams... functions of sslx.h (pem.c).
 */
#ifndef SSLREF_DHPARAMS_H
#define SSLREF_DHPARAMS_H

#include <stdatomic.h>
#include <stdint.h>
#include "sslref/ssl.h"

struct SSLDHParams {
    atomic_int refcount;
    uint8_t *p;
    uint32_t plen;
    uint8_t *g;
    uint32_t glen;
};

#endif
