/*
 * ssl2_hs.c - the SSL 2.0 handshake (SSL 2.0 spec §2) and the SSL 2.0-format CLIENT-HELLO that
 * offers SSL 3.0 (RFC 6101 Appendix E). Like the SSL 3.0 driver, a message table and one flow
 * that both sides walk; CLIENT-FINISHED and SERVER-VERIFY cross in flight, so each side meets them
 * in its own order. Rollback (Appendix E.2): a client that could speak 3.0 marks its RSA padding;
 * a server that could speak 3.0 and sees the mark fails the handshake at the finished check,
 * exactly as with a bad key (no distinct alert, no padding oracle).
 */
#include "handshake/ssl2.h"
#include "handshake/hs_sig.h"
#include "base/ct.h"
#include "handshake/hs3.h"
#include "record/io.h"
#include "crypto/pkcs1.h"
#include "handshake/session.h"
#include "x509/x509.h"
#include <string.h>

/* ---- helpers ---- */

static int kind_enabled(const SSLContext *ctx, const struct ssl2_kind *k)
{
    for (uint32_t i = 0; i < ctx->nsuites; i++)
        if (ctx->suites[i] == k->suite)
            return 1;
    return 0;
}

/* A client offers 3.0 unless set to 2.0 or left with SSL 2.0 kinds only (then it is a 2.0 client:
 * no 3.0 in the hello, no rollback mark). */
static int offers_v3(const SSLContext *ctx)
{
    if (ctx->version_mode == SSL_Version_2_0)
        return 0;
    for (uint32_t i = 0; i < ctx->nsuites; i++)
        if (!ssl2_kind_by_suite(ctx->suites[i]))
            return 1;
    return 0;
}
static int allows_v2(const SSLContext *ctx)
{
    return ctx->version_mode == SSL_Version_Undetermined || ctx->version_mode == SSL_Version_2_0;
}

/* Serialise one SSL 2.0 message and queue it as a record. */
static SSLErr send2(SSLContext *ctx, struct wr *w)
{
    SSL_ENSURE(wr_ok(w), SSLOverflowErr);
    return ssl2_seal(ctx, w->p, (uint32_t)w->len);
}

static SSLErr fail2(SSLContext *ctx, uint16_t code, SSLErr e)
{
    if (code)
        ssl2_send_error(ctx, code);
    return e;
}

/* ---- CLIENT-HELLO ---- */

