/*
 * hs3_kx.c - key exchange: ServerHelloDone and ClientKeyExchange for RSA (RFC 6101 §5.6.5,
 * §5.6.7.1). SSL 3.0 sends the encrypted premaster without the two-byte length TLS added. The
 * server decrypts in constant time and carries on with a random premaster on any fault.
 * ServerKeyExchange belongs to the export-RSA and Diffie-Hellman suites, which this build's suite
 * table does not list yet, so no flow ever reaches it.
 */
#include "hs3.h"
#include "alert.h"
#include "kdf3.h"
#include "pkcs1.h"
#include "x509.h"
#include <stdio.h>

int hs3_needs_server_kx(const SSLContext *ctx)
{
    return ctx->suite && ctx->suite->kx != KX_RSA;
}

SSLErr hs3_build_server_kx(SSLContext *ctx, struct wr *w)
{
    (void)w;
    return ctx_fail(ctx, AL_HANDSHAKE_FAILURE, SSLUnsupportedErr);
}

SSLErr hs3_parse_server_kx(SSLContext *ctx, struct rd *r)
{
    (void)r;
    return ctx_fail(ctx, AL_HANDSHAKE_FAILURE, SSLUnsupportedErr);
}

SSLErr hs3_build_hello_done(SSLContext *ctx, struct wr *w)
{
    (void)ctx;
    (void)w;
    return SSLNoErr;
}

SSLErr hs3_parse_hello_done(SSLContext *ctx, struct rd *r)
{
    (void)ctx;
    (void)r; /* the driver's rd_done() rejects a non-empty body */
    return SSLNoErr;
}

SSLErr hs3_build_client_kx(SSLContext *ctx, struct wr *w)
{
    uint8_t pre[48], enc[1024];
    struct x509_cert leaf;
    SSL_TRY(x509_parse(ctx->peer_chain.certs[0].data, ctx->peer_chain.certs[0].length, &leaf));
    SSL_ENSURE(leaf.rsa_n_len <= sizeof enc, SSLUnsupportedErr);
    pre[0] = 3; /* RFC 6101 §5.6.7.1: the version the client offered */
    pre[1] = 0;
    SSL_TRY(ctx_random(ctx, pre + 2, 46));
    SSLErr e = pkcs1_encrypt(ctx, leaf.rsa_n, leaf.rsa_n_len, leaf.rsa_e, leaf.rsa_e_len, pre,
                             sizeof pre, enc);
    if (e == SSLNoErr) {
        wr_bytes(w, enc, leaf.rsa_n_len);
        e = hs3_set_master(ctx, pre, sizeof pre);
    }
    cry_wipe(pre, sizeof pre);
    return e;
}

SSLErr hs3_parse_client_kx(SSLContext *ctx, struct rd *r)
{
    uint8_t pre[48];
    uint32_t n = (uint32_t)rd_left(r);
    const uint8_t *enc = rd_bytes(r, n);
    SSL_TRY(pkcs1_decrypt_premaster(ctx, ctx->key, enc, n, ctx->client_version, pre));
    SSLErr e = hs3_set_master(ctx, pre, sizeof pre);
    cry_wipe(pre, sizeof pre);
    return e;
}
