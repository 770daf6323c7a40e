/*
 * hs_ext.h - hello extensions of TLS 1.0-1.2 (hs_ext.c). The parsers take the reader positioned at
 * the extensions block (u16 length) and must consume the rest of the hello; results go into the
 * context (sni, peer_sigalgs, peer_ffdhe, peer_ec, peer_pf, alpn_sel, peer_ems, etm_offered,
 * secure_reneg).
 */
#ifndef SSLREF_HS_EXT_H
#define SSLREF_HS_EXT_H

#include "base/buf.h"
#include "state/ctx.h"

/* The peer_ec bit of a supported_groups entry (RFC 8422 curves 23..30; 0 for any other). */
#define HS_EC_BIT(g) ((g) >= 23 && (g) <= 30 ? 1u << ((g) - 23) : 0u)

/* Server: the ClientHello's extensions. */
SSLErr hs_ext_parse_client(SSLContext *ctx, struct rd *r) SSL_MUST;
/* Server: the ServerHello's extensions (none at all when there is nothing to answer). */
void hs_ext_build_server(SSLContext *ctx, struct wr *w);
/* Client: the ClientHello's extensions (TLS only). */
void hs_ext_build_client(SSLContext *ctx, struct wr *w);
/* Client: the ServerHello's extensions; ctx->suite is already set. */
SSLErr hs_ext_parse_server(SSLContext *ctx, struct rd *r) SSL_MUST;

#endif
