/* errname.c - SSLXErrorName: one row per SSLErr value. */
#include "sslref/sslx.h"

const char *SSLXErrorName(SSLErr err)
{
    switch (err) {
#define N(x) case x: return #x;
    N(SSLNoErr) N(SSLMemoryErr) N(SSLUnsupportedErr) N(SSLOverflowErr) N(SSLUnknownErr)
    N(SSLProtocolErr) N(SSLNegotiationErr) N(SSLFatalAlert) N(SSLWouldBlockErr) N(SSLIOErr)
    N(SSLSessionNotFoundErr) N(SSLConnectionClosedGraceful) N(SSLConnectionClosedError)
    N(ASNBadEncodingErr) N(ASNIntegerTooBigErr) N(X509CertChainInvalidErr) N(X509CertExpiredErr)
    N(X509NamesNotEqualErr) N(X509CertChainIncompleteErr) N(X509DataNotFoundErr)
    N(SSLBadParameterErr) N(SSLNoMatchingSessionKeyErr) N(SSLBadCertificateErr)
#undef N
    }
    return "unknown";
}
