/*
 * hs_ext.h - hello extensions of TLS 1.0-1.2 (hs_ext.c). The parsers take the reader positioned at
 * the extensions block (u16 length) and must consume the rest of the hello; results go into the
 * context (sni, peer_sigalgs, peer_ffdhe, alpn_sel, peer_ems, etm_offered, secure_reneg).
 */
#ifndef SSLREF_HS_EXT_H
#define SSLREF_HS_EXT_H

#include "base/buf.h"
#include "state/ctx.h"

/* Server: the ClientHello's extensions. */
SSLErr hs_ext_parse_client(SSLContext *ctx, struct rd *r) SSL_MUST;
/* Server: the ServerHello's extensions (none at all when there is nothing to answer). */
void hs_ext_build_server(SSLContext *ctx, struct wr *w);
/* Client: the ClientHello's extensions (TLS only). */
void hs_ext_build_client(SSLContext *ctx, struct wr *w);
/* Client: the ServerHello's extensions; ctx->suite is already set. */
SSLErr hs_ext_parse_server(SSLContext *ctx, struct rd *r) SSL_MUST;

#endif
