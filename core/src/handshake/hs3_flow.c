/*
 * hs3_flow.c - the SSL 3.0 handshake of both sides as two tables (RFC 6101 §5.6, figures 1-2) and
 * the driver that walks them. The message table says who sends each message and which handler builds
 * or parses it; the flow table is the one message order both sides walk, each row with the condition
 * under which it occurs (full or resumed handshake, server certificate, key exchange, client auth).
 * A step advances only after its message is built into the write queue or fully parsed; on
 * SSLWouldBlockErr the driver returns with nothing changed. Every handshake message is hashed after
 * its handler ran (the Finished and CertificateVerify hashes cover the messages before them).
 */
#include "handshake/hs3.h"
#include "record/alert.h"
#include "record/io.h"
#include "record/record3.h"
#include "handshake/session.h"
#include "handshake/ssl2.h"
#include "handshake/hs_sig.h"
#include <string.h>

enum msg_id { M_CH, M_SH, M_CERT_S, M_SKE, M_CREQ, M_SHD, M_CERT_C, M_CKE, M_CV,
              M_CCS_C, M_FIN_C, M_NST, M_CCS_S, M_FIN_S, M_END };

static const struct hs_msg {
    uint8_t content;     /* CT_HANDSHAKE or CT_CCS */
    uint8_t type;        /* handshake type */
    uint8_t sender;      /* SSL_ClientSide / SSL_ServerSide */
    hs3_build_fn build;
    hs3_parse_fn parse;
} msgs[] = {
    [M_CH] = {CT_HANDSHAKE, HS3_CLIENT_HELLO, SSL_ClientSide, hs3_build_client_hello, hs3_parse_client_hello},
    [M_SH] = {CT_HANDSHAKE, HS3_SERVER_HELLO, SSL_ServerSide, hs3_build_server_hello, hs3_parse_server_hello},
    [M_CERT_S] = {CT_HANDSHAKE, HS3_CERTIFICATE, SSL_ServerSide, hs3_build_certificate, hs3_parse_certificate},
    [M_SKE] = {CT_HANDSHAKE, HS3_SERVER_KEY_EXCHANGE, SSL_ServerSide, hs3_build_server_kx, hs3_parse_server_kx},
    [M_CREQ] = {CT_HANDSHAKE, HS3_CERTIFICATE_REQUEST, SSL_ServerSide, hs3_build_cert_request, hs3_parse_cert_request},
    [M_SHD] = {CT_HANDSHAKE, HS3_SERVER_HELLO_DONE, SSL_ServerSide, hs3_build_hello_done, hs3_parse_hello_done},
    [M_CERT_C] = {CT_HANDSHAKE, HS3_CERTIFICATE, SSL_ClientSide, hs3_build_certificate, hs3_parse_certificate},
    [M_CKE] = {CT_HANDSHAKE, HS3_CLIENT_KEY_EXCHANGE, SSL_ClientSide, hs3_build_client_kx, hs3_parse_client_kx},
    [M_CV] = {CT_HANDSHAKE, HS3_CERTIFICATE_VERIFY, SSL_ClientSide, hs3_build_cert_verify, hs3_parse_cert_verify},
    [M_CCS_C] = {CT_CCS, 0, SSL_ClientSide, hs3_build_ccs, hs3_parse_ccs},
    [M_FIN_C] = {CT_HANDSHAKE, HS3_FINISHED, SSL_ClientSide, hs3_build_finished, hs3_parse_finished},
    [M_NST] = {CT_HANDSHAKE, HS3_NEW_SESSION_TICKET, SSL_ServerSide, hs3_build_new_ticket, hs3_parse_new_ticket},
    [M_CCS_S] = {CT_CCS, 0, SSL_ServerSide, hs3_build_ccs, hs3_parse_ccs},
    [M_FIN_S] = {CT_HANDSHAKE, HS3_FINISHED, SSL_ServerSide, hs3_build_finished, hs3_parse_finished},
};

/* Conditions of a flow row. */
enum {
    IF_FULL = 1,      /* a new session (not resumed) */
    IF_RESUMED = 2,   /* a resumed session */
    IF_SRV_CERT = 4,  /* the suite authenticates the server (not anonymous DH) */
    IF_SKE = 8,       /* ServerKeyExchange is part of this suite/key combination */
    IF_CREQ = 16,     /* server: it asks for a certificate; client: present only if received */
    IF_CERT_ASKED = 32, /* a CertificateRequest was sent/received */
    IF_CLIENT_CERT = 64, /* the client sent a certificate (so CertificateVerify follows) */
    IF_TICKET = 128   /* RFC 5077: the ServerHello announced a NewSessionTicket (ctx->nst) */
};

