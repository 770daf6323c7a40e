/*
 * ssl2.h - the SSL 2.0 handshake (Netscape 1995 spec) and the SSL 2.0-format hello that carries
 * SSL 3.0 negotiation (RFC 6101 Appendix E). Its records are in record/ssl2_record.h, its cipher
 * kinds in state/suites.h. Entered from the SSL 3.0 driver when a hello in SSL 2.0 format is
 * sent or seen.
 */
#ifndef SSLREF_SSL2_H
#define SSLREF_SSL2_H

#include "base/buf.h"
#include "record/ssl2_record.h"

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
