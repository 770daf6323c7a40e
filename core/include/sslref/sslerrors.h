/*
 * sslerrors.h - the SSLErr values of the SSLRef 3.0 API.
 *
 * Every API function and every user callback returns an SSLErr; zero (SSLNoErr) is success.
 * The spec spells the type and a few values several ways; all spellings are provided as aliases
 * (see docs/api.md). Values are negative and stable: never renumber an existing entry.
 */
#ifndef SSLREF_SSLERRORS_H
#define SSLREF_SSLERRORS_H

typedef enum SSLErr {
    SSLNoErr = 0,
    SSLMemoryErr = -7000,        /* an allocation callback failed */
    SSLUnsupportedErr = -7001,   /* a feature, suite or version this build or peer does not support */
    SSLOverflowErr = -7002,      /* a value or index out of range (e.g. SSLGetPeerCertificate index) */
    SSLUnknownErr = -7003,       /* an internal failure that fits no other value */
    SSLProtocolErr = -7004,      /* the peer broke the protocol; an alert was sent; fatal */
    SSLNegotiationErr = -7005,   /* no common suite or version; handshake_failure was sent; fatal */
    SSLFatalAlert = -7006,       /* the peer sent a fatal alert; fatal */
    SSLWouldBlockErr = -7007,    /* an I/O callback would block: call again later, nothing is lost */
    SSLIOErr = -7008,            /* an I/O callback failed */
    SSLSessionNotFoundErr = -7009,
    SSLConnectionClosedGraceful = -7010, /* the peer sent close_notify */
    SSLConnectionClosedError = -7011,    /* the transport closed without close_notify */
    ASNBadEncodingErr = -7012,   /* malformed DER */
    ASNIntegerTooBigErr = -7013, /* a DER integer does not fit where it must go */
    X509CertChainInvalidErr = -7014, /* a signature in the chain does not verify */
    X509CertExpiredErr = -7015,
    X509NamesNotEqualErr = -7016,    /* an issuer name does not match its parent's subject */
    X509CertChainIncompleteErr = -7017,
    X509DataNotFoundErr = -7018,
    SSLBadParameterErr = -7019,  /* extension: an API argument is invalid (NULL, wrong state) */
    SSLNoMatchingSessionKeyErr = -7020, /* session callbacks: no entry for this key */
    SSLBadCertificateErr = -7021 /* extension: a certificate could not be parsed or was refused */
} SSLErr;

/* Spellings used by the SSLRef 3.0 documentation. */
typedef SSLErr SSLERR;
typedef SSLErr SSLerr;
typedef SSLErr SSL_ERR;
#define SSLWouldBlockError SSLWouldBlockErr
#define SSLProtocolError SSLProtocolErr
#define SSL_WOULD_BLOCK_ERROR SSLWouldBlockErr

#endif
