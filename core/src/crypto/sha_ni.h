/*
 * sha_ni.h - the SHA-1 and SHA-256 compression functions (FIPS 180-4 §6.1.2 and §6.2.2) over
 * whole 64-byte blocks, in two versions: portable C, and the x86-64 SHA extensions (SHA1RNDS4,
 * SHA1NEXTE, SHA1MSG1/2, SHA256RNDS2, SHA256MSG1/2). Both read the blocks straight from the
 * caller's buffer (any alignment) and update the chaining value h[] in place; neither branches on
 * or indexes by the data, so both are constant time. Padding, buffering and the length belong to
 * the caller (crypto_ltc.c's cry_hash). Only call the _ni functions when cry_sha_ni_cpu() is 1
 * (each is compiled with a function target attribute; the rest of the build stays baseline
 * x86-64). On other architectures cry_sha_ni_cpu() is 0 and the _ni functions do nothing.
 */
#ifndef SSLREF_CRYPTO_SHA_NI_H
#define SSLREF_CRYPTO_SHA_NI_H

#include <stddef.h>
#include <stdint.h>

/* 1 if this CPU has the SHA extensions, SSSE3 and SSE4.1 (and this build targets x86-64), else 0. */
int cry_sha_ni_cpu(void);

/* nblocks 64-byte blocks from p into h (5 words for SHA-1, 8 for SHA-256). */
void cry_sha1_blocks_c(uint32_t h[5], const uint8_t *p, size_t nblocks);
void cry_sha256_blocks_c(uint32_t h[8], const uint8_t *p, size_t nblocks);
void cry_sha1_blocks_ni(uint32_t h[5], const uint8_t *p, size_t nblocks);
void cry_sha256_blocks_ni(uint32_t h[8], const uint8_t *p, size_t nblocks);

#endif
