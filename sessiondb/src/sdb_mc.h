/*
 * sdb_mc.h - internals of the memcached tier (sessiondb_mc.h): the cluster key ring and the sealed
 * entry format (sdb_mckey.c), shared with sdb_mc.c (the tier) and the unit tests.
 *
 * Cluster key file: text, one key per line "ID HEX" (ID decimal 1..4294967295, HEX 64 hex digits =
 * a 32-byte AES-256 key); blank lines and lines starting with '#' are ignored; at most
 * SDBMC_MAX_KEYS keys, ids unique. The first key seals, every key opens. The file must be a regular
 * file owned by the caller with no group or other permission bits.
 *
 * Sealed entry (the value stored in memcached):
 *   0x01 | key id (4, big-endian) | nonce (12, random) | AES-256-GCM(expiry (8, BE) | data) | tag (16)
 * AAD = the first 5 bytes (version, key id) || the memcached key, so an entry moved to another key,
 * or given another key id, does not open.
 */
#ifndef SSLREF_SDB_MC_H
#define SSLREF_SDB_MC_H

#include "sslref/sessiondb_mc.h"
#include <stddef.h>
#include <stdint.h>

#define SDBMC_MAX_KEYS 16
#define SDBMC_VERSION 0x01
#define SDBMC_HDR 17          /* version, key id, nonce */
#define SDBMC_TAG 16
#define SDBMC_OVERHEAD (SDBMC_HDR + 8 + SDBMC_TAG)
#define SDBMC_MAX_MCKEY 250   /* memcached's key limit */

struct sdbmc_ring {
    unsigned n;
    uint32 id[SDBMC_MAX_KEYS];
    void *gcm[SDBMC_MAX_KEYS];  /* keyed CRY_C_AES_GCM states (read-only once keyed) */
};

/* Load the key file; on failure @why says what is wrong and how to fix it. */
SSLErr sdbmc_ring_load(struct sdbmc_ring *r, const char *path, char *why, size_t whySize);
/* Wipe and free the keys; the ring is left empty. */
void sdbmc_ring_free(struct sdbmc_ring *r);
/* Seal @len bytes of @data, expiring at @expiry, into @out (len + SDBMC_OVERHEAD bytes) with
 * the first key, bound to @mckey (mlen <= SDBMC_MAX_MCKEY). */
SSLErr sdbmc_seal(const struct sdbmc_ring *r, const char *mckey, size_t mlen, uint64_t expiry,
                  const uint8 *data, size_t len, uint8 *out);
/* Open a sealed entry of @len bytes into @out (len - SDBMC_OVERHEAD bytes, *outLen) and its
 * expiry. SSLNoMatchingSessionKeyErr: unknown key id; SSLProtocolErr: malformed or tampered. */
SSLErr sdbmc_open(const struct sdbmc_ring *r, const char *mckey, size_t mlen, const uint8 *in,
                  size_t len, uint8 *out, size_t *outLen, uint64_t *expiry);
/* The memcached key of a session key: prefix "s:" hex, or prefix "h:" hex(SHA-256) when that
 * would exceed memcached's limit. Returns the length, 0 if it does not fit @n. */
size_t sdbmc_key(const char *prefix, const uint8 *key, size_t klen, char *out, size_t n);

#endif
