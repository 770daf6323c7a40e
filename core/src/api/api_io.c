/*
 * api_io.c - SSLHandshake, SSLRead, SSLWrite, SSLServiceWriteQueue and SSLClose over the record
 * layer's stream (record/io.h, whose io.c alone calls the Read/Write callbacks). Fatal errors are
 * made sticky here: the right alert is queued and flushed (best effort) and the session is
 * forgotten. Renegotiation is refused: a server answers a new ClientHello with a fatal
 * handshake_failure; a client ignores HelloRequest, as RFC 6101 §5.6.1.1 allows.
 */
#include "record/io.h"
#include "record/alert.h"
#include "base/buf.h"
#include "handshake/hs3.h"
#include "record/record3.h"
#include "handshake/session.h"
#include "handshake/ssl2.h"
#include <string.h>

/* ---- the public data-exchange calls ---- */

/* Turn a fatal error into a sticky one: queue the alert, flush what we can, forget the session. */
static SSLErr api_finish(SSLContext *ctx, SSLErr e)
{
    if (e == SSLNoErr || e == SSLWouldBlockErr)
        return e;
    if (e == SSLConnectionClosedGraceful) {
        if (!ctx->hs_done)
            session_forget(ctx);
        return e;
    }
    int al = ctx->alert_pending >= 0 ? ctx->alert_pending : alert_for_error(e);
    if (ctx->v2_records)
        al = -1; /* SSL 2.0 reports errors with its ERROR message, sent where they are found */
    if (al >= 0 && !ctx->closed_sent && e != SSLIOErr) {
        ctx->closed_sent = 1;
        if (alert_send(ctx, AL_FATAL, (uint8_t)al) == SSLNoErr) {
            SSLErr fe = io_flush(ctx); /* best effort: the error we report is e */
            (void)fe;
        }
    }
    /* A transport failure while we send our own close_notify after a completed handshake does not
     * put the session at risk; every other fatal end does (SSLRef: the session must not resume). */
    if (!(e == SSLIOErr && ctx->closed_sent && ctx->hs_done))
        session_forget(ctx);
    ctx->sticky = e;
    return e;
}

#define API_ENTER(ctx)                                                                         \
    do {                                                                                       \
        if (!(ctx) || (ctx)->magic != CTX_MAGIC)                                               \
            return SSLBadParameterErr;                                                         \
        if ((ctx)->sticky != SSLNoErr)                                                         \
            return (ctx)->sticky;                                                              \
    } while (0)

SSLErr SSLHandshake(SSLContext *ctx)
{
    API_ENTER(ctx);
    if (ctx->hs_done)
        return SSLNoErr;
    if (ctx->closed_recv)
        return SSLConnectionClosedGraceful;
    return api_finish(ctx, hs3_drive(ctx));
}

/* The next application-data record (or the error that ends the stream). */
static SSLErr io_next_app(SSLContext *ctx)
{
    for (;;) {
        if (ctx->rec_type == CT_APPDATA && ctx->rec_len)
            return SSLNoErr;
        if (ctx->hs_len == 0 && (!ctx->rec_type || ctx->rec_type == CT_APPDATA)) {
            SSL_TRY(io_read_record(ctx));
            continue;
        }
        if (ctx->rec_type == CT_CCS)
            return ctx_fail(ctx, AL_UNEXPECTED_MESSAGE, SSLProtocolErr);
        if (ctx->rec_type == CT_ALERT) {
            int no_cert = 0;
            SSL_TRY(io_alerts(ctx, &no_cert));
            continue;
        }
        struct unit u;
        SSL_TRY(io_next_hs_unit(ctx, &u));
        if (u.kind == U_HANDSHAKE && ctx->side == SSL_ClientSide &&
            u.hs_type == HS3_HELLO_REQUEST && u.len == 0) {
            io_consume_unit(ctx, &u); /* RFC 6101 §5.6.1.1: the client may ignore it */
            continue;
        }
        if (u.kind == U_NO_CERT)
            continue;
        /* Renegotiation is refused: a ClientHello to a server, a HelloRequest with a body to a
         * client. Any other handshake message after the handshake repeats one already received or
         * comes from the wrong side (a duplicated Finished, a second ServerHello): out of order. */
        int reneg = u.kind == U_HANDSHAKE &&
                    u.hs_type == (ctx->side == SSL_ServerSide ? HS3_CLIENT_HELLO : HS3_HELLO_REQUEST);
        return ctx_fail(ctx, reneg ? AL_HANDSHAKE_FAILURE : AL_UNEXPECTED_MESSAGE, SSLProtocolErr);
    }
}

