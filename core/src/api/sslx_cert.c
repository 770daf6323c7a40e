/*
 * sslx_cert.c - certificate inspection for applications (sslx.h): the subject and issuer of a DER
 * certificate as text, and the "did this certificate issue that one" check that a
 * SSLCheckCertificateFunc needs to verify a peer chain against its own trust anchors.
 * Thin wrappers over x509.c; nothing here allocates or keeps state.
 */
#include "sslref/sslx.h"
#include "x509/x509.h"

static SSLErr sslx_cert_name(SSLBuffer der, int issuer, char *out, size_t cap)
{
    if (!der.data || !out || cap == 0)
        return SSLBadParameterErr;
    out[0] = 0;
    struct x509_cert c;
    SSL_TRY(x509_parse(der.data, der.length, &c));
    return issuer ? x509_name_string(c.issuer, c.issuer_len, out, cap)
                  : x509_name_string(c.subject, c.subject_len, out, cap);
}

SSLErr SSLXCertificateSubject(SSLBuffer der, char *out, size_t cap)
{
    return sslx_cert_name(der, 0, out, cap);
}

SSLErr SSLXCertificateIssuer(SSLBuffer der, char *out, size_t cap)
{
    return sslx_cert_name(der, 1, out, cap);
}

SSLErr SSLXCertificateIssuedBy(SSLBuffer child, SSLBuffer parent)
{
    if (!child.data || !parent.data)
        return SSLBadParameterErr;
    struct x509_cert c, p;
    SSL_TRY(x509_parse(child.data, child.length, &c));
    SSL_TRY(x509_parse(parent.data, parent.length, &p));
    return x509_check_issued(&c, &p);
}

SSLErr SSLXCertificateValidity(SSLBuffer der, int64_t *notBefore, int64_t *notAfter)
{
    if (!der.data || !notBefore || !notAfter)
        return SSLBadParameterErr;
    struct x509_cert c;
    SSL_TRY(x509_parse(der.data, der.length, &c));
    *notBefore = c.not_before;
    *notAfter = c.not_after;
    return SSLNoErr;
}
