/*
 * ssl2.h - SSL 2.0 (Netscape 1995 spec) and the SSL 2.0-format hello that carries SSL 3.0
 * negotiation (RFC 6101 Appendix E). The cipher-kind table, the record layer (2- and 3-byte
 * headers, MAC-then-data layout, 32-bit sequence numbers counted from the first hello), and the
 * handshake driver. Entered from the SSL 3.0 driver when a hello in SSL 2.0 format is sent or seen.
 */
#ifndef SSLREF_SSL2_H
#define SSLREF_SSL2_H

#include "buf.h"
#include "ctx.h"

#define SSL2_SID_LEN 16
#define SSL2_MAC_LEN 16
#define SSL2_MAX_DATA 16000u /* application bytes per record we send (3-byte headers hold 16383) */
#define SSL2_IN_CAP (3u + 32767u)

enum ssl2_msg { MSG2_ERROR = 0, MSG2_CLIENT_HELLO = 1, MSG2_CLIENT_MASTER_KEY = 2,
                MSG2_CLIENT_FINISHED = 3, MSG2_SERVER_HELLO = 4, MSG2_SERVER_VERIFY = 5,
                MSG2_SERVER_FINISHED = 6, MSG2_REQUEST_CERTIFICATE = 7, MSG2_CLIENT_CERTIFICATE = 8 };
enum ssl2_err { ERR2_NO_CIPHER = 1, ERR2_NO_CERTIFICATE = 2, ERR2_BAD_CERTIFICATE = 4,
                ERR2_UNSUPPORTED_CERTIFICATE = 6 };

struct ssl2_kind {
    uint32_t id;       /* 3-byte CIPHER-KIND */
    uint16_t suite;    /* what SSLGetNegotiatedCipher reports (cryptype.h SSL2_SUITE_...) */
    const char *name;
    uint8_t cipher;    /* enum cry_cipher_alg */
    uint8_t key_len;   /* bytes of each session key = master key length */
    uint8_t clear_len; /* bytes of the master key sent in the clear (export) */
    uint8_t iv_len;    /* KEY-ARG length: block size, 0 for RC4 */
    uint8_t key_blocks;/* MD5 key-material blocks, each hashes its digit '0'.. */
};

const struct ssl2_kind *ssl2_kind_find(uint32_t id);
const struct ssl2_kind *ssl2_kind_by_suite(uint16_t suite);
/* All kinds in default preference order. */
const struct ssl2_kind *ssl2_kind_all(uint32_t *n);
static inline uint32_t ssl2_kind_id(const uint8_t *p) { return (uint32_t)p[0] << 16 | p[1] << 8 | p[2]; }

/* Records (ssl2_record.c). */
SSLErr ssl2_seal(SSLContext *ctx, const uint8_t *data, uint32_t len) SSL_MUST;
SSLErr ssl2_complete_len(SSLContext *ctx, uint32_t *len) SSL_MUST;
SSLErr ssl2_open(SSLContext *ctx) SSL_MUST;
/* Session keys from the master key, challenge and connection ID; both directions on. */
SSLErr ssl2_derive_keys(SSLContext *ctx) SSL_MUST;
/* Queue an ERROR message (best effort). */
void ssl2_send_error(SSLContext *ctx, uint16_t code);

/* Handshake (ssl2_hs.c). */
/* Client: queue the SSL 2.0-format CLIENT-HELLO (offering 3.0 unless the setting is 2.0 only)
 * and add it to the SSL 3.0 handshake hashes (RFC 6101 Appendix E.1). */
SSLErr ssl2_send_client_hello(SSLContext *ctx) SSL_MUST;
/* Server: take an SSL 2.0-format CLIENT-HELLO. Sets *v3 if it continues as SSL 3.0 (then the
 * hello is hashed and the suite chosen); otherwise the SSL 2.0 handshake is set up. */
SSLErr ssl2_recv_client_hello(SSLContext *ctx, const uint8_t *msg, uint32_t len, int *v3) SSL_MUST;
/* Run the SSL 2.0 handshake from its current step. */
SSLErr ssl2_drive(SSLContext *ctx) SSL_MUST;
/* Client: the server answered the hello in SSL 2.0: check the setting allows it and start. */
SSLErr ssl2_client_switch(SSLContext *ctx) SSL_MUST;

#endif