SSLErr ssl2_send_client_hello(SSLContext *ctx)
{
    uint8_t msg[9 + 3 * (SUITES_MAX + 1) + SSL2_SID_LEN + 32];
    struct wr w;
    wr_init(&w, msg, sizeof msg);
    /* RFC 5246 Appendix E.2: the highest SSL 3.0-family version, which the pre-master repeats */
    uint16_t version = offers_v3(ctx) ? ctx->ver_max : 0x0002;
    ctx->client_version = version;
    if (ctx->offered_version != 0x0002 || !allows_v2(ctx))
        ctx->offered_sid_len = 0;
    wr_u8(&w, MSG2_CLIENT_HELLO);
    wr_u16(&w, version);
    size_t speclen = wr_open(&w, 2);
    wr_u16(&w, ctx->offered_sid_len);
    wr_u16(&w, 32); /* a 32-byte challenge doubles as the SSL 3.0 client random (Appendix E.1) */
    size_t specs = w.len;
    for (uint32_t i = 0; i < ctx->nsuites; i++) {
        const struct ssl2_kind *k = ssl2_kind_by_suite(ctx->suites[i]);
        if (k && allows_v2(ctx)) {
            wr_u8(&w, (uint8_t)(k->id >> 16));
            wr_u16(&w, (uint16_t)k->id);
        } else if (!k && offers_v3(ctx)) {
            wr_u8(&w, 0);
            wr_u16(&w, ctx->suites[i]);
        }
    }
    if (offers_v3(ctx)) {
        wr_u8(&w, 0);
        wr_u16(&w, TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
    }
    size_t nspecs = w.len - specs;
    SSL_ENSURE(nspecs > 0, SSLNegotiationErr);
    wr_bytes(&w, ctx->offered_sid, ctx->offered_sid_len);
    SSL_TRY(ctx_random(ctx, ctx->client_random, 32));
    wr_bytes(&w, ctx->client_random, 32);
    SSL_ENSURE(wr_ok(&w), SSLOverflowErr);
    msg[speclen] = (uint8_t)(nspecs >> 8); /* the spec-length field precedes the other lengths */
    msg[speclen + 1] = (uint8_t)nspecs;
    memcpy(ctx->challenge, ctx->client_random, 32);
    ctx->challenge_len = 32;
    hs_transcript_add(ctx, msg, w.len);
    return ssl2_seal(ctx, msg, (uint32_t)w.len);
}

SSLErr ssl2_recv_client_hello(SSLContext *ctx, const uint8_t *msg, uint32_t len, int *v3)
{
    struct rd r;
    rd_init(&r, msg, len);
    *v3 = 0;
    uint8_t type = rd_u8(&r);
    uint16_t version = rd_u16(&r);
    uint32_t nspec = rd_u16(&r), nsid = rd_u16(&r), nch = rd_u16(&r);
    const uint8_t *spec = rd_bytes(&r, nspec), *sid = rd_bytes(&r, nsid), *ch = rd_bytes(&r, nch);
    if (!rd_done(&r) || type != MSG2_CLIENT_HELLO || nspec == 0 || nspec % 3 ||
        (nsid != 0 && nsid != SSL2_SID_LEN) || nch < 16 || nch > 32)
        return fail2(ctx, 0, SSLProtocolErr);
    if (version >= 0x0300 && ctx->version_mode != SSL_Version_2_0) {
        /* RFC 6101 Appendix E.1: continue in SSL 3.0; the challenge is the right-aligned random */
        /* a 2-byte header allows 32767 bytes: specs beyond what a 3-byte one holds are ignored */
        uint8_t off[2 * 5461];
        uint32_t n = 0;
        for (uint32_t i = 0; i < nspec / 3 && n < sizeof off / 2; i++)
            if (spec[3 * i] == 0) {
                off[2 * n] = spec[3 * i + 1];
                off[2 * n + 1] = spec[3 * i + 2];
                n++;
            }
        memset(ctx->client_random, 0, 32 - nch);
        memcpy(ctx->client_random + 32 - nch, ch, nch);
        ctx->client_version = version;
        ctx->v2_records = 0;
        hs_transcript_add(ctx, msg, len);
        *v3 = 1;
        return hs3_server_select(ctx, sid, nsid, off, n);
    }
    /* Version Handshaking Summary (d): a 3.0-only server does not talk to a 2.0-only client */
    if (!allows_v2(ctx))
        return fail2(ctx, ERR2_NO_CIPHER, SSLNegotiationErr);
    ctx->negotiated = SSL_Version_2_0;
    memcpy(ctx->challenge, ch, nch);
    ctx->challenge_len = (uint8_t)nch;
    /* keep the client's kinds that we enable, in our order, for SERVER-HELLO */
    ctx->v2_offer_len = 0;
    uint32_t nk;
    const struct ssl2_kind *all = ssl2_kind_all(&nk);
    for (uint32_t i = 0; i < nk; i++)
        for (uint32_t j = 0; j < nspec / 3; j++)
            if (ssl2_kind_id(spec + 3 * j) == all[i].id && kind_enabled(ctx, &all[i]) &&
                cry_cipher_state_size(all[i].cipher) && ctx->v2_offer_len < sizeof ctx->v2_offer) {
                memcpy(ctx->v2_offer + ctx->v2_offer_len, spec + 3 * j, 3);
                ctx->v2_offer_len += 3;
            }
    if (nsid && session_server_lookup2(ctx, sid, nsid, spec, nspec / 3))
        ctx->resumed = 1;
    else if (!ctx->v2_offer_len || !ctx_use_identity(ctx, 0) || cry_key_is_dsa(ctx->key))
        return fail2(ctx, ERR2_NO_CIPHER, SSLNegotiationErr);
    ctx->hs2_step = 1; /* next: SERVER-HELLO */
    return SSLNoErr;
}

/* ---- SERVER-HELLO ---- */

static SSLErr build_server_hello(SSLContext *ctx, struct wr *w)
{
    ctx->conn_id_len = 16;
    SSL_TRY(ctx_random(ctx, ctx->conn_id, 16));
    const SSLBuffer *cert = &ctx->local_chain.certs[0];
    wr_u8(w, MSG2_SERVER_HELLO);
    wr_u8(w, ctx->resumed ? 1 : 0);
    wr_u8(w, ctx->resumed ? 0 : 1); /* SSL_CT_X509_CERTIFICATE */
    wr_u16(w, 0x0002);
    wr_u16(w, ctx->resumed ? 0 : (uint16_t)cert->length);
    wr_u16(w, ctx->resumed ? 0 : ctx->v2_offer_len);
    wr_u16(w, ctx->conn_id_len);
    if (!ctx->resumed) {
        wr_bytes(w, cert->data, cert->length);
        wr_bytes(w, ctx->v2_offer, ctx->v2_offer_len);
    }
    wr_bytes(w, ctx->conn_id, ctx->conn_id_len);
    SSL_TRY(send2(ctx, w));
    return ctx->resumed ? ssl2_derive_keys(ctx) : SSLNoErr;
}

static SSLErr parse_server_hello(SSLContext *ctx, struct rd *r)
{
    uint8_t hit = rd_u8(r), ctype = rd_u8(r);
    uint16_t version = rd_u16(r);
    uint32_t ncert = rd_u16(r), nspec = rd_u16(r), ncid = rd_u16(r);
    const uint8_t *cert = rd_bytes(r, ncert), *spec = rd_bytes(r, nspec), *cid = rd_bytes(r, ncid);
    if (!rd_done(r) || ncid < 16 || ncid > 32 || nspec % 3 || version != 0x0002)
        return fail2(ctx, 0, SSLProtocolErr);
    memcpy(ctx->conn_id, cid, ncid);
    ctx->conn_id_len = (uint8_t)ncid;
    ctx->negotiated = SSL_Version_2_0;
    if (hit) {
        if (ctx->offered_version != 0x0002 || !ctx->offered_sid_len)
            return fail2(ctx, 0, SSLProtocolErr);
        SSL_TRY(session_client_resume(ctx)); /* kind, master key, KEY-ARG, peer chain */
        memcpy(ctx->session_id, ctx->offered_sid, ctx->offered_sid_len);
        ctx->sid_len = ctx->offered_sid_len;
        ctx->resumed = 1;
        return ssl2_derive_keys(ctx);
    }
    struct x509_cert leaf;
    if (ctype != 1 || ncert == 0 || x509_parse(cert, ncert, &leaf) != SSLNoErr ||
        leaf.key_type != X509_KEY_RSA)
        return fail2(ctx, ERR2_BAD_CERTIFICATE, SSLBadCertificateErr);
    certlist_free(ctx, &ctx->peer_chain);
    SSL_TRY(certlist_add(ctx, &ctx->peer_chain, cert, ncert, 0));
    if (ctx->check_cert_fn) {
        SSLErr e = ctx->check_cert_fn(1, ctx->peer_chain.certs, ctx->check_cert_ref);
        if (e != SSLNoErr)
            return fail2(ctx, ERR2_BAD_CERTIFICATE, e);
    }
    /* our first enabled kind that the server lists */
    ctx->kind2 = NULL;
    for (uint32_t i = 0; i < ctx->nsuites && !ctx->kind2; i++) {
        const struct ssl2_kind *k = ssl2_kind_by_suite(ctx->suites[i]);
        for (uint32_t j = 0; k && j < nspec / 3; j++)
            if (ssl2_kind_id(spec + 3 * j) == k->id)
                ctx->kind2 = k;
    }
    if (!ctx->kind2)
        return fail2(ctx, ERR2_NO_CIPHER, SSLNegotiationErr);
    return SSLNoErr;
}

/* ---- CLIENT-MASTER-KEY ---- */

static SSLErr build_master_key(SSLContext *ctx, struct wr *w)
{
    const struct ssl2_kind *k = ctx->kind2;
    struct x509_cert leaf;
    uint8_t enc[1024];
    SSL_TRY(x509_parse(ctx->peer_chain.certs[0].data, ctx->peer_chain.certs[0].length, &leaf));
    SSL_ENSURE(leaf.rsa_n_len <= sizeof enc, SSLUnsupportedErr);
    ctx->master_len = k->key_len;
    ctx->key_arg_len = k->iv_len;
    SSL_TRY(ctx_random(ctx, ctx->master, k->key_len));
    SSL_TRY(ctx_random(ctx, ctx->key_arg, k->iv_len));
    uint32_t secret = k->key_len - k->clear_len;
    /* RFC 6101 Appendix E.2: a client that could have spoken 3.0 marks its padding */
    SSL_TRY((offers_v3(ctx) ? pkcs1_encrypt_rollback : pkcs1_encrypt)(
        ctx_rand_fn, ctx, leaf.rsa_n, leaf.rsa_n_len, leaf.rsa_e, leaf.rsa_e_len, ctx->master + k->clear_len,
        secret, enc));
    wr_u8(w, MSG2_CLIENT_MASTER_KEY);
    wr_u8(w, (uint8_t)(k->id >> 16));
    wr_u16(w, (uint16_t)k->id);
    wr_u16(w, k->clear_len);
    wr_u16(w, (uint16_t)leaf.rsa_n_len);
    wr_u16(w, k->iv_len);
    wr_bytes(w, ctx->master, k->clear_len);
    wr_bytes(w, enc, leaf.rsa_n_len);
    wr_bytes(w, ctx->key_arg, k->iv_len);
    SSL_TRY(send2(ctx, w));
    return ssl2_derive_keys(ctx);
}

static SSLErr parse_master_key(SSLContext *ctx, struct rd *r)
{
    const uint8_t *id = rd_bytes(r, 3);
    uint32_t nclear = rd_u16(r), nenc = rd_u16(r), narg = rd_u16(r);
    const uint8_t *clear = rd_bytes(r, nclear), *enc = rd_bytes(r, nenc), *arg = rd_bytes(r, narg);
    if (!rd_done(r))
        return fail2(ctx, 0, SSLProtocolErr);
    const struct ssl2_kind *k = ssl2_kind_find(ssl2_kind_id(id));
    int listed = 0;
    for (uint32_t i = 0; k && i < ctx->v2_offer_len; i += 3)
        listed |= ssl2_kind_id(ctx->v2_offer + i) == k->id;
    if (!listed)
        return fail2(ctx, ERR2_NO_CIPHER, SSLNegotiationErr);
    /* the clear part must be exactly the kind's (zero unless export); KEY-ARG its IV */
    if (nclear != k->clear_len || narg != k->iv_len)
        return fail2(ctx, 0, SSLProtocolErr);
    ctx->kind2 = k;
    ctx->master_len = k->key_len;
    ctx->key_arg_len = k->iv_len;
    memcpy(ctx->key_arg, arg, narg);
    memcpy(ctx->master, clear, nclear);
    uint8_t secret[24], fake[24];
    uint32_t good, rollback, n = k->key_len - k->clear_len;
    SSL_TRY(ctx_random(ctx, fake, n));
    SSL_TRY(pkcs1_decrypt_fixed(ctx->key, enc, nenc, secret, n, &good, &rollback));
    /* a server that speaks 3.0 refuses a client that marked it could too (Appendix E.2) */
    ctx->rollback = ctx->version_mode == SSL_Version_Undetermined ? rollback : 0;
    good &= ~ctx->rollback;
    for (uint32_t i = 0; i < n; i++)
        ctx->master[k->clear_len + i] = ct_sel8(good, secret[i], fake[i]);
    cry_wipe(secret, sizeof secret);
    return ssl2_derive_keys(ctx);
}

/* ---- finished and verify ---- */

static SSLErr build_echo(SSLContext *ctx, struct wr *w, uint8_t type, const uint8_t *p, uint32_t n)
{
    wr_u8(w, type);
    wr_bytes(w, p, n);
    return send2(ctx, w);
}

static SSLErr parse_echo(SSLContext *ctx, struct rd *r, const uint8_t *want, uint32_t n)
{
    const uint8_t *got = rd_bytes(r, n);
    if (!rd_done(r) || !ct_memeq(got, want, n))
        return fail2(ctx, 0, ctx->rollback ? SSLNegotiationErr : SSLProtocolErr);
    return SSLNoErr;
}

static SSLErr build_client_finished(SSLContext *ctx, struct wr *w)
{
    return build_echo(ctx, w, MSG2_CLIENT_FINISHED, ctx->conn_id, ctx->conn_id_len);
}
static SSLErr parse_client_finished(SSLContext *ctx, struct rd *r)
{
    return parse_echo(ctx, r, ctx->conn_id, ctx->conn_id_len);
}
static SSLErr build_server_verify(SSLContext *ctx, struct wr *w)
{
    return build_echo(ctx, w, MSG2_SERVER_VERIFY, ctx->challenge, ctx->challenge_len);
}
static SSLErr parse_server_verify(SSLContext *ctx, struct rd *r)
{
    return parse_echo(ctx, r, ctx->challenge, ctx->challenge_len);
}

static SSLErr build_server_finished(SSLContext *ctx, struct wr *w)
{
    if (!ctx->resumed) {
        ctx->sid_len = SSL2_SID_LEN;
        SSL_TRY(ctx_random(ctx, ctx->session_id, SSL2_SID_LEN));
    }
    return build_echo(ctx, w, MSG2_SERVER_FINISHED, ctx->session_id, ctx->sid_len);
}

static SSLErr parse_server_finished(SSLContext *ctx, struct rd *r)
{
    uint32_t n = (uint32_t)rd_left(r);
    if (n == 0 || n > SSL3_SID_MAX)
        return fail2(ctx, 0, SSLProtocolErr);
    if (ctx->resumed)
        return parse_echo(ctx, r, ctx->session_id, ctx->sid_len);
    ctx->sid_len = (uint8_t)n;
    rd_copy(r, ctx->session_id, n);
    return SSLNoErr;
}

/* ---- the flow ---- */

enum { M2_CH, M2_SH, M2_CMK, M2_CF, M2_SV, M2_SF, M2_END };

static const struct msg2 {
    uint8_t type;
    uint8_t sender;
    SSLErr (*build)(SSLContext *, struct wr *);
    SSLErr (*parse)(SSLContext *, struct rd *);
} msgs2[] = {
    [M2_CH] = {MSG2_CLIENT_HELLO, SSL_ClientSide, NULL, NULL},
    [M2_SH] = {MSG2_SERVER_HELLO, SSL_ServerSide, build_server_hello, parse_server_hello},
    [M2_CMK] = {MSG2_CLIENT_MASTER_KEY, SSL_ClientSide, build_master_key, parse_master_key},
    [M2_CF] = {MSG2_CLIENT_FINISHED, SSL_ClientSide, build_client_finished, parse_client_finished},
    [M2_SV] = {MSG2_SERVER_VERIFY, SSL_ServerSide, build_server_verify, parse_server_verify},
    [M2_SF] = {MSG2_SERVER_FINISHED, SSL_ServerSide, build_server_finished, parse_server_finished},
};

enum { IF2_FULL = 1, IF2_CLIENT = 2, IF2_SERVER = 4 };

static const struct { uint8_t msg, when; } flow2[] = {
    {M2_CH, 0},         /* handled by ssl2_send_client_hello / ssl2_recv_client_hello */
    {M2_SH, 0},
    {M2_CMK, IF2_FULL},
    {M2_CF, IF2_CLIENT}, /* the client sends its finished before it reads the verify */
    {M2_SV, 0},
    {M2_CF, IF2_SERVER}, /* the server sends its verify before it reads the finished */
    {M2_SF, 0},
    {M2_END, 0},
};

SSLErr ssl2_client_switch(SSLContext *ctx)
{
    /* Version Handshaking Summary (b): a 3.0-only client rejects the SSL 2.0 answer */
    if (!allows_v2(ctx))
        return fail2(ctx, 0, SSLNegotiationErr);
    ctx->negotiated = SSL_Version_2_0;
    ctx->hs2_step = 1;
    return SSLNoErr;
}

static SSLErr recv2(SSLContext *ctx, const struct msg2 *m)
{
    for (;;) {
        struct unit u;
        SSL_TRY(io_next_hs_unit(ctx, &u));
        if (u.kind != U_V2 || u.len == 0)
            return fail2(ctx, 0, SSLProtocolErr);
        struct rd r;
        rd_init(&r, u.body, u.len);
        uint8_t type = rd_u8(&r);
        if (type == MSG2_ERROR) {
            uint16_t code = rd_u16(&r);
            ctx->last_alert_recv = code;
            io_consume_unit(ctx, &u);
            return fail2(ctx, 0, SSLFatalAlert);
        }
        if (type == MSG2_REQUEST_CERTIFICATE && ctx->side == SSL_ClientSide && m->type == MSG2_SERVER_FINISHED) {
            io_consume_unit(ctx, &u); /* we offer no client certificate in SSL 2.0 */
            ssl2_send_error(ctx, ERR2_NO_CERTIFICATE);
            continue;
        }
        if (type != m->type)
            return fail2(ctx, 0, SSLProtocolErr);
        SSLErr e = m->parse(ctx, &r);
        io_consume_unit(ctx, &u);
        return e;
    }
}

SSLErr ssl2_drive(SSLContext *ctx)
{
    if (ctx->in.data && ctx->in.length < SSL2_IN_CAP)
        SSL_TRY(ctx_grow(ctx, &ctx->in, SSL2_IN_CAP, ctx->in_end));
    while (flow2[ctx->hs2_step].msg != M2_END) {
        uint8_t when = flow2[ctx->hs2_step].when;
        const struct msg2 *m = &msgs2[flow2[ctx->hs2_step].msg];
        int applies = !((when & IF2_FULL) && ctx->resumed) &&
                      !((when & IF2_CLIENT) && ctx->side != SSL_ClientSide) &&
                      !((when & IF2_SERVER) && ctx->side != SSL_ServerSide);
        if (applies) {
            if (m->sender == ctx->side) {
                uint8_t buf[16 + 32 + 16384];
                struct wr w;
                wr_init(&w, buf, sizeof buf);
                SSL_TRY(m->build(ctx, &w));
            } else {
                SSL_TRY(recv2(ctx, m));
            }
        }
        ctx->hs2_step++;
    }
    if (!ctx->resumed && !ctx->sess_stored) /* before the last flush, as in SSL 3.0 */
        session_store(ctx);
    SSL_TRY(io_flush(ctx));
    if (!ctx->hs_done) {
        session_release(ctx);
        ctx->hs_done = 1;
        ctx_free(ctx, &ctx->transcript);
    }
    return SSLNoErr;
}
