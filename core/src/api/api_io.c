/*
 * api_io.c - SSLHandshake, SSLRead, SSLWrite, SSLServiceWriteQueue, SSLClose and the I/O beneath
 * them (io.h). The only file that calls the Read/Write callbacks. Fatal errors are made sticky here:
 * the right alert is queued and flushed (best effort) and the session is forgotten.
 * Received alerts (RFC 6101 §5.4): fatal ones end the connection with SSLFatalAlert, close_notify
 * with SSLConnectionClosedGraceful; no_certificate is handed to the handshake; other warnings are
 * ignored. Renegotiation is refused: a server answers a new ClientHello with a fatal
 * handshake_failure; a client ignores HelloRequest, as RFC 6101 §5.6.1.1 allows.
 */
#include "io.h"
#include "alert.h"
#include "buf.h"
#include "hs3.h"
#include "record3.h"
#include "session.h"
#include "ssl2.h"
#include <string.h>

/* ---- output ---- */

SSLErr io_flush(SSLContext *ctx)
{
    while (ctx->out_off < ctx->out_len) {
        uint32_t done = 0;
        SSLBuffer b = {ctx->out_len - ctx->out_off, ctx->out.data + ctx->out_off};
        SSLErr e = ctx->write_fn ? ctx->write_fn(b, &done, ctx->io_ref) : SSLIOErr;
        if (done > b.length)
            done = b.length;
        ctx->out_off += done;
        if (e != SSLNoErr)
            return e;
        if (done == 0)
            return SSLIOErr;
    }
    ctx->out_off = ctx->out_len = 0;
    return SSLNoErr;
}

/* ---- input ---- */

static void rec_done(SSLContext *ctx)
{
    if (ctx->rec_type) {
        ctx->in_start = ctx->rec_next;
        ctx->rec_type = 0;
        ctx->rec_len = 0;
    }
    if (ctx->in_start == ctx->in_end)
        ctx->in_start = ctx->in_end = 0;
}

/* The record format is decided by the first record only (RFC 6101 Appendix E): an SSL 2.0
 * CLIENT-HELLO to a server, or an SSL 2.0 SERVER-HELLO or ERROR to a client that sent an SSL 2.0
 * hello, unless the setting is 3.0 only (Version Handshaking Summary, notes (a) and (e)). */
static SSLErr detect_format(SSLContext *ctx)
{
    const uint8_t *p = ctx->in.data + ctx->in_start;
    int v2 = (p[0] & 0x80) && ctx->version_set != SSL_Version_3_0_Only &&
             (ctx->side == SSL_ServerSide ? p[2] == MSG2_CLIENT_HELLO
                                          : ctx->challenge_len && (p[2] == MSG2_SERVER_HELLO || p[2] == MSG2_ERROR));
    ctx->first_record_seen = 1;
    ctx->v2_records = v2;
    if (v2)
        SSL_TRY(ctx_grow(ctx, &ctx->in, SSL2_IN_CAP, ctx->in_end));
    return SSLNoErr;
}

/* Make the next record current (decrypted in place). */
static SSLErr io_read_record(SSLContext *ctx)
{
    rec_done(ctx);
    if (!ctx->in.data)
        SSL_TRY(ctx_alloc(ctx, &ctx->in, ctx->v2_records ? SSL2_IN_CAP : SSL3_IN_CAP));
    for (;;) {
        uint32_t n = 0;
        if (!ctx->first_record_seen && ctx->in_end - ctx->in_start >= 3)
            SSL_TRY(detect_format(ctx));
        if (ctx->first_record_seen) {
            if (ctx->v2_records)
                SSL_TRY(ssl2_complete_len(ctx, &n));
            else
                SSL_TRY(rec3_complete_len(ctx, &n));
        }
        if (n)
            return ctx->v2_records ? ssl2_open(ctx) : rec3_open(ctx);
        /* Send what is queued first, but a peer that is not reading must not stop us reading
         * (full duplex): a blocked flush keeps its queue and the read goes ahead. */
        SSLErr fe = io_flush(ctx);
        if (fe != SSLNoErr && fe != SSLWouldBlockErr)
            return fe;
        if (ctx->in_start) {
            memmove(ctx->in.data, ctx->in.data + ctx->in_start, ctx->in_end - ctx->in_start);
            ctx->in_end -= ctx->in_start;
            ctx->in_start = 0;
        }
        uint32_t got = 0;
        SSLBuffer b = {ctx->in.length - ctx->in_end, ctx->in.data + ctx->in_end};
        SSLErr e = ctx->read_fn ? ctx->read_fn(b, &got, ctx->io_ref) : SSLIOErr;
        if (got > b.length)
            got = b.length;
        ctx->in_end += got;
        if (ctx->v2_records && ctx->hs_done && (e == SSLConnectionClosedError || (e == SSLNoErr && !got))) {
            ctx->closed_recv = 1; /* SSL 2.0 has no close_notify: the end of the stream is the end */
            return SSLConnectionClosedGraceful;
        }
        if (e != SSLNoErr)
            return e;
        if (got == 0)
            return SSLConnectionClosedError;
    }
}

/* Interpret the alerts of the current alert record. Returns SSLNoErr (warnings ignored), sets
 * *no_cert for no_certificate, or the error that ends the connection. */
