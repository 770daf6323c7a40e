/*
 * prf.h - the TLS pseudo-random function: TLS 1.0/1.1 P_MD5 XOR P_SHA1 over the two halves of the
 * secret (RFC 2246 §5, RFC 4346 §5), TLS 1.2 P_<hash> with the suite's PRF hash (RFC 5246 §5).
 * Pure function over crypto/hmac.h; no context, no I/O. SSL 3.0 derivation stays in kdf3.h.
 */
#ifndef SSLREF_PRF_H
#define SSLREF_PRF_H

#include <stddef.h>
#include <stdint.h>

/*
 * out[0..outlen) = PRF(secret, label, seed_a || seed_b).
 * @param ver       V_TLS10 or V_TLS11: the MD5/SHA-1 PRF; V_TLS12 (or higher): P_<prf_hash>.
 * @param prf_hash  CRY_SHA256 or CRY_SHA384 (struct suite .prf); ignored before TLS 1.2.
 * @param secret    slen bytes (may be 0: the export "IV block"); label: ASCII, no NUL sent.
 * @param seed_b    may be NULL when blen is 0. outlen: any length.
 */
void prf_tls(uint16_t ver, int prf_hash, const uint8_t *secret, size_t slen, const char *label,
             const uint8_t *seed_a, size_t alen, const uint8_t *seed_b, size_t blen, uint8_t *out,
             size_t outlen);

#endif