SSLErr SSLRead(void *data, uint32 *length, SSLContext *ctx)
{
    if (!length)
        return SSLBadParameterErr;
    uint32_t want = *length;
    *length = 0;
    API_ENTER(ctx);
    if (ctx->closed_recv)
        return SSLConnectionClosedGraceful;
    if (!ctx->hs_done)
        SSL_TRY(SSLHandshake(ctx));
    if (want == 0)
        return SSLNoErr;
    if (!data)
        return SSLBadParameterErr;
    uint32_t done = 0;
    for (;;) {
        SSLErr e = io_next_app(ctx);
        if (e == SSLWouldBlockErr)
            io_release_idle(ctx);
        if (e != SSLNoErr) {
            *length = done;
            if (done && (e == SSLWouldBlockErr || e == SSLConnectionClosedGraceful))
                return SSLNoErr; /* report the bytes now; the condition comes back next call */
            return api_finish(ctx, e);
        }
        uint32_t n = want - done < ctx->rec_len ? want - done : ctx->rec_len;
        memcpy((uint8_t *)data + done, ctx->in.data + ctx->rec_off, n);
        ctx->rec_off += n;
        ctx->rec_len -= n;
        done += n;
        if (ctx->rec_len == 0)
            io_rec_done(ctx);
        /* keep going only while whole records are already buffered: never block with data in hand */
        uint32_t next = 0;
        if (done == want || ctx->v2_records || ctx->in_end - ctx->in_start < SSL3_HDR ||
            rec3_complete_len(ctx, &next) != SSLNoErr || next == 0 ||
            ctx->in.data[ctx->in_start] != CT_APPDATA)
            break;
    }
    *length = done;
    return SSLNoErr;
}

SSLErr SSLWrite(void *data, uint32 *length, SSLContext *ctx)
{
    if (!length)
        return SSLBadParameterErr;
    uint32_t want = *length;
    *length = 0;
    API_ENTER(ctx);
    if (ctx->closed_sent)
        return SSLConnectionClosedError;
    if (!ctx->hs_done)
        SSL_TRY(SSLHandshake(ctx));
    if (want && !data)
        return SSLBadParameterErr;
    const uint8_t *p = data;
    uint32_t done = 0;
    /* 1/n-1 split of CBC records against chosen-plaintext IV attacks (BEAST), as NSS does. */
    int split = ctx->cbc_split && !ctx->v2_records && rec3_write_is_cbc(ctx) && want > 1;
    while (done < want && ctx->out_len - ctx->out_off < OUT_HIGH_WATER) {
        uint32_t n = want - done > SSL3_MAX_PLAIN ? SSL3_MAX_PLAIN : want - done;
        if (split) {
            n = 1;
            split = 0;
        }
        if (ctx->v2_records && n > SSL2_MAX_DATA)
            n = SSL2_MAX_DATA;
        SSLErr e = ctx->v2_records ? ssl2_seal(ctx, p + done, n) : rec3_seal(ctx, CT_APPDATA, p + done, n);
        if (e != SSLNoErr) {
            *length = done;
            return api_finish(ctx, e);
        }
        done += n;
    }
    *length = done;
    return api_finish(ctx, io_flush(ctx));
}

SSLErr SSLServiceWriteQueue(SSLContext *ctx)
{
    if (!ctx || ctx->magic != CTX_MAGIC)
        return SSLBadParameterErr;
    if (ctx->sticky != SSLNoErr && ctx->out_off == ctx->out_len)
        return ctx->sticky;
    SSLErr e = io_flush(ctx);
    return ctx->sticky != SSLNoErr && e == SSLNoErr ? ctx->sticky : api_finish(ctx, e);
}

SSLErr SSLProcessWriteQueue(SSLContext *ctx) { return SSLServiceWriteQueue(ctx); }

SSLErr SSLClose(SSLContext *ctx)
{
    if (!ctx || ctx->magic != CTX_MAGIC)
        return SSLBadParameterErr;
    if (ctx->sticky != SSLNoErr)
        return ctx->sticky == SSLConnectionClosedGraceful ? SSLNoErr : ctx->sticky;
    if (!ctx->hs_done)
        session_forget(ctx); /* a connection closed mid-handshake is not resumable */
    if (!ctx->closed_sent && ctx->hs_step >= 0 && !ctx->v2_records) {
        ctx->closed_sent = 1;
        SSLErr e = alert_send(ctx, AL_WARNING, AL_CLOSE_NOTIFY);
        if (e != SSLNoErr)
            return api_finish(ctx, e);
    }
    ctx->closed_sent = 1;
    SSLErr e = io_flush(ctx);
    return e == SSLWouldBlockErr ? e : api_finish(ctx, e);
}