static SSLErr io_alerts(SSLContext *ctx, int *no_cert)
{
    struct rd r;
    rd_init(&r, ctx->in.data + ctx->rec_off, ctx->rec_len);
    if (ctx->rec_len == 0 || ctx->rec_len % 2)
        return ctx_fail(ctx, AL_UNEXPECTED_MESSAGE, SSLProtocolErr);
    while (rd_left(&r)) {
        uint8_t level = rd_u8(&r), desc = rd_u8(&r);
        ctx->last_alert_recv = (uint16_t)(level << 8 | desc);
        if (level == AL_FATAL) {
            ctx->closed_recv = 1;
            return SSLFatalAlert;
        }
        if (desc == AL_CLOSE_NOTIFY) {
            ctx->closed_recv = 1;
            return SSLConnectionClosedGraceful;
        }
        if (desc == AL_NO_CERTIFICATE)
            *no_cert = 1;
    }
    rec_done(ctx);
    return SSLNoErr;
}

SSLErr io_next_hs_unit(SSLContext *ctx, struct unit *u)
{
    memset(u, 0, sizeof *u);
    for (;;) {
        if (ctx->hs_len >= 4) {
            struct rd r;
            rd_init(&r, ctx->hs.data, ctx->hs_len);
            uint8_t type = rd_u8(&r);
            uint32_t len = rd_u24(&r);
            if (len > HS_MAX_MSG)
                return ctx_fail(ctx, AL_ILLEGAL_PARAMETER, SSLProtocolErr);
            if (rd_left(&r) >= len) {
                u->kind = U_HANDSHAKE;
                u->hs_type = type;
                u->body = rd_bytes(&r, len);
                u->len = len;
                u->raw = ctx->hs.data;
                u->raw_len = 4 + len;
                return SSLNoErr;
            }
        }
        if (!ctx->rec_type) {
            SSL_TRY(io_read_record(ctx));
            continue;
        }
        switch (ctx->rec_type) {
        case CT_V2:
            u->kind = U_V2;
            u->body = ctx->in.data + ctx->rec_off;
            u->len = ctx->rec_len;
            return SSLNoErr;
        case CT_HANDSHAKE: {
            uint32_t need = ctx->hs_len + ctx->rec_len;
            if (need > HS_MAX_MSG + 4 + SSL3_MAX_PLAIN)
                return ctx_fail(ctx, AL_ILLEGAL_PARAMETER, SSLProtocolErr);
            if (ctx->hs.length < need) {
                uint32_t cap = ctx->hs.length ? ctx->hs.length : 4096;
                while (cap < need)
                    cap *= 2;
                SSL_TRY(ctx_grow(ctx, &ctx->hs, cap, ctx->hs_len));
            }
            if (ctx->rec_len)
                memcpy(ctx->hs.data + ctx->hs_len, ctx->in.data + ctx->rec_off, ctx->rec_len);
            ctx->hs_len += ctx->rec_len;
            rec_done(ctx);
            break;
        }
        case CT_CCS:
            /* RFC 6101 §5.3: a handshake message may not straddle ChangeCipherSpec. */
            if (ctx->hs_len)
                return ctx_fail(ctx, AL_UNEXPECTED_MESSAGE, SSLProtocolErr);
            u->kind = U_CCS;
            u->body = ctx->in.data + ctx->rec_off;
            u->len = ctx->rec_len;
            return SSLNoErr;
        case CT_ALERT: {
            int no_cert = 0;
            SSL_TRY(io_alerts(ctx, &no_cert));
            if (no_cert) {
                u->kind = U_NO_CERT;
                return SSLNoErr;
            }
            break;
        }
        default: /* application data before the handshake is done */
            return ctx_fail(ctx, AL_UNEXPECTED_MESSAGE, SSLProtocolErr);
        }
    }
}

void io_consume_unit(SSLContext *ctx, const struct unit *u)
{
    if (u->kind == U_HANDSHAKE) {
        ctx->hs_len -= u->raw_len;
        if (ctx->hs_len)
            memmove(ctx->hs.data, ctx->hs.data + u->raw_len, ctx->hs_len);
    } else if (u->kind == U_CCS || u->kind == U_V2) {
        rec_done(ctx);
    }
}

/* An idle connection (waiting for the peer, nothing buffered either way) gives its record buffers
 * back; they are allocated again on demand. This keeps an idle connection to the context and its
 * cipher states (see docs/performance.md). */
static void io_release_idle(SSLContext *ctx)
{
    if (ctx->in.data && ctx->in_start == ctx->in_end && !ctx->rec_type && !ctx->hs_len) {
        ctx_free(ctx, &ctx->in);
        ctx->in_start = ctx->in_end = 0;
    }
    if (ctx->out.data && ctx->out_off == ctx->out_len) {
        ctx_free(ctx, &ctx->out);
        ctx->out_off = ctx->out_len = 0;
    }
    if (ctx->hs.data && !ctx->hs_len)
        ctx_free(ctx, &ctx->hs);
}

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
        return ctx_fail(ctx, u.kind == U_HANDSHAKE ? AL_HANDSHAKE_FAILURE : AL_UNEXPECTED_MESSAGE,
                        SSLProtocolErr); /* renegotiation is refused */
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
            rec_done(ctx);
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
