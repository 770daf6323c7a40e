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
    keylog(ctx);
    return SSLNoErr;
}

SSLErr hs3_set_master(SSLContext *ctx, const uint8_t *pre, uint32_t prelen)
{
    kdf3_master_secret(pre, prelen, ctx->client_random, ctx->server_random, ctx->master);
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

SSLErr hs3_build_finished(SSLContext *ctx, struct wr *w)
{
    uint8_t fin[36];
    kdf3_finished(&ctx->hs_md5, &ctx->hs_sha1, sender(ctx->side), ctx->master, fin);
    wr_bytes(w, fin, sizeof fin);
    return SSLNoErr;
}

SSLErr hs3_parse_finished(SSLContext *ctx, struct rd *r)
{
    uint8_t want[36];
    SSLProtocolSide peer = ctx->side == SSL_ClientSide ? SSL_ServerSide : SSL_ClientSide;
    kdf3_finished(&ctx->hs_md5, &ctx->hs_sha1, sender(peer), ctx->master, want);
    const uint8_t *got = rd_bytes(r, sizeof want);
    if (!got || !ct_memeq(got, want, sizeof want))
        return ctx_fail(ctx, AL_HANDSHAKE_FAILURE, SSLProtocolErr);
    return SSLNoErr;
}
