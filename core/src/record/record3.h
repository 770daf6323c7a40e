/*
 * record3.h - the SSL 3.0 and TLS 1.0-1.2 record layer (RFC 6101 §5.2, RFC 5246 §6.2): sealing
 * records into the write queue and opening one raw record in place in the input buffer. TLS
 * fragments are protected by record_tls.c. Knows nothing of handshake messages or I/O.
 */
#ifndef SSLREF_RECORD3_H
#define SSLREF_RECORD3_H

#include "state/ctx.h"

/* Derive the key block from ctx->master and the randoms and key the pending read/write states
 * for ctx->suite and ctx->ver (SSL 3.0: RFC 6101 §6.2.2; TLS: the PRF, RFC 5246 §6.3, export keys
 * RFC 2246 §6.3; AEAD fixed nonce parts into d->fixed_iv); sets d->ver = ctx->ver and d->seq = 0
 * on both. The handshake sets wr_pend.etm / rd_pend.etm (RFC 7366) itself, after this
 * (hs3_keys_ready). */
SSLErr rec3_derive_keys(SSLContext *ctx) SSL_MUST;
/* Make the pending write (read) state current: after sending (receiving) ChangeCipherSpec. */
void rec3_activate_write(SSLContext *ctx);
void rec3_activate_read(SSLContext *ctx);
/* Append one record of type @type carrying len <= 2^14 bytes to the write queue. */
SSLErr rec3_seal(SSLContext *ctx, uint8_t type, const uint8_t *data, uint32_t len) SSL_MUST;
/* Append data of any length as as many records as needed. */
SSLErr rec3_seal_all(SSLContext *ctx, uint8_t type, const uint8_t *data, uint32_t len) SSL_MUST;
/* Bytes of a complete raw record at in.data + in_start, or 0 if more must be read first. Fails if
 * the header is invalid (unknown type; version not 3.0-3.3 before ctx->ver is known, not exactly
 * ctx->ver after; length over the limit). Records are sent with ctx->ver, else ctx->rec_ver,
 * else 3.0. */
SSLErr rec3_complete_len(SSLContext *ctx, uint32_t *len) SSL_MUST;
/* Decrypt and check the complete raw record at in_start; sets rec_type/rec_off/rec_len/rec_next. */
SSLErr rec3_open(SSLContext *ctx) SSL_MUST;
/* 1 if the current write state chains CBC IVs across records (SSL 3.0 and TLS 1.0 CBC): the
 * 1/n-1 split helps. 0 for stream ciphers, explicit IVs (TLS 1.1+) and AEAD. */
int rec3_write_is_cbc(const SSLContext *ctx);

#endif
