/*
 * session.h - resumable sessions through the user's Add/Get/DeleteSession callbacks (SSLRef 3.0
 * API "Session Resumption Callbacks"). A client keys entries by its peer ID; a server by session ID,
 * and only when a peer ID was set; either key is prefixed with the side's role byte
 * (SSLX_SESSION_KEY_CLIENT / _SERVER). The stored blob is versioned and decoded with the bounded
 * reader: whatever a cache returns is hostile. A blob is resumed only by the side, client-auth
 * policy and session context (or local chain) that made it, and within the session lifetime.
 */
#ifndef SSLREF_SESSION_H
#define SSLREF_SESSION_H

#include "state/ctx.h"

/* Client, before its hello: look up the peer ID; on a usable entry fill offered_sid/offered_suite
 * and return the entry's version (0x0300 or 0x0002), else 0. */
uint16_t session_client_lookup(SSLContext *ctx);
/* Client, on a ServerHello that resumes: load master secret and peer chain (and, for SSL 2.0, the
 * kind and KEY-ARG) from the cached entry. On failure the connection has no peer chain. */
SSLErr session_client_resume(SSLContext *ctx) SSL_MUST;
/* Server, on a ClientHello with a session ID: 1 if the entry exists, is valid here, and its suite is
 * in @offered (n ids) and enabled here; then suite, master, session ID and peer chain are loaded.
 * 0 leaves no peer chain; -1 (no peer chain either): the session used the extended master secret
 * and this hello does not offer it, which RFC 7627 §5.3 makes fatal. */
int session_server_lookup(SSLContext *ctx, const uint8_t *sid, uint32_t sidlen,
                          const uint8_t *offered, uint32_t n);
/* SSL 2.0 server: 1 if an SSL 2.0 session with this ID exists whose kind the client offered
 * (@offered: n 3-byte kinds); then kind, master key, key arg and peer chain are loaded. */
int session_server_lookup2(SSLContext *ctx, const uint8_t *sid, uint32_t sidlen,
                           const uint8_t *offered, uint32_t n);
/* Server: resume from a decoded, decrypted session blob (a ticket's): 1 if it was made by a server
 * here (session_server_lookup's rules without the session ID) and is loaded; 0 not; -1 the RFC 7627
 * §5.3 refusal. */
int session_server_blob(SSLContext *ctx, const SSLBuffer *blob, const uint8_t *offered, uint32_t n);
/* After a full handshake: store the session (errors ignored, as the spec says). */
void session_store(SSLContext *ctx);
/* After an unclean end: delete the session (errors ignored). */
void session_forget(SSLContext *ctx);
/* Drop the cached blob the client kept between lookup and ServerHello. */
void session_release(SSLContext *ctx);

/* Blob codec, exposed for tests and the fuzz harness. */
#define SESSION_BIND_LEN 32 /* SHA-256 */
/* Compute the context's session binding into ctx->bind and mark it valid (bind_ok): called by the
 * setters of the local chains, keys and session context, so a template's duplicates start with it
 * and a resumption hashes no chain. Anything else that changes those clears bind_ok, and the
 * binding is then computed each time it is needed. */
void session_bind_update(SSLContext *ctx);
SSLErr session_encode(SSLContext *ctx, SSLBuffer *out) SSL_MUST;
struct session_view {
    uint16_t version, suite;
    const uint8_t *sid; uint32_t sid_len;
    const uint8_t *master; uint32_t master_len;   /* 48 (SSL 3.0) or the SSL 2.0 key length */
    const uint8_t *key_arg; uint32_t key_arg_len; /* SSL 2.0 KEY-ARG (IV), else empty */
    uint32_t created;
    uint8_t ems;                                  /* RFC 7627 state it was made with */
    uint16_t group;                               /* the key exchange's group (0: none, custom DH) */
    uint8_t cert_type;                            /* the server key's kind: session_cert_type */
    uint8_t role, auth;                           /* 0 client / 1 server; server's client-cert policy */
    const uint8_t *bind; uint32_t bind_len;       /* SESSION_BIND_LEN: session context or chain hash */
    const uint8_t *ticket; uint32_t ticket_len;   /* client: the server's RFC 5077 ticket, or none */
    uint32_t ncerts;
    const uint8_t *cert[MAX_CHAIN]; uint32_t cert_len[MAX_CHAIN];
};
SSLErr session_decode(const uint8_t *p, uint32_t len, struct session_view *v) SSL_MUST;
/* The kind of server key a suite authenticates with (enum key_kind; KEY_NONE: anonymous). */
uint8_t session_cert_type(const struct suite *s);

#endif
