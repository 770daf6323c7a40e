/*
 * certchain.c - the local certificate chain (SSLAddCertificate, SSLXAddCertificatesPEM) and the
 * distinguished names for CertificateRequest (SSLAddDistinguishedName). A certificate added with
 * `parent` is the issuer of the one before it; without, it becomes the new leaf. When the chain is
 * complete every link is checked: issuer name against subject, then the signature.
 */
#include "state/ctx.h"
#include "handshake/session.h"
#include "x509/x509.h"
#include <stdlib.h>

static SSLErr chain_verify(const struct certlist *l)
{
    struct x509_cert a, b;
    for (uint32_t i = 0; i < l->n; i++) {
        SSL_TRY(x509_parse(l->certs[i].data, l->certs[i].length, i % 2 ? &b : &a));
        if (i > 0)
            SSL_TRY(i % 2 ? x509_check_issued(&a, &b) : x509_check_issued(&b, &a));
    }
    return SSLNoErr;
}

SSLErr SSLAddCertificate(SSLContext *ctx, SSLBuffer derCert, int parent, int complete)
{
    if (!ctx || ctx->magic != CTX_MAGIC || !derCert.data || !derCert.length)
        return SSLBadParameterErr;
    struct x509_cert c;
    SSL_TRY(x509_parse(derCert.data, derCert.length, &c));
    SSL_TRY(certlist_add_shared(&ctx->local_chain, derCert.data, derCert.length, !parent));
    session_bind_update(ctx);
    ctx->chain_complete = 0;
    if (complete) {
        SSL_TRY(chain_verify(&ctx->local_chain));
        ctx->chain_complete = 1;
    }
    return SSLNoErr;
}

SSLErr SSLAddDistinguishedName(SSLContext *ctx, SSLBuffer derDN)
{
    if (!ctx || ctx->magic != CTX_MAGIC || !derDN.data || !derDN.length || derDN.length > 65535)
        return SSLBadParameterErr;
    return certlist_add_shared(&ctx->dns, derDN.data, derDN.length, 0);
}

SSLErr SSLXAddDistinguishedNameOf(SSLContext *ctx, SSLBuffer derCert)
{
    struct x509_cert c;
    if (!ctx || ctx->magic != CTX_MAGIC || !derCert.data)
        return SSLBadParameterErr;
    SSL_TRY(x509_parse(derCert.data, derCert.length, &c));
    return SSLAddDistinguishedName(ctx, (SSLBuffer){c.subject_len, (uint8 *)c.subject});
}

SSLErr SSLXAddCertificatesPEM(SSLContext *ctx, const char *pem, size_t len)
{
    if (!ctx || ctx->magic != CTX_MAGIC || !pem)
        return SSLBadParameterErr;
    size_t pos = 0;
    uint8 *der = NULL, *next = NULL;
    uint32 derlen = 0, nextlen = 0;
    SSLErr e = SSLXPEMDecode(pem, len, &pos, "CERTIFICATE", &der, &derlen);
    for (int first = 1; e == SSLNoErr; first = 0) {
        SSLErr more = SSLXPEMDecode(pem, len, &pos, "CERTIFICATE", &next, &nextlen);
        if (more != SSLNoErr && more != X509DataNotFoundErr) {
            free(der);
            return more;
        }
        SSLBuffer b = {derlen, der};
        e = SSLAddCertificate(ctx, b, !first, more == X509DataNotFoundErr);
        free(der);
        der = next;
        derlen = nextlen;
        next = NULL;
        if (more == X509DataNotFoundErr)
            return e;
    }
    free(der);
    return e;
}

SSLErr SSLXAddIdentityPEM(SSLContext *ctx, const char *pem, size_t len, SSLRSAPrivateKey *key)
{
    if (!ctx || ctx->magic != CTX_MAGIC || !pem || !key || !ctx->key || ctx->key2 ||
        (ctx_key_kind(key) == KEY_EC) == (ctx_key_kind(ctx->key) == KEY_EC))
        return SSLBadParameterErr;
    struct certlist first = ctx->local_chain; /* build the second chain in the first one's place */
    int complete = ctx->chain_complete;
    ctx->local_chain = (struct certlist){NULL, 0, NULL};
    SSLErr e = SSLXAddCertificatesPEM(ctx, pem, len);
    struct x509_cert leaf;
    if (e == SSLNoErr)
        e = x509_parse(ctx->local_chain.certs[0].data, ctx->local_chain.certs[0].length, &leaf);
    if (e == SSLNoErr && (leaf.key_type == X509_KEY_EC) != (ctx_key_kind(key) == KEY_EC))
        e = SSLBadParameterErr;
    if (e == SSLNoErr) {
        ctx->chain2 = ctx->local_chain;
        ctx->key2 = key;
    } else {
        certlist_free(ctx, &ctx->local_chain);
    }
    ctx->local_chain = first;
    ctx->chain_complete = complete;
    session_bind_update(ctx);
    return e;
}

SSLErr SSLXReplaceCertificatesPEM(SSLContext *ctx, const char *pem, size_t len)
{
    if (!ctx || ctx->magic != CTX_MAGIC || !pem)
        return SSLBadParameterErr;
    certlist_free(ctx, &ctx->local_chain);
    ctx->chain_complete = 0;
    return SSLXAddCertificatesPEM(ctx, pem, len);
}
