/*
 * alert.c - sending alerts and the error-to-alert table (RFC 6101 §5.4.2). Received alerts are
 * interpreted by api_io.c, which owns the read path.
 */
#include "record/alert.h"
#include "record/record3.h"

static uint8_t for_version(const SSLContext *ctx, uint8_t desc)
{
    /* a server or client that speaks TLS refuses an SSL 3.0 peer with TLS's protocol_version */
    if (ctx_is_tls(ctx) || (desc == AL_PROTOCOL_VERSION && ctx->ver_max >= V_TLS10))
        return desc == AL_NO_CERTIFICATE ? AL_HANDSHAKE_FAILURE : desc;
    if (desc == AL_DECODE_ERROR || desc == AL_RECORD_OVERFLOW)
        return AL_ILLEGAL_PARAMETER;
    return desc > AL_ILLEGAL_PARAMETER ? AL_HANDSHAKE_FAILURE : desc;
}

SSLErr alert_send(SSLContext *ctx, uint8_t level, uint8_t desc)
{
    desc = for_version(ctx, desc);
    uint8_t a[2] = {level, desc};
    ctx->last_alert_sent = (uint16_t)(level << 8 | desc);
    return rec3_seal(ctx, CT_ALERT, a, 2);
}

static const struct {
    SSLErr err;
    int alert;
} table[] = {
    {SSLProtocolErr, AL_UNEXPECTED_MESSAGE},
    {SSLNegotiationErr, AL_HANDSHAKE_FAILURE},
    {SSLUnsupportedErr, AL_HANDSHAKE_FAILURE},
    {SSLMemoryErr, AL_HANDSHAKE_FAILURE},
    {SSLUnknownErr, AL_HANDSHAKE_FAILURE},
    {SSLOverflowErr, AL_ILLEGAL_PARAMETER},
    {ASNBadEncodingErr, AL_BAD_CERTIFICATE},
    {ASNIntegerTooBigErr, AL_BAD_CERTIFICATE},
    {X509CertChainInvalidErr, AL_BAD_CERTIFICATE},
    {X509NamesNotEqualErr, AL_BAD_CERTIFICATE},
    {X509CertExpiredErr, AL_CERTIFICATE_EXPIRED},
    {X509CertChainIncompleteErr, AL_BAD_CERTIFICATE},
    {SSLBadCertificateErr, AL_BAD_CERTIFICATE},
};

int alert_for_error(SSLErr err)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].err == err)
            return table[i].alert;
    /* Errors from user callbacks (e.g. a refused certificate) are not ours to describe. */
    return err == SSLWouldBlockErr || err == SSLIOErr || err == SSLFatalAlert ||
                   err == SSLConnectionClosedGraceful || err == SSLConnectionClosedError
               ? -1
               : AL_HANDSHAKE_FAILURE;
}