static const struct step {
    uint8_t msg;
    uint8_t when;
} flow[] = {
    {M_CH, 0},
    {M_SH, 0},
    {M_CERT_S, IF_FULL | IF_SRV_CERT},
    {M_SKE, IF_FULL | IF_SKE},
    {M_CREQ, IF_FULL | IF_SRV_CERT | IF_CREQ},
    {M_SHD, IF_FULL},
    {M_CERT_C, IF_FULL | IF_CERT_ASKED},
    {M_CKE, IF_FULL},
    {M_CV, IF_FULL | IF_CLIENT_CERT},
    {M_CCS_C, IF_FULL},
    {M_FIN_C, IF_FULL},
    {M_NST, IF_TICKET},
    {M_CCS_S, 0},
    {M_FIN_S, 0},
    {M_CCS_C, IF_RESUMED},
    {M_FIN_C, IF_RESUMED},
    {M_END, 0},
};

static int step_applies(const SSLContext *ctx, const struct step *st, int sending)
{
    uint8_t w = st->when;
    if ((w & IF_FULL) && ctx->resumed)
        return 0;
    if ((w & IF_RESUMED) && !ctx->resumed)
        return 0;
    if ((w & IF_SRV_CERT) && ctx->suite && ctx->suite->kx == KX_DH_ANON)
        return 0;
    if ((w & IF_SKE) && !hs3_needs_server_kx(ctx))
        return 0;
    if ((w & IF_CREQ) && sending && !ctx->request_client_cert)
        return 0;
    if ((w & IF_CERT_ASKED) && !ctx->cert_requested)
        return 0;
    if ((w & IF_CLIENT_CERT) && !ctx->client_cert_sent)
        return 0;
    if ((w & IF_TICKET) && !ctx->nst)
        return 0;
    return 1;
}

/* Hash a message; once ClientKeyExchange is in, a TLS master secret can be made (the extended
 * master secret covers the transcript up to and including it, RFC 7627 §4). */
static SSLErr hash_msg(SSLContext *ctx, const uint8_t *p, uint32_t n)
{
    hs_transcript_add(ctx, p, n);
    if (ctx->pending_pre.data && n && p[0] == HS3_CLIENT_KEY_EXCHANGE)
        return hs3_master_from_pending(ctx);
    return SSLNoErr;
}

/* Room for the largest message this side can build: 8 KiB covers hellos, key exchanges with groups
 * and keys up to 8192 bits, and Finished; Certificate and CertificateRequest grow with the local
 * chain and the distinguished names, a NewSessionTicket with the client's chain. Never more than
 * HS_MAX_MSG. */
static uint32_t scratch_need(const SSLContext *ctx)
{
    uint32_t need = ctx->nst && ctx->side == SSL_ServerSide ? hs3_ticket_size_hint(ctx) : 8192;
    need = need > 8192 ? need : 8192;
    uint32_t chain = 3, dns = 4;
    for (uint32_t i = 0; i < ctx->local_chain.n; i++)
        chain += 3 + ctx->local_chain.certs[i].length;
    for (uint32_t i = 0; i < ctx->dns.n; i++)
        dns += 2 + ctx->dns.certs[i].length;
    need = chain > need ? chain : need;
    need = dns > need ? dns : need;
    return (need < HS_MAX_MSG ? need : HS_MAX_MSG) + 4;
}

/* Build a message into the write queue (whole, in one go: building never blocks). */
static SSLErr send_msg(SSLContext *ctx, const struct hs_msg *m)
{
    if (m->type == HS3_CLIENT_HELLO) {
        /* The cache decides first: a cached SSL 3.0 or TLS session is offered in that hello. */
        uint16_t cached = session_client_lookup(ctx);
        SSLProtocolVersion v = ctx->version_mode;
        if (v == SSL_Version_2_0 ||
            ((v == SSL_Version_Undetermined || v == SSL_Version_3_0_With_2_0_Hello) && cached < V_SSL3))
            return ssl2_send_client_hello(ctx);
    }
    uint32_t need = scratch_need(ctx);
    if (!ctx->scratch.data)
        SSL_TRY(ctx_alloc(ctx, &ctx->scratch, need));
    else if (ctx->scratch.length < need) /* a ticket holding a long client chain */
        SSL_TRY(ctx_grow(ctx, &ctx->scratch, need, 0));
    struct wr w;
    wr_init(&w, ctx->scratch.data, ctx->scratch.length);
    ctx->hs_skip_msg = 0;
    if (m->content == CT_CCS) {
        SSL_TRY(m->build(ctx, &w));
        SSL_ENSURE(wr_ok(&w), SSLUnknownErr);
        SSL_TRY(rec3_seal(ctx, CT_CCS, w.p, (uint32_t)w.len));
        rec3_activate_write(ctx);
        return SSLNoErr;
    }
    wr_u8(&w, m->type);
    size_t mark = wr_open(&w, 3);
    SSL_TRY(m->build(ctx, &w));
    wr_close(&w, mark, 3);
    SSL_ENSURE(wr_ok(&w), SSLOverflowErr);
    if (ctx->hs_skip_msg)
        return SSLNoErr;
    SSL_TRY(hash_msg(ctx, w.p, (uint32_t)w.len));
    return rec3_seal_all(ctx, CT_HANDSHAKE, w.p, (uint32_t)w.len);
}

