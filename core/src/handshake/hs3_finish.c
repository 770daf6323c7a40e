/*
 * hs3_finish.c - ChangeCipherSpec and Finished (RFC 6101 §5.3, §5.6.9), and the step that turns a
 * premaster or a cached master secret into keys (§6.1, §6.2). Finished values are compared in
 * constant time. The key-log line (NSS format) is emitted when the master secret is known.
 */
#include "handshake/hs3.h"
#include "record/alert.h"
#include "base/ct.h"
#include "record/kdf3.h"
#include "record/record3.h"
#include "record/prf.h"
#include "handshake/hs_sig.h"
#include <string.h>
#include <stdio.h>

static void keylog(SSLContext *ctx)
{
    if (!ctx->keylog_fn)
        return;
    static const char hex[] = "0123456789abcdef";
    char line[14 + 64 + 1 + 96 + 1] = "CLIENT_RANDOM ";
    char *p = line + 14;
    for (int i = 0; i < 32; i++) {
        *p++ = hex[ctx->client_random[i] >> 4];
        *p++ = hex[ctx->client_random[i] & 15];
    }
    *p++ = ' ';
    for (int i = 0; i < 48; i++) {
        *p++ = hex[ctx->master[i] >> 4];
        *p++ = hex[ctx->master[i] & 15];
    }
    *p = 0;
    ctx->keylog_fn(line, ctx->keylog_ref);
    cry_wipe(line, sizeof line);
}

SSLErr hs3_keys_ready(SSLContext *ctx)
{
    SSL_TRY(rec3_derive_keys(ctx));
    /* RFC 7366: by now etm_offered means both sides agreed, for a CBC suite (hs3_hello.c, hs_ext.c) */
    ctx->wr_pend.etm = ctx->rd_pend.etm = (uint8_t)(ctx->etm_offered && ctx_is_tls(ctx));
    keylog(ctx);
    return SSLNoErr;
}

SSLErr hs3_set_master(SSLContext *ctx, const uint8_t *pre, uint32_t prelen)
{
    if (!ctx_is_tls(ctx)) {
        kdf3_master_secret(pre, prelen, ctx->client_random, ctx->server_random, ctx->master);
        return hs3_keys_ready(ctx);
    }
    /* TLS: kept until ClientKeyExchange is hashed, which the extended master secret covers */
    SSL_TRY(ctx_alloc(ctx, &ctx->pending_pre, prelen));
    memcpy(ctx->pending_pre.data, pre, prelen);
    return SSLNoErr;
}

/* RFC 5246 §8.1 master_secret = PRF(pre, "master secret", CR + SR)[0..47], or with the extended
 * master secret (RFC 7627 §4) PRF(pre, "extended master secret", session_hash). */
SSLErr hs3_master_from_pending(SSLContext *ctx)
{
    SSLBuffer *pre = &ctx->pending_pre;
    if (ctx->ems) {
        uint8_t h[CRY_MAX_DIGEST];
        size_t hl = hs_transcript_hash(ctx, h);
        prf_tls(ctx->ver, ctx->suite->prf, pre->data, pre->length, "extended master secret", h,
                hl, NULL, 0, ctx->master, SSL3_MASTER_LEN);
    } else {
        prf_tls(ctx->ver, ctx->suite->prf, pre->data, pre->length, "master secret",
                ctx->client_random, 32, ctx->server_random, 32, ctx->master, SSL3_MASTER_LEN);
    }
    ctx_free(ctx, pre);
    return hs3_keys_ready(ctx);
}

SSLErr hs3_build_ccs(SSLContext *ctx, struct wr *w)
{
    (void)ctx;
    wr_u8(w, 1);
    return SSLNoErr;
}

SSLErr hs3_parse_ccs(SSLContext *ctx, struct rd *r)
{
    if (rd_u8(r) != 1 || !rd_done(r) || !ctx->rd_pend.suite)
        return ctx_fail(ctx, AL_UNEXPECTED_MESSAGE, SSLProtocolErr);
    return SSLNoErr;
}

static const uint8_t *sender(SSLProtocolSide side)
{
    return (const uint8_t *)(side == SSL_ClientSide ? "CLNT" : "SRVR"); /* §5.6.9 */
}

/* The Finished contents of @side: SSL 3.0 36 bytes (§5.6.9); TLS 12 bytes of
 * PRF(master, "client finished" / "server finished", Hash(handshake_messages)) (RFC 5246 §7.4.9). */
static uint32_t finished(SSLContext *ctx, SSLProtocolSide side, uint8_t out[36])
{
    if (!ctx_is_tls(ctx)) {
        kdf3_finished(&hs_transcript(ctx)->md5, &hs_transcript(ctx)->sha1, sender(side), ctx->master,
                      out);
        return 36;
    }
    uint8_t h[CRY_MAX_DIGEST];
    size_t hl = hs_transcript_hash(ctx, h);
    prf_tls(ctx->ver, ctx->suite->prf, ctx->master, SSL3_MASTER_LEN,
            side == SSL_ClientSide ? "client finished" : "server finished", h, hl, NULL, 0, out, 12);
    return 12;
}

SSLErr hs3_build_finished(SSLContext *ctx, struct wr *w)
{
    uint8_t fin[36];
    wr_bytes(w, fin, finished(ctx, ctx->side, fin));
    return SSLNoErr;
}

SSLErr hs3_parse_finished(SSLContext *ctx, struct rd *r)
{
    uint8_t want[36];
    SSLProtocolSide peer = ctx->side == SSL_ClientSide ? SSL_ServerSide : SSL_ClientSide;
    uint32_t n = finished(ctx, peer, want);
    const uint8_t *got = rd_bytes(r, n);
    if (!got) /* short: TLS decode_error; SSL 3.0 handshake_failure, as before TLS */
        return ctx_fail(ctx, ctx_is_tls(ctx) ? AL_DECODE_ERROR : AL_HANDSHAKE_FAILURE, SSLProtocolErr);
    if (!rd_done(r)) /* long: decode_error (SSL 3.0: illegal_parameter) */
        return ctx_fail(ctx, AL_DECODE_ERROR, SSLProtocolErr);
    if (!ct_memeq(got, want, n)) /* RFC 5246 §7.4.9: decrypt_error (SSL 3.0: handshake_failure) */
        return ctx_fail(ctx, ctx_is_tls(ctx) ? AL_DECRYPT_ERROR : AL_HANDSHAKE_FAILURE, SSLProtocolErr);
    return SSLNoErr;
}
