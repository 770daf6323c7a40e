/*
 * ssl2_record.h - SSL 2.0 records (SSL 2.0 spec §1): 2- and 3-byte headers, MAC-then-data layout,
 * 32-bit sequence numbers counted from the first hello, and the session keys (§2.5). The message
 * and error codes are here too, since the record layer recognises an SSL 2.0 hello by them.
 */
#ifndef SSLREF_SSL2_RECORD_H
#define SSLREF_SSL2_RECORD_H

#include "state/ctx.h"

#define SSL2_SID_LEN 16
#define SSL2_MAC_LEN 16
#define SSL2_MAX_DATA 16000u /* application bytes per record we send (3-byte headers hold 16383) */
#define SSL2_IN_CAP (3u + 32767u)

enum ssl2_msg { MSG2_ERROR = 0, MSG2_CLIENT_HELLO = 1, MSG2_CLIENT_MASTER_KEY = 2,
                MSG2_CLIENT_FINISHED = 3, MSG2_SERVER_HELLO = 4, MSG2_SERVER_VERIFY = 5,
                MSG2_SERVER_FINISHED = 6, MSG2_REQUEST_CERTIFICATE = 7, MSG2_CLIENT_CERTIFICATE = 8 };
enum ssl2_err { ERR2_NO_CIPHER = 1, ERR2_NO_CERTIFICATE = 2, ERR2_BAD_CERTIFICATE = 4,
                ERR2_UNSUPPORTED_CERTIFICATE = 6 };

/* Records (ssl2_record.c). */
SSLErr ssl2_seal(SSLContext *ctx, const uint8_t *data, uint32_t len) SSL_MUST;
SSLErr ssl2_complete_len(SSLContext *ctx, uint32_t *len) SSL_MUST;
SSLErr ssl2_open(SSLContext *ctx) SSL_MUST;
/* Session keys from the master key, challenge and connection ID; both directions on. */
SSLErr ssl2_derive_keys(SSLContext *ctx) SSL_MUST;
/* Queue an ERROR message (best effort). */
void ssl2_send_error(SSLContext *ctx, uint16_t code);

#endif
