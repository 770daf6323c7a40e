/*
 * pair_kx.c - see pair_kx.h: the message-level man in the middle for SSL 3.0 handshake records
 * (plaintext, before each side's ChangeCipherSpec), chain loading from several files, the
 * recording certificate check, and the SSL 2.0 record splitter. Only the public API and pair.h.
 */
#include "pair_kx.h"
#include "handshake/hs_sig.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pkx_mitm_init(struct pkx_mitm *m, struct pair *p)
{
    memset(m, 0, sizeof *m);
    m->p = p;
    m->from = -1;
    m->cap_from = -1;
}

void pkx_mitm_edit(struct pkx_mitm *m, struct pair *p, struct pair_config *c, int from,
                   uint8_t type, pkx_edit_fn edit, void *ref)
{
    pkx_mitm_init(m, p);
    m->from = from;
    m->type = type;
    m->edit = edit;
    m->edit_ref = ref;
    if (c) {
        c->hook = pkx_hook;
        c->hook_ref = m;
    }
}

void pkx_mitm_inject(struct pkx_mitm *m, struct pair *p, struct pair_config *c, int from,
                     uint8_t after_type, const uint8_t *rec, size_t n)
{
    pkx_mitm_init(m, p);
    m->from = from;
    m->after_type = after_type;
    m->inject = rec;
    m->inject_len = n;
    c->hook = pkx_hook;
    c->hook_ref = m;
}

/* Remove the message at body offset @o (mlen body bytes) from record r; an emptied record goes. */
static void drop_msg(struct pkx_mitm *m, struct pair_rec *r, size_t o, size_t mlen)
{
    size_t at = 5 + o, n = 4 + mlen;
    memmove(r->b + at, r->b + at + n, r->len - at - n);
    r->len -= n;
    size_t rl = r->len - 5;
    r->b[3] = (uint8_t)(rl >> 8);
    r->b[4] = (uint8_t)rl;
    if (rl == 0)
        r->len = 0;
    m->dropped++;
}

static void put24(uint8_t *b, size_t v)
{
    b[0] = (uint8_t)(v >> 16);
    b[1] = (uint8_t)(v >> 8);
    b[2] = (uint8_t)v;
}

/* Run the edit on the message at body offset @o of record r; fix both lengths. */
static void edit_msg(struct pkx_mitm *m, struct pair_rec *r, size_t o, size_t mlen)
{
    uint8_t *msg = r->b + 5 + o;
    size_t tail_off = 5 + o + 4 + mlen, tail_len = r->len - tail_off;
    uint8_t *tail = malloc(tail_len + 1);
    if (!tail)
        abort();
    memcpy(tail, r->b + tail_off, tail_len);
    size_t len = mlen, cap = r->cap - r->len + mlen;
    m->edit(m->p, msg + 4, &len, cap, m->edit_ref);
    memcpy(msg + 4 + len, tail, tail_len);
    free(tail);
    put24(msg + 1, len);
    r->len = r->len - mlen + len;
    size_t rl = r->len - 5;
    r->b[3] = (uint8_t)(rl >> 8);
    r->b[4] = (uint8_t)rl;
    m->edited++;
}

