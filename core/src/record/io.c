/*
 * io.c - the record layer's side of the stream: the only file that calls the Read/Write
 * callbacks. Output is flushed before any read (a blocked flush never stops a read: full duplex);
 * the first record decides between SSL 2.0 and 3.0 formats; incoming records become the units the
 * handshake drivers consume (io.h). Received alerts (RFC 6101 §5.4): fatal ones end the connection
 * with SSLFatalAlert, close_notify with SSLConnectionClosedGraceful; no_certificate is handed to the
 * handshake; other warnings are ignored.
 */
#include "record/io.h"
#include "record/alert.h"
#include "record/record3.h"
#include "record/ssl2_record.h"
#include "base/buf.h"
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

void io_rec_done(SSLContext *ctx)
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
    int v2 = (p[0] & 0x80) && ctx->version_mode != SSL_Version_3_0_Only &&
             (ctx->side == SSL_ServerSide ? p[2] == MSG2_CLIENT_HELLO
                                          : ctx->challenge_len && (p[2] == MSG2_SERVER_HELLO || p[2] == MSG2_ERROR));
    ctx->first_record_seen = 1;
    ctx->v2_records = v2;
    if (v2)
        SSL_TRY(ctx_grow(ctx, &ctx->in, SSL2_IN_CAP, ctx->in_end));
    return SSLNoErr;
}

/* Make the next record current (decrypted in place). */
SSLErr io_read_record(SSLContext *ctx)
{
    io_rec_done(ctx);
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
        if (ctx->in_end > ctx->in_used)
            ctx->in_used = ctx->in_end;
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
SSLErr io_alerts(SSLContext *ctx, int *no_cert)
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
    io_rec_done(ctx);
    return SSLNoErr;
}

SSLErr io_next_hs_unit(SSLContext *ctx, struct unit *u)
{
    memset(u, 0, sizeof *u);
    for (;;) {
        if (ctx->hs_len >= 4) {
            struct rd r;
            rd_init(&r, ctx->hs.data + ctx->hs_off, ctx->hs_len);
            uint8_t type = rd_u8(&r);
            uint32_t len = rd_u24(&r);
            if (len > HS_MAX_MSG)
                return ctx_fail(ctx, AL_ILLEGAL_PARAMETER, SSLProtocolErr);
            if (rd_left(&r) >= len) {
                u->kind = U_HANDSHAKE;
                u->hs_type = type;
                u->body = rd_bytes(&r, len);
                u->len = len;
                u->raw = ctx->hs.data + ctx->hs_off;
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
            if (ctx->hs.length - ctx->hs_off < need && ctx->hs_off) {
                /* compact only when the tail has no room: consumed messages cost no move */
                memmove(ctx->hs.data, ctx->hs.data + ctx->hs_off, ctx->hs_len);
                ctx->hs_moved += ctx->hs_len;
                ctx->hs_off = 0;
            }
            if (ctx->hs.length < need) {
                uint32_t cap = ctx->hs.length ? ctx->hs.length : 4096;
                while (cap < need)
                    cap *= 2;
                SSL_TRY(ctx_grow(ctx, &ctx->hs, cap, ctx->hs_len));
            }
            if (ctx->rec_len)
                memcpy(ctx->hs.data + ctx->hs_off + ctx->hs_len, ctx->in.data + ctx->rec_off, ctx->rec_len);
            ctx->hs_len += ctx->rec_len;
            io_rec_done(ctx);
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
        /* advance the read offset: no bytes move per message (a record of 4000 empty
         * HelloRequests would otherwise move the rest of the record 4000 times) */
        ctx->hs_len -= u->raw_len;
        ctx->hs_off = ctx->hs_len ? ctx->hs_off + u->raw_len : 0;
    } else if (u->kind == U_CCS || u->kind == U_V2) {
        io_rec_done(ctx);
    }
}

/* An idle connection (waiting for the peer, nothing buffered either way) gives its record buffers
 * back; they are allocated again on demand. This keeps an idle connection to the context and its
 * cipher states (see docs/performance.md). */
void io_release_idle(SSLContext *ctx)
{
    if (ctx->in.data && ctx->in_start == ctx->in_end && !ctx->rec_type && !ctx->hs_len) {
        ctx_free_used(ctx, &ctx->in, ctx->in_used);
        ctx->in_start = ctx->in_end = ctx->in_used = 0;
    }
    if (ctx->out.data && ctx->out_off == ctx->out_len) {
        ctx_free(ctx, &ctx->out);
        ctx->out_off = ctx->out_len = 0;
    }
    if (ctx->hs.data && !ctx->hs_len)
        ctx_free(ctx, &ctx->hs);
}
