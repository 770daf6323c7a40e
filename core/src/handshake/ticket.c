/*
 * ticket.c - session tickets (RFC 5077): the server seals the session blob (session.c, format 5:
 * version, suite, EMS, group, certificate type, the server's binding, creation time, peer chain)
 * into a ticket and resumes from one before it looks at the session ID; the client keeps the last
 * ticket in its session entry. A ticket is key_name (16) | nonce (12) | AES-256-GCM(blob) | tag
 * (16), with key_name as the additional data: the layout RFC 5077 §4 recommends, with GCM in place
 * of CBC + HMAC. Keys come from the application (SSLXSetTicketKeyFunc); any fault in a ticket (an
 * unknown key, a bad tag, a blob that is not valid here) means a full handshake, never an alert.
 */
#include "handshake/hs3.h"
#include "handshake/session.h"
#include "record/alert.h"
#include "crypto/crypto_ltc.h"
#include <string.h>

#define NAME_LEN 16
#define NONCE_LEN 12
#define TAG_LEN CRY_AEAD_TAG
#define KEY_LEN 32
#define OVERHEAD (NAME_LEN + NONCE_LEN + TAG_LEN)
#define TICKET_MAX 16384u /* a server accepts tickets up to this long (ours: blob + 44 bytes) */
#define GCM_STATE 1024    /* >= cry_cipher_state_size(CRY_C_AES_GCM) */

/* AES-256-GCM one shot; the key schedule lives on the stack and is wiped. */
static SSLErr gcm(int seal, const uint8_t key[KEY_LEN], const uint8_t *nonce, const uint8_t *aad,
                  const uint8_t *in, uint8_t *out, size_t len, const uint8_t *tag_in,
                  uint8_t *tag_out)
{
    uint64_t st[GCM_STATE / 8];
    SSL_ENSURE(cry_cipher_state_size(CRY_C_AES_GCM) <= sizeof st, SSLUnsupportedErr);
    memset(st, 0, sizeof st);
    SSLErr e = cry_cipher_init(st, CRY_C_AES_GCM, seal, key, KEY_LEN, NULL);
    if (e == SSLNoErr)
        e = seal ? cry_aead_seal(st, nonce, NONCE_LEN, aad, NAME_LEN, in, out, len, tag_out)
                 : cry_aead_open(st, nonce, NONCE_LEN, aad, NAME_LEN, in, out, len, tag_in);
    cry_cipher_wipe(st);
    return e;
}

static int server_tickets(const SSLContext *ctx)
{
    return ctx->tickets_enabled && ctx->ticket_fn && ctx->peer_ticket_ext && ctx_is_tls(ctx);
}

/* Open a ticket into *blob (allocated); *current: it was sealed under the current key. */
static int ticket_open(SSLContext *ctx, const uint8_t *t, uint32_t n, SSLBuffer *blob, int *current)
{
    uint8_t name[NAME_LEN], cur[NAME_LEN], key[KEY_LEN], curkey[KEY_LEN];
    int ok = 0;
    if (n <= OVERHEAD || n > TICKET_MAX)
        return 0;
    memcpy(name, t, NAME_LEN);
    if (ctx->ticket_fn(ctx->ticket_ref, 0, name, key) == SSLNoErr &&
        ctx_alloc(ctx, blob, n - OVERHEAD) == SSLNoErr) {
        ok = gcm(0, key, t + NAME_LEN, t, t + NAME_LEN + NONCE_LEN, blob->data, blob->length,
                 t + n - TAG_LEN, NULL) == SSLNoErr;
        if (!ok)
            ctx_free(ctx, blob);
    }
    *current = ok && ctx->ticket_fn(ctx->ticket_ref, 1, cur, curkey) == SSLNoErr &&
               memcmp(cur, name, NAME_LEN) == 0;
    cry_wipe(key, sizeof key);
    cry_wipe(curkey, sizeof curkey);
    return ok;
}

