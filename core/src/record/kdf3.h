/*
 * kdf3.h - SSL 3.0 key derivation (RFC 6101 §6.1, §6.2.2) and the Finished / CertificateVerify
 * hashes (§5.6.9, §5.6.8). Pure functions over the crypto adapter; no context, no I/O.
 */
#ifndef SSLREF_KDF3_H
#define SSLREF_KDF3_H

#include <stddef.h>
#include <stdint.h>
#include "crypto/crypto_ltc.h"

/* master_secret = MD5(pre + SHA('A' + pre + CR + SR)) + MD5(pre + SHA('BB' + ...)) + ... (§6.1) */
void kdf3_master_secret(const uint8_t *pre, size_t prelen, const uint8_t cr[32],
                        const uint8_t sr[32], uint8_t out[48]);
/* key_block of len bytes (len <= 16 * 26) from master, SR, CR (§6.2.2). */
void kdf3_key_block(const uint8_t master[48], const uint8_t sr[32], const uint8_t cr[32],
                    uint8_t *out, size_t len);
/* Export: final key = MD5(key + r1 + r2) cut to outlen (§6.2.2). r1/r2 are CR,SR for the client
 * write key and SR,CR for the server's. Also used for export IVs with key = NULL. */
void kdf3_export_md5(const uint8_t *key, size_t keylen, const uint8_t r1[32], const uint8_t r2[32],
                     uint8_t *out, size_t outlen);
/*
 * Finished (sender = "CLNT"/"SRVR", 4 bytes) or CertificateVerify (sender = NULL) hashes:
 * out[0..15] = MD5(master + pad2 + MD5(msgs + sender + master + pad1)), out[16..35] the SHA-1 twin.
 * md5/sha1 are the running handshake hashes; they are copied, not changed.
 */
void kdf3_finished(const struct cry_hash *md5, const struct cry_hash *sha1, const uint8_t *sender,
                   const uint8_t master[48], uint8_t out[36]);

#endif
