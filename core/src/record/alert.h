/*
 * alert.h - SSL 3.0 alerts (RFC 6101 §5.4.2): the descriptions, sending one, turning a received
 * one into an SSLErr, and the table that maps our errors to the alert we send.
 */
#ifndef SSLREF_ALERT_H
#define SSLREF_ALERT_H

#include "state/ctx.h"

enum { AL_WARNING = 1, AL_FATAL = 2 };
enum {
    AL_CLOSE_NOTIFY = 0, AL_UNEXPECTED_MESSAGE = 10, AL_BAD_RECORD_MAC = 20,
    AL_DECOMPRESSION_FAILURE = 30, AL_HANDSHAKE_FAILURE = 40, AL_NO_CERTIFICATE = 41,
    AL_BAD_CERTIFICATE = 42, AL_UNSUPPORTED_CERTIFICATE = 43, AL_CERTIFICATE_REVOKED = 44,
    AL_CERTIFICATE_EXPIRED = 45, AL_CERTIFICATE_UNKNOWN = 46, AL_ILLEGAL_PARAMETER = 47,
    /* TLS only (RFC 5246 §7.2, RFC 7507, RFC 6066, RFC 7301) */
    AL_UNKNOWN_CA = 48, AL_ACCESS_DENIED = 49, AL_DECODE_ERROR = 50,
    AL_DECRYPT_ERROR = 51, AL_PROTOCOL_VERSION = 70, AL_INSUFFICIENT_SECURITY = 71,
    AL_INTERNAL_ERROR = 80, AL_INAPPROPRIATE_FALLBACK = 86, AL_UNSUPPORTED_EXTENSION = 110,
    AL_UNRECOGNIZED_NAME = 112, AL_NO_APPLICATION_PROTOCOL = 120
};
enum { AL_RECORD_OVERFLOW = 22 }; /* TLS (RFC 5246 §7.2.2), sent by the record layer */

/* Queue an alert record (it is sent with the next flush). An alert that SSL 3.0 lacks is sent
 * there as its nearest SSL 3.0 description (decode_error and record_overflow as illegal_parameter,
 * the others as handshake_failure); TLS has no no_certificate, which becomes handshake_failure. */
SSLErr alert_send(SSLContext *ctx, uint8_t level, uint8_t desc) SSL_MUST;
/* The alert we send for an error detected without a more specific one; -1 for none
 * (would-block, I/O failures, the peer's own alert, a graceful close). */
int alert_for_error(SSLErr err);

#endif