int hs3_ticket_resume(SSLContext *ctx, const uint8_t *sid, uint32_t nsid, const uint8_t *off,
                      uint32_t noff)
{
    SSLBuffer blob = {0, NULL};
    int current = 0;
    if (!server_tickets(ctx) || !ctx->peer_ticket.length ||
        !ticket_open(ctx, ctx->peer_ticket.data, ctx->peer_ticket.length, &blob, &current))
        return 0;
    int ok = session_server_blob(ctx, &blob, off, noff);
    ctx_free(ctx, &blob);
    if (ok > 0) { /* RFC 5077 §3.4: the client's session ID comes back to say "resumed" */
        memcpy(ctx->session_id, sid, nsid);
        ctx->sid_len = (uint8_t)nsid;
        ctx->resumed_via = 2;
        ctx->nst = !current; /* renew a ticket sealed under an older key */
    }
    return ok;
}

void hs3_ticket_decide(SSLContext *ctx)
{
    ctx->nst = server_tickets(ctx);
}

uint32_t hs3_ticket_size_hint(const SSLContext *ctx)
{
    uint32_t n = 512 + OVERHEAD;
    for (uint32_t i = 0; i < ctx->peer_chain.n; i++)
        n += 3 + ctx->peer_chain.certs[i].length;
    return n;
}

SSLErr hs3_build_new_ticket(SSLContext *ctx, struct wr *w)
{
    uint8_t name[NAME_LEN], key[KEY_LEN], nonce[NONCE_LEN];
    SSLBuffer blob = {0, NULL};
    uint8_t sid_len = ctx->sid_len;
    SSLErr e = SSLNoErr;
    if (!sid_len) { /* no cache ID: the blob needs one; it never leaves the ticket */
        e = ctx_random(ctx, ctx->session_id, SSL3_SID_MAX);
        ctx->sid_len = SSL3_SID_MAX;
    }
    if (e == SSLNoErr)
        e = session_encode(ctx, &blob);
    ctx->sid_len = sid_len;
    /* RFC 5077 §3.3: a server that cannot make the ticket it announced sends an empty one */
    int have = e == SSLNoErr && ctx->ticket_fn(ctx->ticket_ref, 1, name, key) == SSLNoErr &&
               ctx_random(ctx, nonce, NONCE_LEN) == SSLNoErr;
    wr_u32(w, have ? ctx->session_lifetime : 0); /* ticket_lifetime_hint */
    size_t m = wr_open(w, 2);
    if (have && w->len + OVERHEAD + blob.length <= w->cap) {
        uint8_t *t = w->p + w->len;
        memcpy(t, name, NAME_LEN);
        memcpy(t + NAME_LEN, nonce, NONCE_LEN);
        e = gcm(1, key, nonce, name, blob.data, t + NAME_LEN + NONCE_LEN, blob.length, NULL,
                t + NAME_LEN + NONCE_LEN + blob.length);
        if (e == SSLNoErr)
            w->len += OVERHEAD + blob.length;
    }
    wr_close(w, m, 2);
    cry_wipe(key, sizeof key);
    ctx_free(ctx, &blob);
    return e == SSLMemoryErr ? e : SSLNoErr;
}

SSLErr hs3_parse_new_ticket(SSLContext *ctx, struct rd *r)
{
    (void)rd_u32(r); /* the lifetime hint: the client's own session lifetime governs */
    struct rd t = rd_sub16(r);
    uint32_t n = (uint32_t)rd_left(&t);
    const uint8_t *p = rd_bytes(&t, n);
    if (!rd_ok(r) || !rd_done(r))
        return ctx_fail(ctx, AL_DECODE_ERROR, SSLProtocolErr);
    ctx_free(ctx, &ctx->new_ticket);
    if (!n) /* RFC 5077 §3.3: no ticket after all */
        return SSLNoErr;
    SSL_TRY(ctx_alloc(ctx, &ctx->new_ticket, n));
    memcpy(ctx->new_ticket.data, p, n);
    if (!ctx->sid_len) { /* RFC 5077 §3.4: the client makes the ID that will mark a resumption */
        SSL_TRY(ctx_random(ctx, ctx->session_id, SSL3_SID_MAX));
        ctx->sid_len = SSL3_SID_MAX;
    }
    ctx->sess_stored = 0; /* a resumed session is stored again with its new ticket */
    return SSLNoErr;
}
