/*
 * mac3.h - the SSL 3.0 record MAC (RFC 6101 §5.2.3.1):
 * hash(secret + pad_2 + hash(secret + pad_1 + seq_num + type + length + content)),
 * pads of 48 bytes for MD5 and 40 for SHA-1.
 */
#ifndef SSLREF_MAC3_H
#define SSLREF_MAC3_H

#include <stddef.h>
#include <stdint.h>

/* pad_1 (0x36) and pad_2 (0x5c), shared with the Finished hashes of kdf3.c */
extern const uint8_t ssl3_pad1[48], ssl3_pad2[48];

/* mac_alg: MAC_MD5 or MAC_SHA1 (suites.h); out gets 16 or 20 bytes. */
void mac3_compute(int mac_alg, const uint8_t *secret, uint64_t seq, uint8_t type,
                  const uint8_t *data, size_t len, uint8_t *out);

#endif
