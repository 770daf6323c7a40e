/*
 * hs3.h - the SSL 3.0 handshake (RFC 6101 §5.6): message types, the handlers of each message
 * (a builder for the side that sends it, a parser for the side that receives it), and the driver.
 * Handlers do no I/O and never choose the next state: hs3_flow.c owns the order.
 */
#ifndef SSLREF_HS3_H
#define SSLREF_HS3_H

#include "base/buf.h"
#include "state/ctx.h"

enum hs3_type {
    HS3_HELLO_REQUEST = 0, HS3_CLIENT_HELLO = 1, HS3_SERVER_HELLO = 2, HS3_CERTIFICATE = 11,
    HS3_SERVER_KEY_EXCHANGE = 12, HS3_CERTIFICATE_REQUEST = 13, HS3_SERVER_HELLO_DONE = 14,
    HS3_CERTIFICATE_VERIFY = 15, HS3_CLIENT_KEY_EXCHANGE = 16, HS3_FINISHED = 20,
    HS3_NEW_SESSION_TICKET = 4 /* RFC 5077 §3.3 */
};

typedef SSLErr (*hs3_build_fn)(SSLContext *ctx, struct wr *w);
typedef SSLErr (*hs3_parse_fn)(SSLContext *ctx, struct rd *r);

/* Run the handshake as far as I/O allows. */
SSLErr hs3_drive(SSLContext *ctx) SSL_MUST;

/* hs3_hello.c */
SSLErr hs3_build_client_hello(SSLContext *ctx, struct wr *w) SSL_MUST;
SSLErr hs3_parse_client_hello(SSLContext *ctx, struct rd *r) SSL_MUST;
/* Server: resume or choose a suite for a client offering @off (noff 2-byte suite ids). */
/* Server: the version it answers ClientHello.version with (RFC 5246 Appendix E.1). */
uint16_t hs3_server_version(const SSLContext *ctx);
SSLErr hs3_server_select(SSLContext *ctx, const uint8_t *sid, uint32_t nsid, const uint8_t *off,
                         uint32_t noff) SSL_MUST;
SSLErr hs3_build_server_hello(SSLContext *ctx, struct wr *w) SSL_MUST;
SSLErr hs3_parse_server_hello(SSLContext *ctx, struct rd *r) SSL_MUST;
/* hs3_cert.c */
SSLErr hs3_build_certificate(SSLContext *ctx, struct wr *w) SSL_MUST;
SSLErr hs3_parse_certificate(SSLContext *ctx, struct rd *r) SSL_MUST;
SSLErr hs3_build_cert_request(SSLContext *ctx, struct wr *w) SSL_MUST;
SSLErr hs3_parse_cert_request(SSLContext *ctx, struct rd *r) SSL_MUST;
SSLErr hs3_build_cert_verify(SSLContext *ctx, struct wr *w) SSL_MUST;
SSLErr hs3_parse_cert_verify(SSLContext *ctx, struct rd *r) SSL_MUST;
/* hs3_kx.c */
SSLErr hs3_build_server_kx(SSLContext *ctx, struct wr *w) SSL_MUST;
SSLErr hs3_parse_server_kx(SSLContext *ctx, struct rd *r) SSL_MUST;
SSLErr hs3_build_hello_done(SSLContext *ctx, struct wr *w) SSL_MUST;
SSLErr hs3_parse_hello_done(SSLContext *ctx, struct rd *r) SSL_MUST;
SSLErr hs3_build_client_kx(SSLContext *ctx, struct wr *w) SSL_MUST;
SSLErr hs3_parse_client_kx(SSLContext *ctx, struct rd *r) SSL_MUST;
/* 1 if this suite/key combination has the server send ServerKeyExchange. */
int hs3_needs_server_kx(const SSLContext *ctx);
/* Server: whether DH suite @s can get a group now. 1: *group is the FFDHE group to use (0: the
 * SSLSetDHAnonParams parameters); 0: none (export suites need <= 512 bits; RFC 7919 §4: a client
 * listing only FFDHE groups we lack gets no DH suite; *refused is then set). */
int hs3_dh_group(const SSLContext *ctx, const struct suite *s, uint16_t *group, int *refused);
/* Server: the EC group for an ECDHE suite: our first (ctx->groups order) that the client listed;
 * without supported_groups (RFC 8422 §4: the server may choose) secp256r1, else our first EC
 * group. 0 if none, or if its ec_point_formats lacked uncompressed. */
int hs3_ec_group(const SSLContext *ctx, uint16_t *group);
/* ticket.c (RFC 5077) */
/* Server, on a ClientHello with a ticket: 1 resumed from it (session loaded, the client's session
 * ID echoed), 0 not (a full handshake or the session ID cache), -1 the RFC 7627 §5.3 refusal.
 * Sets ctx->nst when the ticket should be renewed. */
int hs3_ticket_resume(SSLContext *ctx, const uint8_t *sid, uint32_t nsid, const uint8_t *off,
                      uint32_t noff);
/* Server: whether it will send NewSessionTicket in a full handshake (sets ctx->nst). */
void hs3_ticket_decide(SSLContext *ctx);
SSLErr hs3_build_new_ticket(SSLContext *ctx, struct wr *w) SSL_MUST;
SSLErr hs3_parse_new_ticket(SSLContext *ctx, struct rd *r) SSL_MUST;
/* Bytes a NewSessionTicket may need (for the build buffer). */
uint32_t hs3_ticket_size_hint(const SSLContext *ctx);
/* hs3_finish.c */
SSLErr hs3_build_ccs(SSLContext *ctx, struct wr *w) SSL_MUST;
SSLErr hs3_parse_ccs(SSLContext *ctx, struct rd *r) SSL_MUST;
SSLErr hs3_build_finished(SSLContext *ctx, struct wr *w) SSL_MUST;
SSLErr hs3_parse_finished(SSLContext *ctx, struct rd *r) SSL_MUST;
/* Master secret from a premaster, then the pending keys; writes the key-log line. */
SSLErr hs3_set_master(SSLContext *ctx, const uint8_t *pre, uint32_t prelen) SSL_MUST;
/* TLS: the master secret from the premaster kept by hs3_set_master, once ClientKeyExchange is in
 * the transcript; then the keys. */
SSLErr hs3_master_from_pending(SSLContext *ctx) SSL_MUST;
/* Keys from ctx->master (resumption), and the key-log line. */
SSLErr hs3_keys_ready(SSLContext *ctx) SSL_MUST;

#endif
