/*
 * record_tls.h - TLS 1.0-1.2 record protection of one fragment (RFC 2246/4346/5246 §6.2.3):
 * HMAC with stream and CBC ciphers (MAC-then-encrypt, or encrypt-then-MAC per RFC 7366), explicit
 * CBC IVs from TLS 1.1, and AES-GCM (RFC 5288). record3.c owns headers, queues and sequence numbers;
 * these functions only transform a fragment for a keyed struct dirstate with d->ver >= V_TLS10.
 */
#ifndef SSLREF_RECORD_TLS_H
#define SSLREF_RECORD_TLS_H

#include "state/ctx.h"

/* Bytes of the protected fragment carrying len plaintext bytes under d (minimal padding). */
uint32_t rectls_sealed_len(const struct dirstate *d, uint32_t len);
/*
 * Protect data[0..len) into frag[0..rectls_sealed_len) (data may be anywhere, even inside frag
 * at the plaintext position: it is moved first). @ver is the header version the MAC / AAD cover.
 * Draws explicit CBC IVs from ctx_random. Does not advance d->seq.
 */
SSLErr rectls_seal(SSLContext *ctx, struct dirstate *d, uint8_t type, uint16_t ver,
                   const uint8_t *data, uint32_t len, uint8_t *frag) SSL_MUST;
/*
 * Decrypt and authenticate frag[0..n) in place. On success the plaintext is frag[*off ..
 * *off + *plain). Any failure of shape, padding, MAC or tag is ctx_fail(bad_record_mac), without
 * saying which (RFC 5246 §6.2.3.2). Does not advance d->seq.
 */
SSLErr rectls_open(SSLContext *ctx, struct dirstate *d, uint8_t type, uint16_t ver, uint8_t *frag,
                   uint32_t n, uint32_t *off, uint32_t *plain) SSL_MUST;
/* The TLS record MAC: HMAC(secret, seq || type || ver || len || data) (RFC 5246 §6.2.3.1); mac
 * is MAC_MD5/SHA1/SHA256/SHA384 (suites.h); out gets the hash length. */
void rectls_mac(int mac, const uint8_t *secret, uint64_t seq, uint8_t type, uint16_t ver,
                const uint8_t *data, size_t len, uint8_t *out);

#endif