int pkx_hook(int from, uint32_t index, struct pair_rec *r, void *ref)
{
    struct pkx_mitm *m = ref;
    (void)index;
    if (r->len < 5 || m->ccs[from])
        return PAIR_PASS;
    if (r->b[0] == 20) {
        m->ccs[from] = 1;
        return PAIR_PASS;
    }
    if (r->b[0] == 21) {
        for (size_t o = 5; o + 2 <= r->len && m->nalerts[from] < 8; o += 2)
            m->alerts[from][m->nalerts[from]++] = (uint16_t)(r->b[o] << 8 | r->b[o + 1]);
        return PAIR_PASS;
    }
    if (r->b[0] != 22)
        return PAIR_PASS;
    int inject = 0;
    for (size_t o = 0; o + 4 <= r->len - 5;) {
        const uint8_t *h = r->b + 5 + o;
        uint8_t type = h[0];
        size_t mlen = (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
        if (m->ntypes[from] < 32)
            m->types[from][m->ntypes[from]++] = type;
        if (o + 4 + mlen > r->len - 5)
            break; /* continues in the next record: only its type is listed */
        if (type == 12 && mlen <= sizeof m->ske) {
            memcpy(m->ske, h + 4, mlen);
            m->ske_len = mlen;
        }
        if (from == m->cap_from && type == m->cap_type && !m->captured && mlen <= sizeof m->cap) {
            memcpy(m->cap, h + 4, mlen);
            m->cap_len = mlen;
            m->captured = 1;
        }
        if (from == m->from && type == m->type && m->drop && !m->edit) {
            drop_msg(m, r, o, mlen);
            if (r->len == 0)
                break;
            continue;
        }
        if (from == m->from && type == m->type && m->edit) {
            edit_msg(m, r, o, mlen);
            mlen = (size_t)r->b[5 + o + 1] << 16 | (size_t)r->b[5 + o + 2] << 8 | r->b[5 + o + 3];
        }
        if (from == m->from && type == m->after_type && m->inject)
            inject = 1;
        o += 4 + mlen;
    }
    if (inject && r->len + m->inject_len <= r->cap) {
        memcpy(r->b + r->len, m->inject, m->inject_len);
        r->len += m->inject_len;
        m->injected++;
    }
    return PAIR_PASS;
}

int pkx_types_eq(const struct pkx_mitm *m, int side, const uint8_t *want, int n)
{
    return m->ntypes[side] == n && (n == 0 || memcmp(m->types[side], want, (size_t)n) == 0);
}

const char *pkx_types_str(const struct pkx_mitm *m, int side, char *buf, size_t cap)
{
    size_t k = 0;
    buf[0] = 0;
    for (int i = 0; i < m->ntypes[side] && k + 5 < cap; i++)
        k += (size_t)snprintf(buf + k, cap - k, "%s%u", i ? " " : "", m->types[side][i]);
    return buf;
}

SSLErr pkx_add_chain(SSLContext *ctx, const char *const *files, int n)
{
    size_t total = 0;
    char *all = NULL;
    for (int i = 0; i < n; i++) {
        size_t len;
        char *pem = pair_read_data(files[i], &len);
        char *na = pem ? realloc(all, total + len + 1) : NULL;
        if (!na) {
            free(pem);
            free(all);
            return SSLIOErr;
        }
        all = na;
        memcpy(all + total, pem, len);
        total += len;
        all[total] = 0;
        free(pem);
    }
    SSLErr e = SSLXAddCertificatesPEM(ctx, all, total);
    free(all);
    return e;
}

uint8_t *pkx_cert_der(const char *name, int index, uint32_t *len)
{
    size_t n;
    char *pem = pair_read_data(name, &n);
    if (!pem)
        return NULL;
    size_t pos = 0;
    uint8 *der = NULL;
    for (int i = 0; i <= index; i++) {
        free(der);
        der = NULL;
        if (SSLXPEMDecode(pem, n, &pos, "CERTIFICATE", &der, len) != SSLNoErr) {
            der = NULL;
            break;
        }
    }
    free(pem);
    return der;
}

SSLErr pkx_check_cert(int certCount, SSLBuffer *derCerts, void *ref)
{
    struct pkx_seen *s = ref;
    s->calls++;
    s->count = certCount;
    s->leaf_len = 0;
    if (certCount > 0 && derCerts[0].length <= sizeof s->leaf) {
        memcpy(s->leaf, derCerts[0].data, derCerts[0].length);
        s->leaf_len = derCerts[0].length;
    }
    return s->ret;
}

size_t pkx_v2_record(const uint8_t *p, size_t n, size_t *hdr, size_t *body, size_t *pad)
{
    if (n < 2)
        return 0;
    if (p[0] & 0x80) {
        *hdr = 2;
        *body = (size_t)(p[0] & 0x7f) << 8 | p[1];
        *pad = 0;
    } else {
        if (n < 3)
            return 0;
        *hdr = 3;
        *body = (size_t)(p[0] & 0x3f) << 8 | p[1];
        *pad = p[2];
    }
    return n >= *hdr + *body ? *hdr + *body : 0;
}

size_t pkx_ske_sign12(SSLContext *server, uint16_t scheme, uint8_t *msg, size_t params,
                      size_t cap)
{
    int alg = hs_sig_hash(scheme);
    struct cry_hash h;
    uint8_t hash[CRY_MAX_DIGEST], sig[1024];
    uint32_t sl = 0;
    if (alg < 0)
        return 0;
    cry_hash_init(&h, alg);
    cry_hash_update(&h, server->client_random, 32);
    cry_hash_update(&h, server->server_random, 32);
    cry_hash_update(&h, msg, params);
    cry_hash_final(&h, hash);
    if (hs_sig_sign(server, server->key, scheme, hash, cry_hash_len(alg), sig, sizeof sig, &sl) != SSLNoErr ||
        params + 4 + sl > cap)
        return 0;
    msg[params] = (uint8_t)(scheme >> 8);
    msg[params + 1] = (uint8_t)scheme;
    msg[params + 2] = (uint8_t)(sl >> 8);
    msg[params + 3] = (uint8_t)sl;
    memcpy(msg + params + 4, sig, sl);
    return params + 4 + sl;
}