/* Receive the message of this step. *skipped is set when an optional message is absent. */
static SSLErr recv_msg(SSLContext *ctx, const struct hs_msg *m, const struct step *st, int *skipped)
{
    struct unit u;
    SSL_TRY(io_next_hs_unit(ctx, &u));
    /* RFC 6101 §5.6.1.1: a client ignores HelloRequest during a handshake; it is not hashed. */
    while (ctx->side == SSL_ClientSide && u.kind == U_HANDSHAKE && u.hs_type == HS3_HELLO_REQUEST &&
           u.len == 0) {
        io_consume_unit(ctx, &u);
        SSL_TRY(io_next_hs_unit(ctx, &u));
    }
    *skipped = 0;
    if (u.kind == U_V2 && m->type == HS3_CLIENT_HELLO) { /* an SSL 2.0-format hello */
        int v3;
        SSLErr e = ssl2_recv_client_hello(ctx, u.body, u.len, &v3);
        io_consume_unit(ctx, &u);
        return e;
    }
    if (u.kind == U_V2 && m->type == HS3_SERVER_HELLO) /* the server answered in SSL 2.0 */
        return ssl2_client_switch(ctx);
    if (u.kind == U_V2)
        return ctx_fail(ctx, AL_UNEXPECTED_MESSAGE, SSLProtocolErr);
    if (u.kind == U_NO_CERT) {
        /* RFC 6101 §5.4.2: a client without a certificate answers with a no_certificate alert. */
        if (ctx->side == SSL_ServerSide && m->type == HS3_CERTIFICATE && m->sender == SSL_ClientSide) {
            *skipped = 1;
            return SSLNoErr;
        }
        return ctx_fail(ctx, AL_UNEXPECTED_MESSAGE, SSLProtocolErr);
    }
    int match = u.kind == U_HANDSHAKE ? m->content == CT_HANDSHAKE && u.hs_type == m->type
                                      : m->content == CT_CCS;
    if (!match && (st->when & IF_CREQ)) {
        *skipped = 1; /* CertificateRequest is optional for the client */
        return SSLNoErr;
    }
    if (!match)
        return ctx_fail(ctx, AL_UNEXPECTED_MESSAGE, SSLProtocolErr);
    struct rd r;
    rd_init(&r, u.body, u.len);
    SSL_TRY(m->parse(ctx, &r));
    if (!rd_done(&r)) /* bytes after the message's last field (SSL 3.0: illegal_parameter) */
        return ctx_fail(ctx, AL_DECODE_ERROR, SSLProtocolErr);
    if (u.kind == U_HANDSHAKE)
        SSL_TRY(hash_msg(ctx, u.raw, u.raw_len));
    else
        rec3_activate_read(ctx);
    io_consume_unit(ctx, &u);
    return SSLNoErr;
}

static void hs_finish(SSLContext *ctx)
{
    session_release(ctx);
    ctx->hs_done = 1;
    ctx_free(ctx, &ctx->scratch);
    ctx_free(ctx, &ctx->transcript);
    ctx_free(ctx, &ctx->kx); /* the key exchange's values (an ephemeral private key among them) */
    if (ctx->hs_len == 0)
        ctx_free(ctx, &ctx->hs);
}

SSLErr hs3_drive(SSLContext *ctx)
{
    if (ctx->hs_step < 0) {
        SSL_ENSURE(ctx->side == SSL_ClientSide || ctx->side == SSL_ServerSide, SSLBadParameterErr);
        SSL_TRY(hs_transcript_init(ctx));
        ctx->hs_step = 0;
    }
    while (flow[ctx->hs_step].msg != M_END) {
        if (ctx->hs2_step >= 0)
            return ssl2_drive(ctx);
        const struct step *st = &flow[ctx->hs_step];
        const struct hs_msg *m = &msgs[st->msg];
        int sending = m->sender == ctx->side, skipped = 0;
        if (step_applies(ctx, st, sending)) {
            if (sending)
                SSL_TRY(send_msg(ctx, m));
            else
                SSL_TRY(recv_msg(ctx, m, st, &skipped));
        }
        ctx->hs_step++;
    }
    /* The session is complete once both Finished are done: store it before our last flight is
     * flushed, so a client that reconnects at once (to another thread or process) finds it. */
    if ((!ctx->resumed || ctx->new_ticket.data) && !ctx->sess_stored)
        session_store(ctx); /* resumed: a client's session with a renewed ticket */
    SSL_TRY(io_flush(ctx));
    if (!ctx->hs_done)
        hs_finish(ctx);
    return SSLNoErr;
}
