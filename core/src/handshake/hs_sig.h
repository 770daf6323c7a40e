/*
 * hs_sig.h - what TLS signs and hashes in the handshake: the running transcript hashes (MD5, SHA-1,
 * and for TLS 1.2 SHA-256 and SHA-384), TLS 1.2 signature_algorithms (RFC 5246 §7.4.1.4.1) and
 * PKCS#1 v1.5 signatures over a DigestInfo (RFC 5246 §4.7) or ECDSA (RFC 8422 §5.4); TLS 1.0/1.1
 * and SSL 3.0 sign the 36-byte MD5 || SHA-1 without one (ECDSA: its SHA-1 half).
 */
#ifndef SSLREF_HS_SIG_H
#define SSLREF_HS_SIG_H

#include "base/buf.h"
#include "state/ctx.h"
#include "x509/x509.h"

/* SignatureAndHashAlgorithm values (hash << 8 | signature): rsa (1) and ecdsa (3). */
enum { SIG_RSA_SHA1 = 0x0201, SIG_RSA_SHA256 = 0x0401, SIG_RSA_SHA384 = 0x0501,
       SIG_RSA_SHA512 = 0x0601, SIG_ECDSA_SHA1 = 0x0203, SIG_ECDSA_SHA256 = 0x0403,
       SIG_ECDSA_SHA384 = 0x0503, SIG_ECDSA_SHA512 = 0x0603 };

/* Allocate (SSLMemoryErr) and start the transcript hashes. They exist from here until the handshake
 * ends (hs_finish frees them), so every handshake step may use hs_transcript(). */
SSLErr hs_transcript_init(SSLContext *ctx) SSL_MUST;
static inline struct transcript *hs_transcript(const SSLContext *ctx)
{
    return (struct transcript *)ctx->transcript.data;
}
/* Add one handshake message (header included) to every running hash that may still be asked for
 * (in a resumed TLS 1.2 handshake only the suite's PRF hash: hs_transcript_hash). */
void hs_transcript_add(SSLContext *ctx, const uint8_t *p, size_t n);
/* The transcript as TLS hashes it for Finished and the extended master secret: MD5 || SHA-1 (36
 * bytes) before TLS 1.2, the suite's PRF hash in TLS 1.2. Returns the length (<= 48). */
size_t hs_transcript_hash(const SSLContext *ctx, uint8_t out[CRY_MAX_DIGEST]);

/* Write our signature_algorithms list (u16 length + entries). */
void hs_sig_write_list(struct wr *w);
/* Read a peer's list (u16 length + entries) into a bit set (see hs_sig_bit); 0 if malformed. */
uint32_t hs_sig_read_list(struct rd *r);
uint32_t hs_sig_bit(uint16_t alg);
/* The scheme to sign with for @key (RSA or EC; the EC key's own curve's hash first), given the
 * peer's bit set (0 = the peer named none: SHA-1, RFC 5246 §7.4.1.4.1); 0 if the peer accepts none
 * we can make, or the key cannot sign in TLS 1.2 (DSA). */
uint16_t hs_sig_choose(const SSLRSAPrivateKey *key, uint32_t peer_bits);
/* 1 if @scheme is in our list (a peer may only sign with one of those). */
int hs_sig_offered(uint16_t scheme);
/* 1 if a peer may sign with @scheme under @leaf: one of ours, and of the certificate's key type
 * (an ecdsa scheme from an RSA certificate is illegal_parameter, as OpenSSL answers). */
int hs_sig_fits(const struct x509_cert *leaf, uint16_t scheme);
/* The hash of a scheme we accept (CRY_*), or -1. */
int hs_sig_hash(uint16_t alg);

/*
 * Sign a hash with @key. TLS 1.2 (@scheme set): RSA PKCS#1 v1.5 over a DigestInfo of the scheme's
 * hash, or ECDSA over the hash. Before TLS 1.2 (@scheme 0) @h is MD5 || SHA-1 (36 bytes): RSA signs
 * it raw, ECDSA signs the SHA-1 half (RFC 8422 §5.4, §5.8). ECDSA draws its nonce from the context.
 */
SSLErr hs_sig_sign(SSLContext *ctx, const SSLRSAPrivateKey *key, uint16_t scheme, const uint8_t *h,
                   size_t hl, uint8_t *sig, uint32_t cap, uint32_t *siglen) SSL_MUST;
/* 1 if @sig is @leaf's signature of @h, made as hs_sig_sign makes it; the scheme's signature type
 * must be the leaf's key type (an ecdsa scheme from an RSA certificate is refused). */
int hs_sig_verify(const struct x509_cert *leaf, uint16_t scheme, const uint8_t *h, size_t hl,
                  const uint8_t *sig, uint32_t siglen);
/* A DSA signature r || s (two numbers of @ql bytes, SSL 3.0's form) as the DER Dss-Sig-Value that
 * TLS sends (RFC 2246 §7.4.3): SEQUENCE { INTEGER r, INTEGER s }, minimal encodings. */
SSLErr hs_sig_dss_der(const uint8_t *rs, size_t ql, uint8_t *out, uint32_t cap,
                      uint32_t *len) SSL_MUST;

#endif
